"""Gatehouse's own workloads pass Gatehouse's own policies, checked by `gatehouse scan`."""

from pathlib import Path

import pytest

from gatehouse.cli import main
from tests.chart.render import Rendered, render, to_yaml


def scan(rendered: Rendered, path: Path) -> int:
    path.write_text(to_yaml(rendered.objects))
    return main(["scan", str(path)])


def test_deployment_and_test_pod_pass_every_policy(
    ci_name: str, ci: Rendered, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {o["kind"] for o in ci.workloads()} == {"Deployment", "Pod"}
    status = scan(ci, tmp_path / f"{ci_name}.yaml")
    assert status == 0, capsys.readouterr().out


def test_scan_would_catch_a_weakened_chart(tmp_path: Path) -> None:
    """Control: the scan above is not passing vacuously."""
    weakened = render({"securityContext": {"runAsUser": 0}})
    assert scan(weakened, tmp_path / "weakened.yaml") == 1
