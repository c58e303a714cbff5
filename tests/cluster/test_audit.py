"""8. `gatehouse audit` against the real API server, as the chart's audit CronJob runs it:
as a service account bound to the chart's read-only ClusterRole. Real paging (small
pages, continue tokens), a continue token that expired (410), a missing RBAC rule,
and PolicyReports written where the CRD is installed."""

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from kubernetes.client import (
    ApiClient,
    ApiException,
    ApiextensionsV1Api,
    AppsV1Api,
    CoreV1Api,
    CustomObjectsApi,
    V1Deployment,
    V1Pod,
)

from gatehouse import cluster
from gatehouse.cli import main
from tests.chart.render import Obj, render
from tests.cluster.control_plane import ControlPlane, write_token_kubeconfig
from tests.cluster.gatehouse import ClusterGatehouse, apply
from tests.e2e.kube import wait_for, wait_pods
from tests.e2e.workloads import breaking
from tests.manifests import deployment, pod

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("dry_run")]

CRD = Path(__file__).with_name("policy_report_crd.yaml")


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class AuditAccount:
    """The chart's audit ServiceAccount with its ClusterRole, and a kubeconfig for it."""

    name: str
    user: str
    kubeconfig: Path

    def run(self, capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
        capsys.readouterr()
        code = main(["audit", "--kubeconfig", str(self.kubeconfig), *argv])
        out, err = capsys.readouterr()
        return Run(code, out, err)


def install_audit_rbac(
    api: ApiClient,
    plane: ControlPlane,
    workdir: Path,
    values: Obj,
    edit_role: Callable[[Obj], None] = lambda role: None,
) -> AuditAccount:
    """Apply the chart's audit ServiceAccount, ClusterRole and binding (as rendered from
    ``values``, the role changed by ``edit_role``) and log in as that account."""
    rendered = render({"audit": {"enabled": True, **values}})
    binding = rendered.one("ClusterRoleBinding")
    (subject,) = binding["subjects"]
    account = rendered.one("ServiceAccount", subject["name"])
    role = copy.deepcopy(rendered.one("ClusterRole", binding["roleRef"]["name"]))
    edit_role(role)
    for obj in (account, role, binding):
        apply(api, obj)
    name, namespace = account["metadata"]["name"], account["metadata"]["namespace"]
    token = CoreV1Api(api).create_namespaced_service_account_token(
        name, namespace, {"spec": {"expirationSeconds": 3600}}
    )
    kubeconfig = write_token_kubeconfig(
        workdir / f"{name}.kubeconfig", plane, name, token.status.token
    )
    return AuditAccount(name, f"system:serviceaccount:{namespace}:{name}", kubeconfig)


@pytest.fixture
def account(admin_api: ApiClient, control_plane: ControlPlane, tmp_path: Path) -> AuditAccount:
    return install_audit_rbac(admin_api, control_plane, tmp_path, {})


def root_pods(core: CoreV1Api, namespace: str, *names: str) -> set[str]:
    """Pods that run as root, which the dry-run Gatehouse admits."""
    for name in names:
        core.create_namespaced_pod(
            namespace,
            V1Pod.model_validate(
                pod(breaking("no-root-containers"), name=name, namespace=namespace)
            ),
        )
    return set(names)


def found(run: Run) -> set[tuple[str, str]]:
    assert run.code == 1, run.err
    return {(f["kind"], f["name"]) for f in json.loads(run.out)}


def test_small_pages_follow_continue_tokens_to_the_end(
    account: AuditAccount,
    core: CoreV1Api,
    apps: AppsV1Api,
    namespace: str,
    control_plane: ControlPlane,
    capsys: pytest.CaptureFixture[str],
) -> None:
    names = root_pods(core, namespace, *(f"root-{i}" for i in range(5)))
    apps.create_namespaced_deployment(
        namespace,
        V1Deployment.model_validate(
            deployment(breaking("no-root-containers"), name="web", namespace=namespace, replicas=2)
        ),
    )
    wait_pods(core, namespace, "app=web", 2)
    run = account.run(capsys, "-n", namespace, "--page-size", "2", "--format", "json")
    # Each object once, at the object a person wrote: the Deployment, not its Pods.
    assert found(run) == {("Pod", n) for n in names} | {("Deployment", "web")}
    assert run.err == "", run.err

    def pod_lists() -> list[str]:
        uris = []
        for line in control_plane.audit_log.read_text().splitlines():
            event = json.loads(line)
            if (
                event["user"]["username"] == account.user
                and event["verb"] == "list"
                and event["objectRef"].get("resource") == "pods"
                and event["objectRef"].get("namespace") == namespace
            ):
                uris.append(event["requestURI"])
        return uris if len(uris) >= 4 else []

    # 7 pods, 2 a page: 4 requests, each after the first with the token of the one before.
    uris = wait_for("the audit's pod listing in the audit log", pod_lists, timeout=30)
    assert len(uris) == 4, uris
    assert all("limit=2" in uri for uri in uris)
    assert ["continue=" in uri for uri in uris] == [False, True, True, True]


def test_an_expired_continue_token_is_reported_not_crashed_on(
    account: AuditAccount,
    core: CoreV1Api,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root_pods(core, namespace, "root-0", "root-1", "root-2")
    real_get = cluster.Cluster._get

    def first_page_outlives_its_snapshot(
        self: cluster.Cluster, path: str, query: list[tuple[str, object]]
    ) -> bytes:
        page = real_get(self, path, query)
        if path.endswith("/pods") and not any(k == "continue" for k, _ in query):
            token = json.loads(page)["metadata"]["continue"]

            def expired() -> bool:
                # Writes move etcd's revision on; the API server compacts behind them.
                core.patch_namespaced_pod("root-0", namespace, {"metadata": {"labels": {}}})
                try:
                    real_get(self, path, [*query, ("continue", token)])
                except ApiException as error:
                    return error.status == 410
                return False

            wait_for("the API server to expire the continue token", expired, 90, 1)
        return page

    monkeypatch.setattr(cluster.Cluster, "_get", first_page_outlives_its_snapshot)
    run = account.run(capsys, "-n", namespace, "--page-size", "1", "--format", "json")
    assert run.code == 2, run
    assert (
        f'gatehouse: expired: cannot list pods in namespace "{namespace}": the listing took '
        "longer than the API server keeps its snapshot; run again, or narrow it with -n"
    ) in run.err.splitlines(), run.err


def test_a_missing_rule_gives_its_one_line_error(
    admin_api: ApiClient,
    control_plane: ControlPlane,
    tmp_path: Path,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def without_cronjobs(role: Obj) -> None:
        for rule in role["rules"]:
            rule["resources"] = [r for r in rule["resources"] if r != "cronjobs"]

    account = install_audit_rbac(admin_api, control_plane, tmp_path, {}, without_cronjobs)
    run = account.run(capsys, "--format", "json")
    assert run.code == 2
    assert (
        "gatehouse: forbidden: cannot list cronjobs.batch in all namespaces: the audit needs "
        'RBAC "list" on "cronjobs" in API group "batch"'
    ) in run.err.splitlines(), run.err


@pytest.fixture
def policy_report_crd(admin_api: ApiClient) -> Iterator[None]:
    crd = yaml.safe_load(CRD.read_text())
    apply(admin_api, crd)
    extensions = ApiextensionsV1Api(admin_api)

    def established() -> bool:
        status = extensions.read_custom_resource_definition(crd["metadata"]["name"]).status
        return any(
            c.type == "Established" and c.status == "True" for c in (status.conditions or [])
        )

    wait_for("the PolicyReport CRD to be served", established, timeout=60, interval=0.5)
    yield
    extensions.delete_custom_resource_definition(crd["metadata"]["name"])


@pytest.mark.usefixtures("policy_report_crd")
def test_policy_reports_are_written_and_then_updated_in_place(
    gatehouse: ClusterGatehouse,
    admin_api: ApiClient,
    control_plane: ControlPlane,
    tmp_path: Path,
    core: CoreV1Api,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    account = install_audit_rbac(admin_api, control_plane, tmp_path, {"writeReports": True})
    root_pods(core, namespace, "root-0", "root-1")
    reports = CustomObjectsApi(admin_api)

    def written() -> list[Obj]:
        listed = reports.list_namespaced_custom_object(
            "wgpolicyk8s.io", "v1alpha2", namespace, "policyreports"
        )
        return list(listed["items"])

    # As the chart's CronJob runs it: with the webhook's config (dry-run here).
    config = ("--config", gatehouse.env()["GATEHOUSE_CONFIG"])
    first = account.run(capsys, *config, "-n", namespace, "--write-reports")
    assert first.code == 0, first.err  # dry-run: nothing would be denied
    (report,) = written()
    assert {r["resources"][0]["name"] for r in report["results"]} == {"root-0", "root-1"}
    assert {r["result"] for r in report["results"]} == {"warn"}  # dry-run: would deny

    root_pods(core, namespace, "root-2")
    second = account.run(capsys, *config, "-n", namespace, "--write-reports")
    assert second.code == 0, second.err
    (updated,) = written()
    assert updated["metadata"]["uid"] == report["metadata"]["uid"]
    assert {r["resources"][0]["name"] for r in updated["results"]} == {"root-0", "root-1", "root-2"}
