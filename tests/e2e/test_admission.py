"""Enforce mode: compliant workloads are admitted; a violation is refused where the
user made it, with the policy id in the message the client sees and no secret in it."""

import pytest
from kubernetes.client import ApiException, AppsV1Api, CoreV1Api, V1Deployment, V1Pod

from tests.e2e.gatehouse import Gatehouse
from tests.e2e.kube import policies_named, refusal, status_message, wait_ready
from tests.e2e.workloads import POLICIES, breaking, leaky, runnable
from tests.manifests import AWS_KEY_ID, deployment, pod

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("enforcing")]


def denial(gatehouse: Gatehouse, kind: str, namespace: str, name: str) -> str:
    return refusal(gatehouse.webhook().name, kind, namespace, name)


def test_a_compliant_pod_is_admitted(core: CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_pod(
        namespace, V1Pod.model_validate(pod(runnable(), name="compliant", namespace=namespace))
    )
    assert created.metadata is not None and created.metadata.name == "compliant"


@pytest.mark.kubelet  # Ready pods need a node that runs them
def test_a_compliant_deployment_is_admitted_and_its_pods_start(
    apps: AppsV1Api, namespace: str
) -> None:
    apps.create_namespaced_deployment(
        namespace,
        V1Deployment.model_validate(
            deployment(runnable(), name="compliant", namespace=namespace, replicas=2)
        ),
    )
    wait_ready(apps, namespace, "compliant", 2)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_pod_breaking_a_policy_is_refused_naming_it(
    core: CoreV1Api, namespace: str, gatehouse: Gatehouse, policy: str
) -> None:
    name = f"breaks-{policy}"
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_pod(
            namespace, V1Pod.model_validate(pod(breaking(policy), name=name, namespace=namespace))
        )
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert message.startswith(denial(gatehouse, "Pod", namespace, name)), message
    assert f"[{policy}] container app: " in message
    assert policies_named(message) == {policy}
    assert AWS_KEY_ID not in (caught.value.body or "")


def test_a_deployment_breaking_a_policy_is_refused_at_the_deployment(
    apps: AppsV1Api, namespace: str, gatehouse: Gatehouse
) -> None:
    name = "runs-as-root"
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment(
            namespace,
            V1Deployment.model_validate(
                deployment(breaking("no-root-containers"), name=name, namespace=namespace)
            ),
        )
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert message.startswith(denial(gatehouse, "Deployment", namespace, name)), message
    assert policies_named(message) == {"no-root-containers"}
    # Refused at the object the user wrote: no ReplicaSet was ever created for it.
    assert apps.list_namespaced_replica_set(namespace, label_selector=f"app={name}").items == []


def test_server_side_dry_runs_are_answered_and_nothing_is_stored(
    core: CoreV1Api, namespace: str, gatehouse: Gatehouse
) -> None:
    admitted = core.create_namespaced_pod(
        namespace,
        V1Pod.model_validate(pod(runnable(), name="dry-run-compliant", namespace=namespace)),
        dry_run="All",
    )
    assert admitted.metadata is not None and admitted.metadata.name == "dry-run-compliant"
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_pod(
            namespace,
            V1Pod.model_validate(pod(leaky(), name="dry-run-leaky", namespace=namespace)),
            dry_run="All",
        )
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert message.startswith(denial(gatehouse, "Pod", namespace, "dry-run-leaky")), message
    assert policies_named(message) == set(POLICIES)
    assert AWS_KEY_ID not in (caught.value.body or "")
    stored = {p.metadata.name for p in core.list_namespaced_pod(namespace).items if p.metadata}
    assert not stored & {"dry-run-compliant", "dry-run-leaky"}


@pytest.mark.parametrize("where", ["kube-system", "release-namespace"])
def test_kube_system_and_the_release_namespace_are_never_judged(
    core: CoreV1Api, gatehouse: Gatehouse, where: str
) -> None:
    target = "kube-system" if where == "kube-system" else gatehouse.setup.namespace
    admitted = core.create_namespaced_pod(
        target,
        V1Pod.model_validate(pod(leaky(), name="gatehouse-e2e-exempt", namespace=target)),
        dry_run="All",
    )
    assert admitted.metadata is not None and admitted.metadata.namespace == target
