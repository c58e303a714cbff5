"""5. What the API server sends beyond a plain CREATE: an UPDATE with the real
``oldObject``, ``dryRun=All`` requests, and the ``pods/ephemeralcontainers``
subresource that `kubectl debug` patches."""

from typing import Any

import pytest
from kubernetes.client import ApiException, AppsV1Api, CoreV1Api, V1Deployment, V1Pod

from tests.cluster.gatehouse import ClusterGatehouse
from tests.e2e.kube import policies_named, status_message, warnings
from tests.e2e.workloads import breaking, leaky, runnable
from tests.manifests import AWS_KEY_ID, deployment, pod

pytestmark = pytest.mark.cluster


def test_an_update_is_judged_on_what_it_changes_against_the_real_old_object(
    gatehouse: ClusterGatehouse, dev_apps: AppsV1Api, namespace: str
) -> None:
    gatehouse.configure("dry-run")
    dev_apps.create_namespaced_deployment(
        namespace,
        V1Deployment.model_validate(
            deployment(breaking("no-root-containers"), name="web", namespace=namespace)
        ),
    )
    gatehouse.configure("enforce")
    # A label: the root container was there before, so it is reported, not refused.
    _, status, headers = dev_apps.patch_namespaced_deployment_with_http_info(
        "web", namespace, {"metadata": {"labels": {"team": "shop"}}}
    )
    assert status == 200
    assert any(t.startswith("[no-root-containers] existing, ") for t in warnings(headers))
    # A literal key is new: refused, and only for it.
    env = [{"name": "AWS_ACCESS_KEY_ID", "value": AWS_KEY_ID}]
    with pytest.raises(ApiException) as caught:
        dev_apps.patch_namespaced_deployment(
            "web",
            namespace,
            {"spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}}},
        )
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert policies_named(message) == {"no-plaintext-secrets"}
    update = gatehouse.wait_decisions(
        "the refused UPDATE", namespace=namespace, operation="UPDATE", decision="deny"
    )
    assert update[-1]["existing"] >= 1, update  # the old object was really there


def test_dry_run_all_is_judged_and_nothing_is_stored(
    enforcing: ClusterGatehouse, dev_core: CoreV1Api, namespace: str
) -> None:
    with pytest.raises(ApiException) as caught:
        dev_core.create_namespaced_pod(
            namespace,
            V1Pod.model_validate(pod(leaky(), name="leaky", namespace=namespace)),
            dry_run="All",
        )
    assert caught.value.status == 403, status_message(caught.value)
    admitted = dev_core.create_namespaced_pod(
        namespace,
        V1Pod.model_validate(pod(runnable(), name="fine", namespace=namespace)),
        dry_run="All",
    )
    assert admitted.metadata is not None and admitted.metadata.name == "fine"
    assert dev_core.list_namespaced_pod(namespace).items == []
    judged = enforcing.wait_decisions("the dry runs", namespace=namespace, dryRun=True)
    assert {d["name"] for d in judged} >= {"leaky", "fine"}, judged


def debug_container(**security: Any) -> dict[str, Any]:
    """What `kubectl debug -it POD --image=busybox` adds (a root shell unless told)."""
    spec: dict[str, Any] = {
        "name": "debugger",
        "image": "busybox:1.36",
        "stdin": True,
        "tty": True,
        "targetContainerName": "app",
    }
    if security:
        spec["securityContext"] = security
    return spec


def add_ephemeral(core: CoreV1Api, namespace: str, name: str, container: dict[str, Any]) -> Any:
    return core.patch_namespaced_pod_ephemeralcontainers(
        name, namespace, {"spec": {"ephemeralContainers": [container]}}
    )


def test_a_non_root_debug_container_is_admitted_through_the_subresource(
    enforcing: ClusterGatehouse, dev_core: CoreV1Api, core: CoreV1Api, namespace: str
) -> None:
    dev_core.create_namespaced_pod(
        namespace, V1Pod.model_validate(pod(runnable(), name="target", namespace=namespace))
    )
    patched = add_ephemeral(
        core, namespace, "target", debug_container(runAsNonRoot=True, runAsUser=10001)
    )
    assert [c.name for c in patched.spec.ephemeral_containers] == ["debugger"]
    (asked,) = enforcing.wait_decisions(
        "the ephemeral containers UPDATE", namespace=namespace, name="target", operation="UPDATE"
    )
    assert asked["decision"] == "allow", asked


def test_a_root_debug_container_is_refused_in_enforce(
    enforcing: ClusterGatehouse, dev_core: CoreV1Api, core: CoreV1Api, namespace: str
) -> None:
    """Waits on the policy change that judges ephemeral containers (no-root-containers)."""
    dev_core.create_namespaced_pod(
        namespace, V1Pod.model_validate(pod(runnable(), name="target", namespace=namespace))
    )
    with pytest.raises(ApiException) as caught:
        add_ephemeral(core, namespace, "target", debug_container())
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert policies_named(message) == {"no-root-containers"}
    assert "container ephemeral:debugger: " in message, message
    assert "spec.ephemeralContainers[0]" in message, message
    stored = core.read_namespaced_pod("target", namespace)
    assert stored.spec is not None and not stored.spec.ephemeral_containers


def test_a_privileged_container_is_refused_though_it_runs_as_a_user(
    enforcing: ClusterGatehouse, dev_core: CoreV1Api, namespace: str
) -> None:
    """The API server admits privileged Pods here (--allow-privileged): Gatehouse decides."""
    privileged = runnable(
        securityContext={"runAsNonRoot": True, "runAsUser": 10001, "privileged": True}
    )
    with pytest.raises(ApiException) as caught:
        dev_core.create_namespaced_pod(
            namespace, V1Pod.model_validate(pod(privileged, name="privileged", namespace=namespace))
        )
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert "(spec.containers[0].securityContext.privileged)" in message, message


def test_swapping_one_literal_key_for_another_on_update_is_refused(
    gatehouse: ClusterGatehouse, dev_apps: AppsV1Api, namespace: str
) -> None:
    """The old object holds a literal key already; a different value in its place is new."""
    gatehouse.configure("dry-run")
    dev_apps.create_namespaced_deployment(
        namespace,
        V1Deployment.model_validate(
            deployment(breaking("no-plaintext-secrets"), name="keyed", namespace=namespace)
        ),
    )
    gatehouse.configure("enforce")
    other_key = "AKIA" + "Q5RTJ3XUW7YB2NM4"  # another key, built from parts as in manifests
    env = [{"name": "AWS_ACCESS_KEY_ID", "value": other_key}]
    with pytest.raises(ApiException) as caught:
        dev_apps.patch_namespaced_deployment(
            "keyed",
            namespace,
            {"spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}}},
        )
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert policies_named(message) == {"no-plaintext-secrets"}
    assert other_key not in (caught.value.body or "") and AWS_KEY_ID not in (
        caught.value.body or ""
    )
