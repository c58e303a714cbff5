"""The hack/kind scripts, run for real against stand-ins for kind, docker, helm,
kubectl and make that record how they were called: the order of the steps, the
cleanup when one fails, the prerequisite messages, and that the values deploy.sh
hands to helm render the chart it means to install.

PATH holds only the stand-ins and the few system tools the scripts use, so a
real kind or kubectl on the machine can never be reached.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import helm_python
import pytest
import yaml

from tests.chart.render import render
from tests.e2e import kind
from tests.server import REPO

SETUP = kind.load()
HACK = REPO / "hack" / "kind"
SYSTEM_TOOLS = (
    "bash",
    "env",
    "dirname",
    "basename",
    "awk",
    "grep",
    "seq",
    "sleep",
    "touch",
    "rm",
    "cat",
)
IMAGE_ID = "sha256:" + "f" * 64
SEP = "\x1f"

# One stand-in for every tool: logs its argv, answers what the scripts ask,
# and fails when STUB_FAIL names it (or "docker-info": a CLI without a daemon).
STUB = f"""#!/usr/bin/env bash
tool=$(basename "$0")
(IFS=$'{SEP}'; printf '%s\\n' "$tool$IFS$*") >>"$STUB_LOG"
[[ ${{STUB_FAIL:-}} == "$tool" ]] && exit 1
case "$tool $1" in
  "docker info") [[ ${{STUB_FAIL:-}} == docker-info ]] && exit 1 ;;
  "docker image") echo {IMAGE_ID} ;;
  "kind version") echo "kind {SETUP.kind_version} go1.24.2 linux/amd64" ;;
  "kind get") [[ -e $STUB_STATE/cluster ]] && echo {SETUP.cluster} ;;
  "kind create") touch "$STUB_STATE/cluster" ;;
  "kind delete") rm -f "$STUB_STATE/cluster" ;;
esac
if [[ $tool == kubectl && " $* " == *" run "* ]]; then
  echo 'Error from server (Forbidden): admission webhook "validate.gatehouse.io" denied the' \\
    'request: Gatehouse denied Pod default/gatehouse-probe: 2 violations' >&2
  exit 1
fi
exit 0
"""


@dataclass(frozen=True)
class Run:
    status: int
    stderr: str
    calls: list[list[str]]

    def steps(self) -> list[str]:
        """Each call as "tool subcommand", in order."""
        return [step(call) for call in self.calls]

    def call(self, wanted: str) -> list[str]:
        (found,) = [c for c in self.calls if step(c) == wanted]
        return found


def step(call: list[str]) -> str:
    """The call as "tool subcommand": the first word after leading `--option value` pairs."""
    args = call[1:]
    while args and args[0].startswith("--") and "=" not in args[0]:
        args = args[2:] if args[0] != "--no-print-directory" else args[1:]
    return " ".join([call[0], *args[:1]])


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in SYSTEM_TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    (tmp_path / "state").mkdir()
    return tmp_path


def stub(sandbox: Path, *tools: str) -> None:
    for tool in tools:
        path = sandbox / "bin" / tool
        path.write_text(STUB)
        path.chmod(0o755)


def run(sandbox: Path, script: str, **env: str) -> Run:
    log = sandbox / "calls.log"
    log.touch()
    done = subprocess.run(
        [str(HACK / script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=sandbox,
        env={
            "PATH": str(sandbox / "bin"),
            "HOME": str(sandbox),
            "MAKE": "make",
            "STUB_LOG": str(log),
            "STUB_STATE": str(sandbox / "state"),
            **env,
        },
    )
    calls = [line.split(SEP) for line in log.read_text().splitlines()]
    return Run(done.returncode, done.stderr, calls)


ALL_TOOLS = ("kind", "docker", "helm", "kubectl", "make")
HAPPY_PATH = [
    "kind create",
    "kubectl wait",
    "docker build",
    "kind load",
    "helm upgrade",
    "kubectl rollout",
    "kubectl run",
    "make e2e",
    "kind delete",
]


def test_kind_e2e_runs_every_step_in_order_then_deletes_the_cluster(sandbox: Path) -> None:
    stub(sandbox, *ALL_TOOLS)
    result = run(sandbox, "kind-e2e.sh")
    assert result.status == 0, result.stderr
    steps = [
        s
        for s in result.steps()
        if s not in ("docker info", "kind get", "kind version", "docker image")
    ]
    assert steps == HAPPY_PATH
    assert result.call("make e2e") == ["make", "--no-print-directory", "e2e"]
    assert [
        "kubectl",
        "--context",
        SETUP.context,
        "--namespace",
        "default",
        "run",
        "gatehouse-probe",
        "--image",
        SETUP.pause_image,
        "--restart",
        "Never",
        "--dry-run=server",
    ] in result.calls


@pytest.mark.parametrize("failing", ["helm", "make"])
def test_kind_e2e_deletes_the_cluster_when_a_step_fails(sandbox: Path, failing: str) -> None:
    stub(sandbox, *ALL_TOOLS)
    result = run(sandbox, "kind-e2e.sh", STUB_FAIL=failing)
    assert result.status != 0
    assert result.steps()[-1] == "kind delete"
    assert not (sandbox / "state" / "cluster").exists()
    if failing == "helm":
        assert not any(call[0] == "make" for call in result.calls)


def test_kind_keep_keeps_the_cluster_after_a_failure(sandbox: Path) -> None:
    stub(sandbox, *ALL_TOOLS)
    result = run(sandbox, "kind-e2e.sh", STUB_FAIL="make", KIND_KEEP="1")
    assert result.status != 0
    assert "kind delete" not in result.steps()
    assert "make kind-down" in result.stderr


def test_missing_tools_are_named_with_where_to_get_them_before_anything_runs(sandbox: Path) -> None:
    stub(sandbox, "docker", "make")
    result = run(sandbox, "kind-e2e.sh")
    assert result.status == 1
    missing = [line for line in result.stderr.splitlines() if line.startswith("missing: ")]
    assert [line.split()[1] for line in missing] == ["kind:", "kubectl:", "helm:"]
    assert all("https://" in line for line in missing)
    assert result.steps() == ["docker info"]


def test_a_docker_cli_without_a_daemon_is_reported(sandbox: Path) -> None:
    stub(sandbox, *ALL_TOOLS)
    result = run(sandbox, "kind-e2e.sh", STUB_FAIL="docker-info")
    assert result.status == 1
    assert "no Docker daemon answers" in result.stderr
    assert result.steps() == ["docker info"]


def test_kind_up_reuses_an_existing_cluster(sandbox: Path) -> None:
    stub(sandbox, *ALL_TOOLS)
    (sandbox / "state" / "cluster").touch()
    result = run(sandbox, "up.sh")
    assert result.status == 0, result.stderr
    assert "kind create" not in result.steps()
    assert ["kind", "export", "kubeconfig", "--name", SETUP.cluster] in result.calls


def test_kind_up_creates_the_cluster_from_the_config(sandbox: Path) -> None:
    stub(sandbox, *ALL_TOOLS)
    result = run(sandbox, "up.sh")
    assert result.status == 0, result.stderr
    assert result.call("kind create") == [
        "kind",
        "create",
        "cluster",
        "--name",
        SETUP.cluster,
        "--config",
        str(SETUP.config.relative_to(REPO)),
        "--wait",
        "180s",
    ]


def test_kind_deploy_needs_the_cluster(sandbox: Path) -> None:
    stub(sandbox, *ALL_TOOLS)
    result = run(sandbox, "deploy.sh")
    assert result.status == 1
    assert "make kind-up" in result.stderr
    assert "docker build" not in result.steps()


def test_what_kind_deploy_hands_helm_renders_the_local_image_rolled_by_its_id(
    sandbox: Path,
) -> None:
    stub(sandbox, *ALL_TOOLS)
    (sandbox / "state" / "cluster").touch()
    result = run(sandbox, "deploy.sh")
    assert result.status == 0, result.stderr
    assert result.call("docker build")[-3:] == ["--tag", SETUP.image, "."]
    assert result.call("kind load") == [
        "kind",
        "load",
        "docker-image",
        SETUP.image,
        "--name",
        SETUP.cluster,
    ]
    helm = result.call("helm upgrade")
    assert helm[:5] == ["helm", "upgrade", "--install", SETUP.release, str(SETUP.chart.name)]
    assert "--create-namespace" in helm
    rest = [arg for arg in helm[5:] if arg != "--create-namespace"]
    option = dict(zip(rest[::2], rest[1::2], strict=True))
    assert option["--kube-context"] == SETUP.context
    assert option["--namespace"] == SETUP.namespace
    values = yaml.safe_load((REPO / option["--values"]).read_text())
    extra = helm_python.parse_set_string_values(option["--set-string"])
    rendered = render({**values, **extra}, namespace=SETUP.namespace)
    template = rendered.one("Deployment")["spec"]["template"]
    assert template["metadata"]["annotations"]["gatehouse.io/image-id"] == IMAGE_ID
    assert rendered.container["image"] == SETUP.image
    assert result.call("kubectl rollout") == [
        "kubectl",
        "--context",
        SETUP.context,
        "--namespace",
        SETUP.namespace,
        "rollout",
        "status",
        f"deployment/{SETUP.release}",
        "--timeout=180s",
    ]


def test_kind_down_without_a_cluster_has_nothing_to_do(sandbox: Path) -> None:
    stub(sandbox, "kind")
    result = run(sandbox, "down.sh")
    assert result.status == 0, result.stderr
    assert result.steps() == ["kind get"]


def test_every_script_is_executable() -> None:
    for script in sorted(HACK.glob("*.sh")):
        if script.name not in ("env.sh", "lib.sh"):  # sourced, never run
            assert os.access(script, os.X_OK), script
