"""The ``gatehouse`` command as a user finds it: on the PATH, as ``python -m``, ``--version``."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import unquote

import pytest

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


LEAKY_CAFE = """\
apiVersion: v1
kind: Pod
metadata: {name: café, namespace: boutique}
spec:
  containers:
    - name: app
      image: registry.example.com/app:1
      securityContext: {runAsUser: 0}
"""


@pytest.mark.parametrize("encoding", ["ascii", "cp1252", "latin-1"])
def test_a_console_that_cannot_show_every_character_still_gets_the_report(tmp_path, encoding):
    """A cp1252 or ASCII console gets escapes where a character does not fit, never an error."""
    (tmp_path / "déjà vu ☃.yaml").write_text(LEAKY_CAFE, encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "200"}
    for fmt in ("text", "json", "sarif", "junit"):
        done = subprocess.run(
            [sys.executable, "-m", "gatehouse", "scan", "-f", fmt, str(tmp_path)],
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stderr) == (1, b""), (fmt, done.stderr)
        if fmt == "text":
            text = done.stdout.decode(encoding)
            shown = "déjà vu ☃.yaml".encode(encoding, "backslashreplace").decode(encoding)
            assert f"{shown}:8: DENY no-root-containers: runs as root" in text
            assert "Pod boutique/caf" in text
        else:  # machine formats are UTF-8 whatever the console
            text = done.stdout.decode("utf-8")
            assert "déjà vu ☃.yaml" in (unquote(text) if fmt == "sarif" else text)


def test_a_file_name_that_is_not_utf8_is_escaped_in_every_format(tmp_path):
    name = os.fsencode(tmp_path) + b"/bad-\xff-name.yaml"
    with open(name, "wb") as file:
        file.write(LEAKY_CAFE.encode())
    for fmt in ("text", "json", "sarif", "junit"):
        done = subprocess.run(
            [sys.executable, "-m", "gatehouse", "scan", "-f", fmt, str(tmp_path)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stderr) == (1, b""), (fmt, done.stderr)
        text = done.stdout.decode("utf-8")
        text = unquote(text) if fmt == "sarif" else text.replace("\\\\", "\\")  # JSON's escape
        assert "bad-\\xff-name.yaml" in text
