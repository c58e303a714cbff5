"""9. The chart installed with the Helm SDK into the real API server: every object passes
real validation (and Gatehouse itself, enforcing, admits the chart's own workloads),
`helm upgrade` keeps the generated certificate through a real ``lookup``, and
`helm uninstall` removes the webhook configuration. The switch to tls.mode=managed
keeps the caBundle the running pods need."""

import base64
from collections.abc import Iterator
from typing import Any

import helm_python
import pytest
import trustme
import yaml
from kubernetes.client import AdmissionregistrationV1Api, ApiClient, ApiException, CoreV1Api

from tests.chart.render import chart
from tests.cluster.control_plane import ADMIN, ControlPlane
from tests.cluster.gatehouse import ClusterGatehouse, read
from tests.e2e.kube import create_namespace, wait_for
from webhook.managed_tls.cluster import FIELD_MANAGER

pytestmark = pytest.mark.cluster

RELEASE = "helm-check"
VALUES = {"audit": {"enabled": True, "writeReports": True}}


@pytest.fixture
def helm(control_plane: ControlPlane, core: CoreV1Api) -> Iterator[helm_python.Config]:
    namespace = create_namespace(core, "helm-check")
    with helm_python.Config(
        kubeconfig_path=control_plane.kubeconfig(ADMIN), namespace=namespace
    ) as config:
        try:
            yield config
        finally:
            config.uninstall(RELEASE, ignore_not_found=True, wait="watcher", timeout=60)
            core.delete_namespace(namespace)
            # Gone, not terminating: the next test makes it again.
            wait_for(f"namespace {namespace} to go", lambda: gone(core, namespace), 120, 0.5)


def gone(core: CoreV1Api, namespace: str) -> bool:
    try:
        core.read_namespace(namespace)
    except ApiException as error:
        return error.status == 404
    return False


def manifest_objects(release: dict[str, Any]) -> list[dict[str, object]]:
    return [doc for doc in yaml.safe_load_all(release["manifest"]) if doc]


def test_install_upgrade_uninstall(
    enforcing: ClusterGatehouse, helm: helm_python.Config, admin_api: ApiClient
) -> None:
    installed = helm.install(chart(), RELEASE, VALUES, namespace="helm-check", timeout=120)
    objects = manifest_objects(installed)
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "Secret", "ValidatingWebhookConfiguration", "CronJob"} <= kinds
    for obj in objects:  # each one stored as rendered
        assert read(admin_api, obj)["metadata"]["name"] == obj["metadata"]["name"]  # type: ignore[index]
    for kind in ("Deployment", "CronJob"):  # the chart's own workloads pass Gatehouse
        enforcing.wait_decisions(f"the {kind}", namespace="helm-check", kind=kind, decision="allow")

    (secret,) = (o for o in objects if o["kind"] == "Secret")
    before = read(admin_api, secret)["data"]
    upgraded = helm.upgrade(
        chart(), RELEASE, {**VALUES, "mode": "enforce"}, namespace="helm-check", timeout=120
    )
    assert read(admin_api, secret)["data"] == before  # lookup found it: same CA, same pair
    (configuration,) = (
        o for o in manifest_objects(upgraded) if o["kind"] == "ValidatingWebhookConfiguration"
    )
    stored = read(admin_api, configuration)
    assert stored["webhooks"][0]["clientConfig"]["caBundle"] == before["ca.crt"]
    assert stored["webhooks"][0]["failurePolicy"] == "Fail"

    helm.uninstall(RELEASE, wait="watcher", timeout=60)
    with pytest.raises(ApiException) as gone:
        AdmissionregistrationV1Api(admin_api).read_validating_webhook_configuration(
            configuration["metadata"]["name"]  # type: ignore[index]
        )
    assert gone.value.status == 404


def test_helm_upgrade_to_managed_tls_keeps_the_ca_bundle(
    dry_run: ClusterGatehouse, helm: helm_python.Config, admin_api: ApiClient
) -> None:
    """Real Helm, switching a running install from the default (tls.mode=chart) to managed:
    the caBundle stays the one the running pods' certificate verifies against (the render
    looks it up and writes it back), and once the pods have replaced it, a later upgrade
    leaves theirs alone."""
    installed = helm.install(chart(), RELEASE, {}, namespace="helm-check", timeout=120)
    (configuration,) = (
        o for o in manifest_objects(installed) if o["kind"] == "ValidatingWebhookConfiguration"
    )
    (secret,) = (o for o in manifest_objects(installed) if o["kind"] == "Secret")
    chart_ca = read(admin_api, secret)["data"]["ca.crt"]

    def ca_bundle() -> str:
        return str(read(admin_api, configuration)["webhooks"][0]["clientConfig"]["caBundle"])

    upgraded = helm.upgrade(
        chart(), RELEASE, {"tls": {"mode": "managed"}}, namespace="helm-check", timeout=120
    )
    assert ca_bundle() == chart_ca
    kinds = {o["kind"] for o in manifest_objects(upgraded)}
    assert "Secret" not in kinds and {"Role", "ClusterRole"} <= kinds
    with pytest.raises(ApiException) as gone:  # Helm removed the chart's Secret
        read(admin_api, secret)
    assert gone.value.status == 404

    # What the pods' controller does: a patch of the caBundle under its own field manager.
    ours = base64.b64encode(trustme.CA().cert_pem.bytes()).decode()
    AdmissionregistrationV1Api(admin_api).patch_validating_webhook_configuration(
        configuration["metadata"]["name"],  # type: ignore[index]
        {"webhooks": [{"name": "validate.gatehouse.io", "clientConfig": {"caBundle": ours}}]},
        field_manager=FIELD_MANAGER,
        _content_type="application/strategic-merge-patch+json",
    )
    helm.upgrade(
        chart(),
        RELEASE,
        {"tls": {"mode": "managed"}, "replicaCount": 3},
        namespace="helm-check",
        timeout=120,
    )
    assert ca_bundle() == ours
