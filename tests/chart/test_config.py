"""The config file the chart writes is one Gatehouse accepts, and says what the values say."""

from datetime import UTC, datetime

import helm_python
import pytest
import yaml

from policies.config import parse_config
from tests.chart.render import Obj, Rendered, render


def test_every_ci_config_parses(ci_name: str, ci: Rendered) -> None:
    parse_config(yaml.safe_load(ci.config_text()), f"chart/ci/{ci_name}-values.yaml")


def test_default_config_is_dry_run_with_every_policy_on(default: Rendered) -> None:
    config = parse_config(yaml.safe_load(default.config_text()))
    assert config.mode == "dry-run"
    assert config.exempt_namespaces == {"kube-system", "kube-public", "kube-node-lease"}
    assert all(p.enabled and p.mode is None for p in config.policies)
    by_id = {p.policy.id: p for p in config.policies}
    assert by_id["no-plaintext-secrets"].settings.report_public_keys is False


def test_config_carries_mode_and_exemptions_from_values() -> None:
    values: Obj = {
        "mode": "enforce",
        "exemptNamespaces": ["legacy"],
        "policies": {
            "no-root-containers": {
                "mode": "dry-run",
                "denyPrivileged": False,
                "exemptions": {"namespaces": ["build"], "images": ["ci/*"]},
            },
            "no-plaintext-secrets": {
                "enabled": False,
                "reportPublicKeys": True,
                "exemptions": {"envNames": ["*_PUBLIC"]},
            },
            "require-resource-limits": {"require": ["limits.memory"]},
        },
    }
    raw = yaml.safe_load(render(values).config_text())
    config = parse_config(raw)
    by_id = {p.policy.id: p for p in config.policies}
    assert config.mode == "enforce"
    assert config.exempt_namespaces == {"legacy"}
    root = by_id["no-root-containers"]
    assert root.mode == "dry-run"
    assert root.exempt_namespaces == {"build"}
    assert root.exempt_images == ("ci/*",)
    assert root.settings.deny_privileged is False
    assert by_id["no-plaintext-secrets"].enabled is False
    assert by_id["no-plaintext-secrets"].settings.report_public_keys is True
    assert raw["policies"]["no-plaintext-secrets"]["exemptions"]["envNames"] == ["*_PUBLIC"]
    assert by_id["require-resource-limits"].settings.required == ("limits.memory",)


def test_follow_the_global_mode_is_left_out_not_written_empty(default: Rendered) -> None:
    raw = yaml.safe_load(default.config_text())
    assert all("mode" not in policy for policy in raw["policies"].values())


def test_enforce_from_and_exceptions_reach_the_config() -> None:
    values: Obj = {
        "maxExceptionDays": 30,
        "policies": {"no-root-containers": {"enforceFrom": "2030-01-15T09:00:00+01:00"}},
        "exceptions": [
            {
                "policy": "no-root-containers",
                "namespace": "payments",
                "selector": {"matchLabels": {"tier": "legacy"}},
                "reason": "vendor image runs as root until v3",
                "owner": "team-payments",
                "expires": "2030-01-20",
                "ticket": "SEC-1234",
            }
        ],
    }
    raw = yaml.safe_load(render(values).config_text())
    config = parse_config(raw, "rendered", now=datetime(2030, 1, 1, tzinfo=UTC))
    (root,) = [p for p in config.policies if p.policy.id == "no-root-containers"]
    assert root.enforce_from == datetime(2030, 1, 15, 8, tzinfo=UTC)
    assert config.max_exception_days == 30
    (granted,) = config.exceptions
    assert (granted.owner, granted.ticket, granted.expiry) == (
        "team-payments",
        "SEC-1234",
        "2030-01-20",
    )
    assert all(
        "enforceFrom" not in p for n, p in raw["policies"].items() if n != "no-root-containers"
    )


def test_a_malformed_exception_fails_the_schema(default: Rendered) -> None:
    bad = {"exceptions": [{"policy": "no-root-containers", "namespace": "x", "reason": "r"}]}
    with pytest.raises(helm_python.HelmValuesError, match=r"owner|expires"):
        render(bad)
