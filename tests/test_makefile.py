"""What a newcomer sees from the Makefile: `make help`, and the virtualenv being built."""

import os
import re
import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "MAKEFLAGS": ""},
        check=False,
    )


def test_help_shows_values_not_make_syntax():
    done = make("help", "PORT=9443", "PROBE_PORT=9080", "CERT_DIR=/tmp/certs")
    assert done.returncode == 0
    assert "$(" not in done.stdout
    (run,) = [line for line in done.stdout.splitlines() if line.split()[0] == "run"]
    assert "https://127.0.0.1:9443" in run and "http://127.0.0.1:9080" in run
    assert "/tmp/certs/" in done.stdout


def test_building_the_virtualenv_says_what_it_does_without_setuptools_notices(tmp_path):
    """The real recipe, into a fresh virtualenv that sees this one's packages (a .pth file),
    so pip finds every locked package installed and the run takes seconds, not minutes."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    (own,) = [p for p in site.getsitepackages() if p.startswith(sys.prefix)]
    (added,) = (venv / "lib").glob("python3*/site-packages")
    (added / "outer.pth").write_text(own + "\n")
    done = make(f"VENV={venv}", f"{venv}/bin/.installed", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"venv: creating {venv} with the locked dependencies")
    counts = [line for line in lines if re.fullmatch(r"venv: \d+ of \d+ packages", line)]
    assert counts, lines  # progress, a line every 20 packages
    assert lines[-1] == f"venv: ready; the CLI is {venv}/bin/gatehouse"
    assert "Editable installation" not in done.stdout + done.stderr
    assert "****" not in done.stdout + done.stderr
    assert (venv / "bin" / "gatehouse").exists()
