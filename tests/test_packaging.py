"""`pip install .` (and so `pipx install .`) gives a working `gatehouse` command, away from
the checkout: the README's way to get the CLI alone."""

import shutil
import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHIPPED = ("pyproject.toml", "README.md", "gatehouse", "policies", "webhook")


def run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_an_installed_wheel_has_the_cli_and_its_default_config(tmp_path):
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info
    source.mkdir()
    for name in SHIPPED:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copyfile
        copy(REPO / name, source / name)
    built = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        tmp_path / "dist",
        source,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("gatehouse-*.whl")

    venv = tmp_path / "venv"  # sees this virtualenv's packages for the dependencies only
    assert run(sys.executable, "-m", "venv", venv, cwd=tmp_path).returncode == 0
    (own,) = [p for p in site.getsitepackages() if p.startswith(sys.prefix)]
    (packages,) = (venv / "lib").glob("python3*/site-packages")
    (packages / "dependencies.pth").write_text(own + "\n")
    installed = run(venv / "bin" / "pip", "install", "-q", "--no-deps", wheel, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    where = run(
        venv / "bin" / "python", "-c", "import gatehouse; print(gatehouse.__file__)", cwd=tmp_path
    )
    assert where.stdout.startswith(str(packages))  # the wheel's, not the checkout's
    version = run(venv / "bin" / "gatehouse", "--version", cwd=tmp_path)
    assert version.stdout.startswith("gatehouse ") and "unknown" not in version.stdout
    scan = run(venv / "bin" / "gatehouse", "scan", REPO / "examples" / "manifests", cwd=tmp_path)
    assert (scan.returncode, scan.stderr) == (1, "")
    assert " DENY no-plaintext-secrets: " in scan.stdout
    module = run(venv / "bin" / "python", "-m", "gatehouse", "--version", cwd=tmp_path)
    assert module.stdout == version.stdout
