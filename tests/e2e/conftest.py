"""Fixtures of the e2e suite: the cluster (checked once, failing fast with one line),
API clients, namespaces deleted at the end, and Gatehouse in the mode a test needs.

Nothing runs at import or collection: `make e2e-plan` works without a cluster.
"""

import os
import shutil
from collections.abc import Callable, Iterator

import pytest
from kubernetes import config
from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api, VersionApi

from tests.cluster.fixtures import on_control_plane
from tests.cluster.gatehouse import ClusterGatehouse
from tests.e2e import kind
from tests.e2e.gatehouse import Gatehouse, HelmError
from tests.e2e.kube import create_namespace

ALLOW_ANY_CONTEXT = "E2E_ALLOW_ANY_CONTEXT"


@pytest.fixture(scope="session")
def setup() -> kind.KindSetup:
    return kind.load()


@pytest.fixture(scope="session")
def context(setup: kind.KindSetup) -> str:
    """The current kubeconfig context: the kind cluster's unless E2E_ALLOW_ANY_CONTEXT=1."""
    try:
        _, current = config.list_kube_config_contexts()  # type: ignore[no-untyped-call]
    except (config.ConfigException, OSError) as error:
        pytest.exit(f"e2e: no usable kubeconfig ({error}): run `make kind-up kind-deploy` first")
    name = str(current["name"])
    if name != setup.context and os.environ.get(ALLOW_ANY_CONTEXT) != "1":
        pytest.exit(
            f"e2e: the current context is {name!r}, not {setup.context!r}: "
            f"`kubectl config use-context {setup.context}`, or {ALLOW_ANY_CONTEXT}=1 "
            "to test whatever cluster that is (the suite switches Gatehouse's mode)"
        )
    return name


@pytest.fixture(scope="session")
def api(request: pytest.FixtureRequest) -> Iterator[ApiClient]:
    if on_control_plane(request.config):  # make cluster-test: the admin of the control plane
        yield request.getfixturevalue("admin_api")
        return
    context = request.getfixturevalue("context")
    client = config.new_client_from_config(context=context)  # type: ignore[no-untyped-call]
    try:
        VersionApi(client).get_code(_request_timeout=10)
    except Exception as error:  # whatever it is, the one line below says what to do
        pytest.exit(
            f"e2e: no cluster reachable through context {context!r} "
            f"({type(error).__name__}): run `make kind-up kind-deploy` first"
        )
    yield client
    client.close()


@pytest.fixture(scope="session")
def core(api: ApiClient) -> CoreV1Api:
    return CoreV1Api(api)


@pytest.fixture(scope="session")
def apps(api: ApiClient) -> AppsV1Api:
    return AppsV1Api(api)


@pytest.fixture(scope="session")
def new_namespace(core: CoreV1Api) -> Iterator[Callable[[], str]]:
    """Creates a fresh namespace per call; all of them are deleted at the end of the run."""
    created: list[str] = []

    def create() -> str:
        created.append(create_namespace(core))
        return created[-1]

    yield create
    for name in created:
        core.delete_namespace(name)


@pytest.fixture(scope="session")
def namespace(new_namespace: Callable[[], str]) -> str:
    """The run's own namespace; scenarios give their objects distinct names in it."""
    return new_namespace()


@pytest.fixture(scope="session")
def gatehouse(
    request: pytest.FixtureRequest, setup: kind.KindSetup, api: ApiClient, namespace: str
) -> Iterator[Gatehouse | ClusterGatehouse]:
    """The deployed release; its mode and failurePolicy are restored at the end."""
    house: Gatehouse | ClusterGatehouse
    if on_control_plane(request.config):  # run by the tests next to the control plane
        house = request.getfixturevalue("cluster_gatehouse")
    else:
        if shutil.which("helm") is None:
            pytest.exit("e2e: helm not found on PATH: https://helm.sh/docs/intro/install/")
        context = request.getfixturevalue("context")
        house = Gatehouse(setup, context, api, probe_namespace=namespace)
    try:
        initial = house.settings()
    except HelmError as error:
        pytest.exit(f"e2e: no Gatehouse release to test ({error}): run `make kind-deploy` first")
    house.wait_answering(initial[0])  # a sick release fails here, not in every scenario
    yield house
    house.configure(*initial)


@pytest.fixture
def enforcing(gatehouse: Gatehouse | ClusterGatehouse) -> Gatehouse | ClusterGatehouse:
    gatehouse.configure("enforce")
    return gatehouse


@pytest.fixture
def dry_run(gatehouse: Gatehouse | ClusterGatehouse) -> Gatehouse | ClusterGatehouse:
    gatehouse.configure("dry-run")
    return gatehouse
