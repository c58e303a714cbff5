"""What the cluster does while no Gatehouse pod answers: with failurePolicy Ignore
requests go through; with Fail they are refused, and the error says which webhook
could not be reached. Gatehouse is scaled to zero rather than its pods deleted, so
nothing comes back behind the test's back."""

import pytest
from kubernetes.client import ApiException, CoreV1Api, V1Pod

from tests.e2e.gatehouse import Gatehouse
from tests.e2e.kube import status_message
from tests.e2e.workloads import runnable
from tests.manifests import pod

pytestmark = pytest.mark.e2e


def compliant_pod(namespace: str) -> V1Pod:
    return V1Pod.model_validate(pod(runnable(), name="while-unreachable", namespace=namespace))


def test_with_failure_policy_ignore_an_unreachable_webhook_blocks_nobody(
    gatehouse: Gatehouse, core: CoreV1Api, namespace: str
) -> None:
    gatehouse.configure("enforce", "Ignore")
    assert gatehouse.webhook().failure_policy == "Ignore"
    with gatehouse.unreachable():
        core.create_namespaced_pod(namespace, compliant_pod(namespace), dry_run="All")


def test_with_failure_policy_fail_an_unreachable_webhook_refuses_and_says_why(
    gatehouse: Gatehouse, core: CoreV1Api, namespace: str
) -> None:
    gatehouse.configure("enforce", "Fail")
    webhook = gatehouse.webhook()
    assert webhook.failure_policy == "Fail"
    service = webhook.client_config.service
    assert service is not None
    with gatehouse.unreachable():
        with pytest.raises(ApiException) as caught:
            core.create_namespaced_pod(namespace, compliant_pod(namespace), dry_run="All")
        message = status_message(caught.value)
        assert caught.value.status == 500, message
        assert f'failed calling webhook "{webhook.name}"' in message
        assert f"{service.name}.{service.namespace}.svc" in message
        # The control plane and Gatehouse's own namespace are never sent to it, so
        # both keep working, and Gatehouse can always come back.
        for exempt in ("kube-system", gatehouse.setup.namespace):
            core.create_namespaced_pod(exempt, compliant_pod(exempt), dry_run="All")
