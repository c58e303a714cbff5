"""Session fixtures around the real control plane (a pytest plugin: tests/conftest.py).

`make cluster-test` runs the cluster suite (marker ``cluster``) and, with
``--control-plane``, the e2e scenarios that need no kubelet, whose fixtures then take
the API and Gatehouse from here (tests/e2e/conftest.py). A prerequisite that is
missing (Go, root for the network namespace) stops the run with one line: a cluster
test never turns into a skip.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import config
from kubernetes.client import ApiClient, CoreV1Api

from tests.cluster.control_plane import (
    ADMIN,
    DEVELOPER,
    ControlPlane,
    ControlPlaneError,
    running,
)
from tests.cluster.gatehouse import ClusterGatehouse
from tests.cluster.netns import NetnsError, TestHost, test_host
from tests.cluster.pod_api import PodApi
from tests.cluster.relay import Relay
from tests.e2e import kind
from tests.e2e.kube import create_namespace

CONTROL_PLANE_OPTION = "--control-plane"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        CONTROL_PLANE_OPTION,
        action="store_true",
        help="run the selected e2e scenarios against the control plane of hack/control-plane "
        "instead of the kind cluster (make cluster-test)",
    )


def on_control_plane(config: pytest.Config) -> bool:
    return bool(config.getoption(CONTROL_PLANE_OPTION))


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """The control plane, and KUBECONFIG naming its admin's kubeconfig meanwhile: whatever
    a test runs (`gatehouse audit`, Helm) meets it, never the cluster of the shell."""
    try:
        with (
            running(Path(tmp_path_factory.mktemp("control-plane"))) as plane,
            pytest.MonkeyPatch.context() as env,
        ):
            env.setenv("KUBECONFIG", str(plane.kubeconfig(ADMIN)))
            yield plane
    except ControlPlaneError as error:
        pytest.exit(f"cluster tests: no control plane: {error}", returncode=1)


def client_for(plane: ControlPlane, user: str) -> ApiClient:
    return config.new_client_from_config(config_file=str(plane.kubeconfig(user)))  # type: ignore[no-untyped-call]


@pytest.fixture(scope="session")
def admin_api(control_plane: ControlPlane) -> Iterator[ApiClient]:
    client = client_for(control_plane, ADMIN)
    yield client
    client.close()


@pytest.fixture(scope="session")
def developer_api(control_plane: ControlPlane) -> Iterator[ApiClient]:
    """A person with no rights but those a test grants (see ``grant``)."""
    client = client_for(control_plane, DEVELOPER)
    yield client
    client.close()


@pytest.fixture(scope="session")
def webhook_host() -> Iterator[TestHost]:
    try:
        with test_host() as host:
            yield host
    except NetnsError as error:
        pytest.exit(f"cluster tests: no test host for the webhook: {error}", returncode=1)


@pytest.fixture(scope="session")
def pod_api(control_plane: ControlPlane, admin_api: ApiClient) -> Iterator[PodApi]:
    """Service-account credentials for the pods the tests run, and their way to the API."""
    relay = Relay(("127.0.0.1", control_plane.api_port))
    try:
        yield PodApi(control_plane, admin_api, relay)
    finally:
        relay.close()


@pytest.fixture(scope="session")
def cluster_gatehouse(
    control_plane: ControlPlane,
    admin_api: ApiClient,
    webhook_host: TestHost,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ClusterGatehouse]:
    """The chart's release, in dry-run (the chart's default), served from the test host."""
    setup = kind.load()
    core = CoreV1Api(admin_api)
    create_namespace(core, setup.namespace)
    house = ClusterGatehouse(
        setup=setup,
        api=admin_api,
        kubeconfig=control_plane.kubeconfig(ADMIN).read_text(),
        probe_namespace=create_namespace(core),
        workdir=Path(tmp_path_factory.mktemp("gatehouse")),
        host=webhook_host,
    )
    try:
        house.install()
        yield house
    finally:
        house.close()
    troubles = house.troubles()
    if troubles:
        pytest.fail(f"Gatehouse logged errors or unreadable requests: {troubles}")
