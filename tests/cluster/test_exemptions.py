"""6. The namespaceSelector keeps kube-system and the release's namespace from
Gatehouse: the API server never sends their requests (the e2e scenario shows they are
admitted; Gatehouse's own log shows it was never asked)."""

import pytest
from kubernetes.client import ApiException, CoreV1Api, V1Pod

from tests.cluster.gatehouse import ClusterGatehouse
from tests.e2e.workloads import leaky
from tests.manifests import pod

pytestmark = pytest.mark.cluster


def test_kube_system_and_the_release_namespace_are_never_sent(
    enforcing: ClusterGatehouse, core: CoreV1Api, namespace: str
) -> None:
    exempt = ("kube-system", enforcing.setup.namespace)
    for where in exempt:
        core.create_namespaced_pod(
            where,
            V1Pod.model_validate(pod(leaky(), name="never-sent", namespace=where)),
            dry_run="All",
        )
    # A request after them that is sent: once its line is in the log, theirs would be too.
    with pytest.raises(ApiException):
        core.create_namespaced_pod(
            namespace,
            V1Pod.model_validate(pod(leaky(), name="sent", namespace=namespace)),
            dry_run="All",
        )
    enforcing.wait_decisions("the request that is sent", namespace=namespace, name="sent")
    for where in exempt:
        assert enforcing.decisions(namespace=where) == []
