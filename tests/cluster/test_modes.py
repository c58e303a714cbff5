"""2. enforce: a Deployment with a literal AWS key is refused, and the client reads which
policy, container, field and fix; a compliant one is created.
3. dry-run: the same Deployment is created, the client gets the Warning headers kubectl
prints, and the API server's audit log records Gatehouse's would-deny annotations."""

import json

import pytest
from kubernetes.client import ApiException, AppsV1Api, V1Deployment

from policies.no_plaintext_secrets import HINT, ID
from tests.cluster.control_plane import ControlPlane
from tests.cluster.gatehouse import ClusterGatehouse
from tests.e2e.kube import policies_named, refusal, status_message, wait_for, warnings
from tests.e2e.workloads import breaking, runnable
from tests.manifests import AWS_KEY_ID, deployment

pytestmark = pytest.mark.cluster

KEY_FIELD = "spec.template.spec.containers[0].env[0].value"


def with_key(namespace: str) -> V1Deployment:
    return V1Deployment.model_validate(
        deployment(breaking(ID), name="with-key", namespace=namespace, replicas=1)
    )


def test_enforce_refuses_the_key_naming_policy_container_field_and_fix(
    enforcing: ClusterGatehouse, dev_apps: AppsV1Api, namespace: str
) -> None:
    with pytest.raises(ApiException) as caught:
        dev_apps.create_namespaced_deployment(namespace, with_key(namespace))
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert message.startswith(
        refusal(enforcing.webhook().name, "Deployment", namespace, "with-key") + "1 violation"
    ), message
    (line,) = message.splitlines()[1:]
    assert line.startswith(f"[{ID}] container app: "), line
    assert f"({KEY_FIELD})" in line and line.endswith(f"Fix: {HINT}"), line
    assert policies_named(message) == {ID}
    assert AWS_KEY_ID not in (caught.value.body or "")
    assert dev_apps.list_namespaced_deployment(namespace).items == []

    created = dev_apps.create_namespaced_deployment(
        namespace,
        V1Deployment.model_validate(deployment(runnable(), name="compliant", namespace=namespace)),
    )
    assert created.metadata is not None and created.metadata.uid


def test_dry_run_admits_it_with_warnings_and_audit_annotations(
    dry_run: ClusterGatehouse,
    dev_apps: AppsV1Api,
    namespace: str,
    control_plane: ControlPlane,
) -> None:
    created, status, headers = dev_apps.create_namespaced_deployment_with_http_info(
        namespace, with_key(namespace)
    )
    assert status == 201 and created.metadata is not None
    texts = warnings(headers)
    assert [t for t in texts if t.startswith(f"[{ID}] would deny: app: ")] != [], texts
    assert not any(AWS_KEY_ID in t for t in texts)

    annotation = f"{dry_run.webhook().name}/would-deny.{ID}"

    def audit_event() -> dict[str, str] | None:
        for line in control_plane.audit_log.read_text().splitlines():
            event = json.loads(line)
            ref = event.get("objectRef") or {}
            if (
                event.get("verb") == "create"
                and ref.get("resource") == "deployments"
                and ref.get("namespace") == namespace
                and event.get("stage") == "ResponseComplete"
            ):
                return dict(event.get("annotations") or {})
        return None

    annotations = wait_for("the audit event of the create", audit_event, timeout=30, interval=0.5)
    assert annotations.get(annotation) == f"app {KEY_FIELD}", annotations
    assert not any(AWS_KEY_ID in value for value in annotations.values())
