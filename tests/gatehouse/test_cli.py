"""The ``gatehouse`` command as a user finds it: on the PATH, as ``python -m``, ``--version``."""

import subprocess
import sys
import tomllib
from pathlib import Path

from gatehouse.cli import main

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=60, check=False)


def test_version_is_the_packages(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"gatehouse {VERSION}\n"


def test_python_dash_m_is_the_same_command():
    script = run(str(Path(sys.executable).with_name("gatehouse")), "scan", "examples/manifests/")
    module = run(sys.executable, "-m", "gatehouse", "scan", "examples/manifests/")
    assert (module.returncode, module.stdout, module.stderr) == (
        script.returncode,
        script.stdout,
        script.stderr,
    )
    assert module.returncode == 1
    assert run(sys.executable, "-m", "gatehouse", "--version").stdout == f"gatehouse {VERSION}\n"
