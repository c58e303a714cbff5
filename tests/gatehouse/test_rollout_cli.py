"""enforceFrom and exceptions in ``gatehouse scan`` and ``gatehouse audit``, at their
boundaries: ``--at`` a minute before and a minute after, in more than one time zone."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatehouse.cli import main
from tests.gatehouse.fake_cluster import audit, cluster, deployment_tree
from tests.gatehouse.test_scan_cli import assert_valid_sarif, config_file, scan, write
from tests.manifests import container, deployment

ROOT = container(securityContext={"runAsUser": 0})  # breaks no-root-containers alone
ENFORCE_FROM = "2027-01-15T09:00:00+09:00"  # midnight UTC
BEFORE, AFTER = "2027-01-14T23:59:00Z", "2027-01-15T00:01:00Z"
BEFORE_IN_NEW_YORK = "2027-01-14T18:59:00-05:00"  # the same instant as BEFORE


def rollout_config(tmp_path: Path, expires: str = "2027-02-01") -> str:
    raw: dict[str, Any] = {
        "maxExceptionDays": 3650,
        "policies": {
            "no-root-containers": {"enforceFrom": ENFORCE_FROM},
            "require-resource-limits": {"enabled": False},
        },
        "exceptions": [
            {
                "policy": "no-plaintext-secrets",
                "namespace": "shop",
                "kind": "Deployment",
                "name": "legacy",
                "envName": "LEGACY_TOKEN",
                "reason": "rotated out with the v3 release",
                "owner": "team-payments",
                "expires": expires,
                "ticket": "SEC-1234",
            }
        ],
    }
    return config_file(tmp_path, yaml.safe_dump(raw))


def manifest(tmp_path: Path) -> str:
    token = "-".join(("tok", "1a2b3c4d5e6f"))  # built from parts: the repo's scan reads this
    app = container(
        securityContext={"runAsUser": 0}, env=[{"name": "LEGACY_TOKEN", "value": token}]
    )
    return write(
        tmp_path, "legacy.yaml", yaml.safe_dump(deployment(app, name="legacy", namespace="shop"))
    )


@pytest.mark.parametrize("at", [BEFORE, BEFORE_IN_NEW_YORK])
def test_before_enforce_from_scan_warns_says_when_and_exits_0(tmp_path: Path, capsys, at: str):
    code, out, _ = scan(
        capsys, "--config", rollout_config(tmp_path), "--at", at, manifest(tmp_path)
    )
    assert code == 0
    (warn,) = [line for line in out.splitlines() if " WARN no-root-containers:" in line]
    assert "will be denied from 2027-01-15: runs as root" in warn


def test_from_enforce_from_scan_denies_and_exits_1(tmp_path: Path, capsys) -> None:
    code, out, _ = scan(
        capsys, "--config", rollout_config(tmp_path), "--at", AFTER, manifest(tmp_path)
    )
    assert code == 1
    assert any(" DENY no-root-containers: runs as root" in line for line in out.splitlines())


def test_an_excepted_finding_is_an_except_block_with_its_reason(tmp_path: Path, capsys) -> None:
    code, out, _ = scan(
        capsys, "--config", rollout_config(tmp_path), "--at", BEFORE, manifest(tmp_path)
    )
    assert code == 0
    (block,) = [b for b in out.split("\n\n") if " EXCEPT no-plaintext-secrets:" in b]
    assert (
        "why   rotated out with the v3 release (owner: team-payments, until 2027-02-01, " in block
    )
    assert "ticket SEC-1234)" in block
    assert out.splitlines()[-1].endswith("1 finding excepted")


def test_a_minute_after_expiry_the_finding_denies_and_names_the_lapsed_exception(
    tmp_path: Path, capsys
) -> None:
    config = rollout_config(tmp_path, expires="2027-01-15T00:00:00Z")
    code, out, _ = scan(capsys, "--config", config, "--at", AFTER, manifest(tmp_path))
    assert code == 1
    (deny,) = [b for b in out.split("\n\n") if " DENY no-plaintext-secrets:" in b]
    assert "(exception expired on 2027-01-15 (owner: team-payments))" in " ".join(deny.split())
    code, out, _ = scan(capsys, "--config", config, "--at", BEFORE, manifest(tmp_path))
    assert " EXCEPT no-plaintext-secrets:" in out


def test_json_carries_the_dates_and_the_exception(tmp_path: Path, capsys) -> None:
    code, out, _ = scan(
        capsys,
        "--format",
        "json",
        "--config",
        rollout_config(tmp_path),
        "--at",
        BEFORE,
        manifest(tmp_path),
    )
    assert code == 0
    by_policy = {f["policy"]: f for f in json.loads(out)}
    assert by_policy["no-root-containers"]["mode"] == "scheduled"
    assert by_policy["no-root-containers"]["enforceFrom"] == "2027-01-15"
    secret = by_policy["no-plaintext-secrets"]
    assert secret["mode"] == "excepted"
    assert secret["exception"] == {
        "reason": "rotated out with the v3 release",
        "owner": "team-payments",
        "expires": "2027-02-01",
        "ticket": "SEC-1234",
        "config": "exceptions[0]",
    }


def test_sarif_marks_the_excepted_result_suppressed_with_the_justification(
    tmp_path: Path, capsys
) -> None:
    code, out, _ = scan(
        capsys,
        "--format",
        "sarif",
        "--config",
        rollout_config(tmp_path),
        "--at",
        BEFORE,
        manifest(tmp_path),
    )
    assert code == 0
    log = json.loads(out)
    assert_valid_sarif(log)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert results["no-plaintext-secrets"]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "rotated out with the v3 release (owner: team-payments, "
            "until 2027-02-01, ticket SEC-1234)",
        }
    ]
    assert results["no-plaintext-secrets"]["level"] == "note"
    assert "suppressions" not in results["no-root-containers"]
    assert results["no-root-containers"]["message"]["text"].startswith(
        "will be denied from 2027-01-15: "
    )


@pytest.mark.parametrize("at", ["tomorrow", "2027-01-15T09:00"])
def test_an_unreadable_at_is_a_usage_error(capsys, at: str) -> None:
    assert main(["scan", "--at", at, "-"]) == 2
    assert "--at" in capsys.readouterr().err


def test_the_config_is_checked_against_the_same_moment(tmp_path: Path, capsys) -> None:
    """An exception is at most maxExceptionDays from the moment judged, --at included."""
    raw = yaml.safe_load(Path(rollout_config(tmp_path)).read_text())
    raw["maxExceptionDays"] = 30
    path = config_file(tmp_path, yaml.safe_dump(raw))
    assert scan(capsys, "--config", path, "--at", "2027-01-10", manifest(tmp_path))[0] == 0
    code, _, err = scan(capsys, "--config", path, "--at", "2026-12-01", manifest(tmp_path))
    assert code == 2
    assert "exceptions[0].expires: 2027-02-01 is more than 30 days away" in err


# --- audit ------------------------------------------------------------------------------------


def legacy_cluster() -> Any:
    token = "-".join(("tok", "1a2b3c4d5e6f"))
    app = container(
        securityContext={"runAsUser": 0}, env=[{"name": "LEGACY_TOKEN", "value": token}]
    )
    return cluster(*deployment_tree(app, name="legacy", pods=1))


def test_audit_judges_at_the_same_boundaries(tmp_path: Path, capsys) -> None:
    config = rollout_config(tmp_path, expires="2027-01-15T00:00:00Z")
    before = audit(
        legacy_cluster(), tmp_path, capsys, "--config", config, "--at", BEFORE, "--format", "json"
    )
    modes = {f["policy"]: f["mode"] for f in json.loads(before.out)}
    assert (before.code, modes) == (
        0,
        {"no-root-containers": "scheduled", "no-plaintext-secrets": "excepted"},
    )
    after = audit(
        legacy_cluster(), tmp_path, capsys, "--config", config, "--at", AFTER, "--format", "json"
    )
    findings = json.loads(after.out)
    assert after.code == 1
    assert {f["policy"]: f["mode"] for f in findings} == {
        "no-root-containers": "enforce",
        "no-plaintext-secrets": "enforce",
    }
    (lapsed,) = [f for f in findings if "exceptionExpired" in f]
    assert lapsed["exceptionExpired"]["owner"] == "team-payments"


def test_audit_expiring_lists_what_lapses_soon_and_what_then_fails(tmp_path: Path, capsys) -> None:
    config = rollout_config(tmp_path, expires="2027-01-20")
    run = audit(
        legacy_cluster(), tmp_path, capsys, "--config", config, "--at", AFTER, "--expiring", "14d"
    )
    assert "Exceptions lapsing within 14 days: 1" in run.out
    assert (
        "2027-01-20  exceptions[0]  no-plaintext-secrets in shop (owner: team-payments, ticket SEC-1234)"
        in run.out
    )
    assert "starts to fail: Deployment shop/legacy" in run.out
    later = audit(
        legacy_cluster(), tmp_path, capsys, "--config", config, "--at", AFTER, "--expiring", "2d"
    )
    assert "Exceptions lapsing within 2 days: none." in later.out
    as_json = audit(
        legacy_cluster(),
        tmp_path,
        capsys,
        "--config",
        config,
        "--at",
        AFTER,
        "--expiring",
        "2w",
        "--format",
        "json",
    )
    json.loads(as_json.out)  # the report stays a list of findings
    assert "starts to fail: Deployment shop/legacy" in as_json.err
