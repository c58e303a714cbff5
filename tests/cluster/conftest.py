"""Fixtures of the cluster suite: the admin's and a developer's clients, a namespace per
test, and the chart's Gatehouse in the mode a test asks for.

The control plane, the test host and Gatehouse itself are session fixtures of
tests/cluster/fixtures.py, shared with the e2e scenarios `make cluster-test` runs.
"""

from collections.abc import Iterator

import pytest
from kubernetes.client import (
    ApiClient,
    AppsV1Api,
    AuthorizationV1Api,
    CoreV1Api,
    RbacAuthorizationV1Api,
    V1RoleBinding,
    V1SubjectAccessReview,
)

from tests.cluster.control_plane import DEVELOPER
from tests.cluster.gatehouse import ClusterGatehouse
from tests.e2e.kube import create_namespace, wait_for


@pytest.fixture(scope="session")
def core(admin_api: ApiClient) -> CoreV1Api:
    return CoreV1Api(admin_api)


@pytest.fixture(scope="session")
def apps(admin_api: ApiClient) -> AppsV1Api:
    return AppsV1Api(admin_api)


@pytest.fixture
def namespace(core: CoreV1Api) -> Iterator[str]:
    """A fresh namespace where the developer may do what the built-in `edit` role allows."""
    name = create_namespace(core)
    RbacAuthorizationV1Api(core.api_client).create_namespaced_role_binding(
        name,
        V1RoleBinding.model_validate(
            {
                "metadata": {"name": "developer-edits"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "edit",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": DEVELOPER}
                ],
            }
        ),
    )
    wait_for("the developer's rights in the new namespace", lambda: may_edit(core, name), 30, 0.2)
    yield name
    core.delete_namespace(name)


def may_edit(core: CoreV1Api, namespace: str) -> bool:
    """Whether RBAC already lets the developer create Deployments and Pods there: a new
    binding (and the aggregated `edit` role just after start-up) takes a moment to apply."""
    authorization = AuthorizationV1Api(core.api_client)
    for group, resource in (("apps", "deployments"), ("", "pods")):
        review = authorization.create_subject_access_review(
            V1SubjectAccessReview.model_validate(
                {
                    "spec": {
                        "user": DEVELOPER,
                        "resourceAttributes": {
                            "namespace": namespace,
                            "verb": "create",
                            "group": group,
                            "resource": resource,
                        },
                    }
                }
            )
        )
        if not (review.status and review.status.allowed):
            return False
    return True


@pytest.fixture
def dev_core(developer_api: ApiClient) -> CoreV1Api:
    return CoreV1Api(developer_api)


@pytest.fixture
def dev_apps(developer_api: ApiClient) -> AppsV1Api:
    return AppsV1Api(developer_api)


@pytest.fixture
def gatehouse(cluster_gatehouse: ClusterGatehouse) -> Iterator[ClusterGatehouse]:
    """Gatehouse registered through the chart's Service and answering, whatever a test did."""
    yield cluster_gatehouse
    if cluster_gatehouse.timeout_seconds is not None:
        cluster_gatehouse.configure(*cluster_gatehouse.settings())
    if cluster_gatehouse.client_config is not None:
        cluster_gatehouse.register()
    if cluster_gatehouse.server is None:
        cluster_gatehouse.start()


@pytest.fixture
def enforcing(gatehouse: ClusterGatehouse) -> ClusterGatehouse:
    gatehouse.configure("enforce")
    return gatehouse


@pytest.fixture
def dry_run(gatehouse: ClusterGatehouse) -> ClusterGatehouse:
    gatehouse.configure("dry-run")
    return gatehouse
