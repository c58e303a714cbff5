"""Switching to enforce never strands what already runs: a Deployment admitted in
dry-run keeps scaling. The patch only changes spec.replicas, so Gatehouse judges it
on what it introduces (nothing); the ReplicaSet update and the new Pods come from
the built-in controllers for an owner Gatehouse judges, so they are not judged again."""

import pytest
from kubernetes.client import AppsV1Api, CoreV1Api, V1Deployment

from tests.e2e.gatehouse import Gatehouse
from tests.e2e.kube import wait_pods, warnings
from tests.e2e.workloads import breaking
from tests.manifests import deployment

pytestmark = pytest.mark.e2e


def test_a_deployment_admitted_in_dry_run_still_scales_under_enforce(
    gatehouse: Gatehouse, apps: AppsV1Api, core: CoreV1Api, namespace: str
) -> None:
    name = "predates-enforcement"
    gatehouse.configure("dry-run")
    _, _, headers = apps.create_namespaced_deployment_with_http_info(
        namespace,
        V1Deployment.model_validate(
            deployment(breaking("no-root-containers"), name=name, namespace=namespace, replicas=1)
        ),
    )
    assert any("[no-root-containers] would deny: " in text for text in warnings(headers))
    wait_pods(core, namespace, f"app={name}", 1)

    gatehouse.configure("enforce")
    _, status, headers = apps.patch_namespaced_deployment_with_http_info(
        name, namespace, {"spec": {"replicas": 3}}
    )
    assert status == 200
    # Gatehouse was asked and let the violation the Deployment already had through.
    assert any(text.startswith("[no-root-containers]") for text in warnings(headers))
    wait_pods(core, namespace, f"app={name}", 3)  # made by the controllers, so admitted
