"""4. A Deployment admitted in dry-run scales and rolls a new image after the switch to
enforce. The ReplicaSets and Pods the real controllers make are admitted, judged at
the workload (each controller acts as its own service account); a person's Pod with
a copied owner reference is still judged."""

import pytest
from kubernetes.client import ApiException, AppsV1Api, CoreV1Api, V1Deployment, V1Pod

from tests.cluster.gatehouse import ClusterGatehouse
from tests.e2e.kube import policies_named, status_message, wait_for, wait_pods, warnings
from tests.e2e.workloads import breaking
from tests.manifests import deployment, pod

pytestmark = pytest.mark.cluster

CONTROLLER = "system:serviceaccount:kube-system:{}-controller"


def test_a_deployment_from_dry_run_scales_and_rolls_under_enforce(
    gatehouse: ClusterGatehouse,
    dev_apps: AppsV1Api,
    dev_core: CoreV1Api,
    core: CoreV1Api,
    namespace: str,
) -> None:
    name = "predates-enforcement"
    gatehouse.configure("dry-run")
    _, _, headers = dev_apps.create_namespaced_deployment_with_http_info(
        namespace,
        V1Deployment.model_validate(
            deployment(breaking("no-root-containers"), name=name, namespace=namespace, replicas=1)
        ),
    )
    assert any(t.startswith("[no-root-containers] would deny: ") for t in warnings(headers))
    wait_pods(core, namespace, f"app={name}", 1)

    gatehouse.configure("enforce")
    _, status, headers = dev_apps.patch_namespaced_deployment_with_http_info(
        name, namespace, {"spec": {"replicas": 3}}
    )
    assert status == 200
    assert any(t.startswith("[no-root-containers] existing, ") for t in warnings(headers))
    wait_pods(core, namespace, f"app={name}", 3)

    _, status, _ = dev_apps.patch_namespaced_deployment_with_http_info(
        name,
        namespace,
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2.0"}]}}}},
    )
    assert status == 200

    def rolled() -> bool:
        sets = dev_apps.list_namespaced_replica_set(namespace, label_selector=f"app={name}").items
        new = [s for s in sets if s.spec and s.spec.template.spec.containers[0].image == "app:2.0"]
        if not new or new[0].metadata is None:
            return False
        pods = core.list_namespaced_pod(namespace, label_selector=f"app={name}").items
        return any(
            ref.name == new[0].metadata.name
            for p in pods
            for ref in (p.metadata.owner_references or [] if p.metadata else [])
        )

    wait_for("a ReplicaSet and a Pod of the new image", rolled)

    # Each was asked about, and let through as its owner's: never denied, never re-judged.
    for kind, controller in (("ReplicaSet", "deployment"), ("Pod", "replicaset")):
        made = gatehouse.wait_decisions(
            f"{kind}s made by the {controller} controller",
            namespace=namespace,
            kind=kind,
            user=CONTROLLER.format(controller),
        )
        assert {d["skipped"] for d in made} == {"judged at its owner"}, made
        assert {d["decision"] for d in made} == {"allow"}, made


def test_a_persons_pod_with_a_copied_owner_reference_is_judged(
    enforcing: ClusterGatehouse,
    dev_apps: AppsV1Api,
    dev_core: CoreV1Api,
    core: CoreV1Api,
    namespace: str,
) -> None:
    dev_apps.create_namespaced_deployment(
        namespace,
        V1Deployment.model_validate(deployment(name="owner", namespace=namespace, replicas=1)),
    )
    wait_pods(core, namespace, "app=owner", 1)
    (made,) = core.list_namespaced_pod(namespace, label_selector="app=owner").items
    assert made.metadata is not None and made.metadata.owner_references
    copied = pod(breaking("no-root-containers"), name="impostor", namespace=namespace)
    (owner,) = made.metadata.owner_references
    copied["metadata"]["ownerReferences"] = [
        {
            "apiVersion": owner.api_version,
            "kind": owner.kind,
            "name": owner.name,
            "uid": owner.uid,
            "controller": True,
        }
    ]
    with pytest.raises(ApiException) as caught:
        dev_core.create_namespaced_pod(namespace, V1Pod.model_validate(copied))
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert policies_named(message) == {"no-root-containers"}
