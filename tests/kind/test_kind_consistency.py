"""The kind setup agrees with itself. hack/kind/env.sh names everything once; the
kind config, the chart values for local use, the Makefile, the scripts and the CI
workflow must use those names, and the chart rendered with the local values must
be what the e2e suite expects to meet. No cluster needed: runs in `make test`.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

from tests.chart.render import CHART_DIR, RELEASE, Rendered, render
from tests.e2e import kind
from tests.server import REPO

SETUP = kind.load()
SCRIPTS = sorted((REPO / "hack" / "kind").glob("*.sh"))
MAKEFILE = REPO / "Makefile"
WORKFLOW = REPO / ".github" / "workflows" / "e2e.yml"
YAMLLINT = Path(sys.executable).with_name("yamllint")
NODE_IMAGE = re.compile(r"kindest/node:v(\d+)\.(\d+)\.(\d+)@sha256:[0-9a-f]{64}")


def kind_config() -> dict[str, Any]:
    return dict(yaml.safe_load(SETUP.config.read_text()))


def local_values() -> dict[str, Any]:
    return dict(yaml.safe_load(SETUP.values.read_text()))


def node_version() -> str:
    """The Kubernetes version of the (single) kind node image."""
    (node,) = kind_config()["nodes"]
    match = NODE_IMAGE.fullmatch(node["image"])
    assert match, f"pin the node image by version and digest: {node['image']}"
    return f"v{match[1]}.{match[2]}.{match[3]}"


def make_recipes() -> dict[str, list[str]]:
    """target -> its recipe lines, from the Makefile as written."""
    recipes: dict[str, list[str]] = {}
    target = None
    for line in MAKEFILE.read_text().splitlines():
        if line.startswith("\t") and target:
            recipes[target].append(line.strip())
        elif match := re.match(r"^([\w.-]+):(?!=)", line):
            target = match[1]
            recipes.setdefault(target, [])
        else:
            target = None
    return recipes


@pytest.fixture(scope="module")
def local() -> Rendered:
    """The chart as `make kind-deploy` installs it."""
    return render(local_values(), namespace=SETUP.namespace)


# --- env.sh: the one place ---


def test_bash_reads_env_sh_as_python_does() -> None:
    names = kind.read_env()
    show = 'source "$1" && for n in "${@:2}"; do printf "%s=%s\\n" "$n" "${!n}"; done'
    printed = subprocess.run(
        [shutil.which("bash") or "bash", "-c", show, "-", str(kind.ENV_FILE), *names],
        capture_output=True,
        text=True,
        check=True,
        env={},
    ).stdout
    assert dict(line.split("=", 1) for line in printed.splitlines()) == names


def test_the_context_is_the_one_kind_names_after_the_cluster() -> None:
    assert SETUP.context == f"kind-{SETUP.cluster}"


def test_the_scripts_take_every_name_from_env_sh() -> None:
    literal = {
        SETUP.cluster,
        SETUP.context,
        SETUP.image,
        SETUP.pause_image,
        str(SETUP.config.relative_to(REPO)),
        str(SETUP.values.relative_to(REPO)),
    }
    for script in SCRIPTS:
        if script == kind.ENV_FILE:
            continue
        code = "\n".join(
            line for line in script.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        found = sorted(name for name in literal if name in code)
        assert not found, f"{script.name} spells out {found}: use the env.sh variable"


# --- the kind config ---


def test_the_kind_config_names_the_cluster() -> None:
    config = kind_config()
    assert (config["kind"], config["apiVersion"]) == ("Cluster", "kind.x-k8s.io/v1alpha4")
    assert config["name"] == SETUP.cluster


def test_the_node_image_is_pinned_and_new_enough_for_the_chart() -> None:
    minimum = re.fullmatch(
        r">=(\d+)\.(\d+)\.0-0",
        yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["kubeVersion"],
    )
    assert minimum, "Chart.yaml kubeVersion is no longer a plain minimum: update this test"
    version = node_version()
    assert tuple(int(n) for n in version[1:].split(".")[:2]) >= (int(minimum[1]), int(minimum[2]))
    assert f"kind {SETUP.kind_version} release notes" in SETUP.config.read_text()


# --- the chart values for local use, rendered ---


def test_the_local_values_name_the_image_the_scripts_build() -> None:
    image = local_values()["image"]
    assert f"{image['repository']}:{image['tag']}" == SETUP.image
    assert image["pullPolicy"] == "Never"


def test_the_chart_tests_render_the_release_the_scripts_install() -> None:
    assert SETUP.release == RELEASE


def test_rendered_locally_the_deployment_runs_the_loaded_image(local: Rendered) -> None:
    deployment = local.one("Deployment")
    # deploy.sh, the README and docs/testing.md name it deployment/$RELEASE.
    assert deployment["metadata"]["name"] == SETUP.release
    assert deployment["metadata"]["namespace"] == SETUP.namespace
    assert (local.container["image"], local.container["imagePullPolicy"]) == (SETUP.image, "Never")


def test_rendered_locally_gatehouse_enforces_and_fails_closed(local: Rendered) -> None:
    assert yaml.safe_load(local.config_text())["mode"] == "enforce"
    assert local.webhook["failurePolicy"] == "Fail"
    assert local.one("Deployment")["spec"]["replicas"] >= 2  # Fail with one replica: NOTES warns
    assert "WARNING" not in local.notes


def test_rendered_locally_tls_comes_from_the_chart(local: Rendered) -> None:
    secret = local.one("Secret")
    assert secret["type"] == "kubernetes.io/tls"
    assert local.webhook["clientConfig"]["caBundle"] == secret["data"]["ca.crt"]


def test_rendered_locally_the_release_namespace_and_kube_system_are_never_sent(
    local: Rendered,
) -> None:
    (excluded,) = local.webhook["namespaceSelector"]["matchExpressions"][:1]
    assert excluded["operator"] == "NotIn"
    assert {SETUP.namespace, "kube-system"} <= set(excluded["values"])


def test_the_local_values_lint_clean_for_the_node_version() -> None:
    report = helm_python.lint(
        CHART_DIR,
        local_values(),
        strict=True,
        namespace=SETUP.namespace,
        kube_version=f"{node_version()}",
    )
    assert not report["errors"], report["errors"]
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


# --- the Makefile block ---


@pytest.mark.parametrize(
    ("target", "recipe"),
    [
        ("kind-up", "hack/kind/up.sh"),
        ("kind-deploy", "hack/kind/deploy.sh"),
        ("kind-down", "hack/kind/down.sh"),
        ("kind-e2e", "hack/kind/kind-e2e.sh"),
        ("e2e", "$(BIN)/pytest -m e2e tests/e2e"),
        ("e2e-plan", "$(BIN)/pytest --collect-only -q -m e2e tests/e2e"),
    ],
)
def test_the_make_target_runs(target: str, recipe: str) -> None:
    assert make_recipes()[target] == [recipe]
    script = recipe.split()[0]
    if script.endswith(".sh"):
        assert (REPO / script).exists(), script


# --- the CI workflow ---


def workflow() -> dict[Any, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


@pytest.mark.parametrize("path", [WORKFLOW, SETUP.config, SETUP.values], ids=lambda path: path.name)
def test_the_yaml_passes_yamllint(path: Path) -> None:
    lint = subprocess.run(
        [str(YAMLLINT), "-d", "relaxed", "--strict", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout


def test_the_workflow_runs_make_kind_e2e_on_a_hosted_runner() -> None:
    (job,) = workflow()["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    runs = [step.get("run", "") for step in job["steps"]]
    assert runs[-1].strip() == "make kind-e2e"
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in job["steps"])


def test_the_workflow_installs_the_kind_release_env_sh_names() -> None:
    text = WORKFLOW.read_text()
    assert "hack/kind/env.sh" in text
    assert "kind.sigs.k8s.io/dl/${KIND_VERSION}/kind-linux-amd64" in text
    assert not re.search(r"kind/?\S*v\d+\.\d+\.\d+", text), "the kind version lives in env.sh"
