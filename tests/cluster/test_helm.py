"""9. The chart installed with the Helm SDK into the real API server: every object passes
real validation (and Gatehouse itself, enforcing, admits the chart's own workloads),
`helm upgrade` keeps the generated certificate through a real ``lookup``, and
`helm uninstall` removes the webhook configuration."""

from collections.abc import Iterator
from typing import Any

import helm_python
import pytest
import yaml
from kubernetes.client import AdmissionregistrationV1Api, ApiClient, ApiException, CoreV1Api

from tests.chart.render import chart
from tests.cluster.control_plane import ADMIN, ControlPlane
from tests.cluster.gatehouse import ClusterGatehouse, read
from tests.e2e.kube import create_namespace

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
