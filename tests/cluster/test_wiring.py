"""The cluster suite's wiring, checked by `make test` without Go or a control plane:
the pins in hack/control-plane/go.mod agree with each other, the Makefile, CI and the
workflow run the suite, `make test` leaves it out, and docs/testing.md (where "A real
control plane in the tests" is documented) names every e2e scenario that needs a kubelet."""

import re
import subprocess
import sys

import pytest
import yaml

from tests.server import REPO

GO_MOD = REPO / "hack" / "control-plane" / "go.mod"
TOOLS = {
    "go.etcd.io/etcd/server/v3",
    "k8s.io/kubernetes/cmd/kube-apiserver",
    "k8s.io/kubernetes/cmd/kube-controller-manager",
}


def go_mod() -> str:
    return GO_MOD.read_text()


def required(module: str) -> str:
    match = re.search(rf"^\s*{re.escape(module)} (v\S+)", go_mod(), re.MULTILINE)
    assert match, f"{module} is not required in {GO_MOD}"
    return match[1]


def test_the_three_binaries_are_the_tools_of_the_go_mod() -> None:
    block = re.search(r"^tool \((.*?)^\)", go_mod(), re.MULTILINE | re.DOTALL)
    assert block is not None
    assert set(block[1].split()) == TOOLS


def test_every_staging_module_is_replaced_by_the_release_matching_kubernetes() -> None:
    kube = required("k8s.io/kubernetes")
    staging = "v0." + kube.removeprefix("v1.")
    replaces = re.findall(r"^\s*(k8s\.io/\S+) => (k8s\.io/\S+) (v\S+)$", go_mod(), re.MULTILINE)
    assert len(replaces) > 20, replaces
    assert all(old == new and version == staging for old, new, version in replaces), replaces


def test_etcd_is_the_release_kubernetes_itself_requires() -> None:
    """The etcd client kube-apiserver links and the etcd server are the same release."""
    assert required("go.etcd.io/etcd/server/v3") == required("go.etcd.io/etcd/client/v3")


def make_recipe(target: str) -> list[str]:
    text = (REPO / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, target
    return [line.strip() for line in match[1].splitlines()]


def test_make_cluster_test_builds_then_runs_the_suite_and_the_kubelet_free_e2e() -> None:
    assert make_recipe("control-plane") == ["hack/control-plane/build.sh >/dev/null"]
    (recipe,) = make_recipe("cluster-test")
    assert "--control-plane" in recipe
    assert "-m 'cluster or (e2e and not kubelet)'" in recipe


def test_ci_runs_the_cluster_suite_after_make_test() -> None:
    steps = [
        line for line in (REPO / ".ci" / "run").read_text().splitlines() if line.startswith("make")
    ]
    assert steps == ["make lint", "make test", "make cluster-test"]
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "cluster.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert job["steps"][-1]["run"].endswith("make cluster-test")


def collect(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 5), done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_make_test_deselects_the_cluster_suite() -> None:
    by_default = collect("tests/cluster")
    assert by_default and all("/test_wiring.py::" in line for line in by_default), by_default
    assert len(collect("-m", "cluster", "tests/cluster")) >= 15


def kubelet_scenarios() -> list[str]:
    """The e2e tests marked kubelet, read from their source (no collection at import)."""
    found = []
    for path in sorted((REPO / "tests" / "e2e").glob("test_*.py")):
        found += re.findall(r"@pytest\.mark\.kubelet.*\n(?:@.*\n)*def (test_\w+)", path.read_text())
    return found


def test_some_e2e_scenario_needs_a_kubelet_and_is_left_out() -> None:
    assert kubelet_scenarios() == ["test_a_compliant_deployment_is_admitted_and_its_pods_start"]


@pytest.mark.parametrize("name", kubelet_scenarios())
def test_the_testing_doc_names_each_e2e_scenario_that_needs_a_kubelet(name: str) -> None:
    assert f"`{name}`" in (REPO / "docs" / "testing.md").read_text()
