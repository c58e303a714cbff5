""".pre-commit-hooks.yaml: pre-commit accepts it, and its hook does what pre-commit would run.

pre-commit itself (a dev dependency) validates the file against its manifest
schema and picks the files the hook is given; the hook's entry then runs as
pre-commit runs it, ``entry`` + ``args`` + the file names, with the installed
``gatehouse`` on the PATH as it is in the hook's own environment.
"""

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pre_commit.clientlib import load_manifest
from pre_commit.commands.run import Classifier, filter_by_include_exclude

from tests.gatehouse.test_scan_cli import COMPLIANT, LEAKY, SECRETS, SERVICE

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"


@pytest.fixture(scope="module")
def hook() -> dict[str, Any]:
    (only,) = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))  # raises when invalid
    assert only["id"] == "gatehouse-scan"
    return dict(only)


def staged(hook: dict[str, Any], directory: Path, files: dict[str, str]) -> list[str]:
    """The files pre-commit would hand the hook, of those written under ``directory``."""
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    classifier = Classifier(list(files))
    chosen = filter_by_include_exclude(classifier.filenames, hook["files"], hook["exclude"])
    return list(classifier.by_types(chosen, hook["types"], hook["types_or"], hook["exclude_types"]))


def run_hook(
    hook: dict[str, Any], directory: Path, files: list[str]
) -> subprocess.CompletedProcess[str]:
    command = [*shlex.split(hook["entry"]), *hook["args"], *files]
    bin_dir = str(Path(sys.executable).parent)
    return subprocess.run(
        command,
        cwd=directory,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_hook_gets_yaml_and_json_files_only(hook, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = staged(
        hook,
        tmp_path,
        {
            "deploy/app.yaml": LEAKY,
            "deploy/pod.yml": COMPLIANT,
            "deploy/list.json": '{"kind": "List", "items": []}\n',
            "README.md": "# not a manifest\n",
            "main.py": "print('x')\n",
        },
    )
    assert sorted(files) == ["deploy/app.yaml", "deploy/list.json", "deploy/pod.yml"]


def test_a_commit_with_a_leaky_manifest_fails_naming_it(hook, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = staged(hook, tmp_path, {"deploy/app.yaml": LEAKY, "deploy/svc.yaml": SERVICE})
    done = run_hook(hook, tmp_path, files)
    assert done.returncode == 1, done.stderr
    assert "deploy/app.yaml:" in done.stdout and " DENY no-plaintext-secrets: " in done.stdout
    for secret in SECRETS:
        assert secret not in done.stdout + done.stderr


def test_a_commit_of_clean_or_unrelated_yaml_passes(hook, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = staged(
        hook,
        tmp_path,
        {".github/workflows/ci.yml": WORKFLOW, "deploy/pod.yaml": COMPLIANT, "empty.yaml": ""},
    )
    done = run_hook(hook, tmp_path, files)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1] == "1 workload scanned, 0 would be denied"
