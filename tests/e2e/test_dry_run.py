"""Dry-run mode: what enforce refuses is admitted, and the client is told why it
would not be, one warning per policy, without the secret."""

import pytest
from kubernetes.client import CoreV1Api, V1Pod

from tests.e2e.kube import warnings
from tests.e2e.workloads import POLICIES, leaky
from tests.manifests import AWS_KEY_ID, pod

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("dry_run")]


def test_the_bad_pod_is_admitted_with_a_would_deny_warning_per_policy(
    core: CoreV1Api, namespace: str
) -> None:
    created, status, headers = core.create_namespaced_pod_with_http_info(
        namespace, V1Pod.model_validate(pod(leaky(), name="leaky", namespace=namespace))
    )
    texts = warnings(headers)
    assert status == 201 and created.metadata is not None
    for policy in POLICIES:
        assert any(f"[{policy}] would deny: " in text for text in texts), (policy, texts)
    assert not any(AWS_KEY_ID in text for text in texts)
