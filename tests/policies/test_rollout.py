"""Time-boxed rollout: enforceFrom per policy and exceptions that lapse, at their boundaries.

Every time here is explicit (``now`` is passed in), so the boundary is exact:
a minute before and a minute after, in more than one time zone.
"""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from policies.config import ConfigError, parse_config
from policies.engine import Finding, evaluate
from policies.rollout import parse_instant, parse_span, show_instant
from tests.manifests import container, deployment

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
TOKYO = timezone(timedelta(hours=9))
ROOT = container(securityContext={"runAsUser": 0})  # breaks no-root-containers only


def config(raw: dict[str, Any], now: datetime = NOW) -> Any:
    return parse_config(raw, "gatehouse.yaml", now)


def root_findings(raw: dict[str, Any], at: datetime, obj: Any = None) -> list[Finding]:
    target = obj or deployment(ROOT, name="legacy", namespace="payments")
    return [
        f
        for f in evaluate(target, config(raw), now=at)
        if f.violation.policy == "no-root-containers"
    ]


# --- instants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "instant"),
    [
        ("2027-01-15", datetime(2027, 1, 15, tzinfo=UTC)),
        (date(2027, 1, 15), datetime(2027, 1, 15, tzinfo=UTC)),  # YAML's unquoted date
        ("2027-01-15T09:00:00+01:00", datetime(2027, 1, 15, 8, tzinfo=UTC)),
        ("2027-01-15T09:00:00Z", datetime(2027, 1, 15, 9, tzinfo=UTC)),
        (datetime(2027, 1, 15, 9, tzinfo=TOKYO), datetime(2027, 1, 15, 0, tzinfo=UTC)),
    ],
)
def test_dates_and_zoned_date_times_are_instants(raw: object, instant: datetime) -> None:
    assert parse_instant(raw, "x") == instant


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2027-01-15T09:00:00", "names no time zone"),
        (datetime(2027, 1, 15, 9), "names no time zone"),
        ("15/01/2027", "is not an ISO date"),
        ("soon", "is not an ISO date"),
        (20270115, "expected an ISO date or date-time, got int"),
    ],
)
def test_ambiguous_or_unreadable_times_are_errors(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_instant(raw, "policies.no-root-containers.enforceFrom")


def test_instants_are_shown_as_people_wrote_them() -> None:
    assert show_instant(datetime(2027, 1, 15, tzinfo=UTC)) == "2027-01-15"
    assert show_instant(datetime(2027, 1, 15, 8, 30, tzinfo=UTC)) == "2027-01-15T08:30:00Z"


@pytest.mark.parametrize(("text", "span"), [("14d", 14), ("2w", 14), ("36h", 1.5)])
def test_spans(text: str, span: float) -> None:
    assert parse_span(text) == timedelta(days=span)


# --- enforceFrom ------------------------------------------------------------------------------


def scheduled_at(enforce_from: object) -> dict[str, Any]:
    return {"policies": {"no-root-containers": {"enforceFrom": enforce_from}}}


def test_a_minute_before_enforce_from_the_policy_warns_and_says_when() -> None:
    (finding,) = root_findings(
        scheduled_at("2027-01-15"), datetime(2027, 1, 15, tzinfo=UTC) - MINUTE
    )
    assert finding.mode == "scheduled"
    assert finding.enforce_from == datetime(2027, 1, 15, tzinfo=UTC)


def test_from_enforce_from_on_the_policy_denies() -> None:
    start = datetime(2027, 1, 15, tzinfo=UTC)
    assert [f.mode for f in root_findings(scheduled_at("2027-01-15"), start)] == ["enforce"]
    assert [f.mode for f in root_findings(scheduled_at("2027-01-15"), start + MINUTE)] == [
        "enforce"
    ]


def test_a_zoned_enforce_from_is_the_same_instant_everywhere() -> None:
    """09:00 in Tokyo is midnight UTC: a minute before it warns, a minute after denies."""
    raw = scheduled_at("2027-01-15T09:00:00+09:00")
    start = datetime(2027, 1, 15, 9, tzinfo=TOKYO)
    assert root_findings(raw, start - MINUTE)[0].mode == "scheduled"
    assert (
        root_findings(raw, (start + MINUTE).astimezone(timezone(timedelta(hours=-5))))[0].mode
        == "enforce"
    )


def test_dry_run_is_stronger_than_any_date() -> None:
    raw = {"policies": {"no-root-containers": {"mode": "dry-run", "enforceFrom": "2020-01-01"}}}
    assert root_findings(raw, NOW)[0].mode == "dry-run"
    global_dry_run = {"mode": "dry-run", **scheduled_at("2020-01-01")}
    assert root_findings(global_dry_run, NOW)[0].mode == "dry-run"


def test_the_policy_state_follows_the_clock() -> None:
    raw = scheduled_at("2027-01-15")
    for other in ("no-plaintext-secrets", "require-resource-limits"):
        raw["policies"][other] = {"enabled": False}
    loaded = config(raw)
    (policy,) = [p for p in loaded.policies if p.policy.id == "no-root-containers"]
    before, start = datetime(2027, 1, 14, 23, 59, tzinfo=UTC), datetime(2027, 1, 15, tzinfo=UTC)
    assert loaded.effect_of(policy, before) == "scheduled"
    assert loaded.effect_of(policy, start) == "enforce"
    assert loaded.enforces_in("payments", before) is False
    assert loaded.enforces_in("payments", start) is True


def test_enforce_from_errors_name_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        config(scheduled_at("2027-01-15T09:00"))
    assert str(caught.value).startswith(
        "gatehouse.yaml: policies.no-root-containers.enforceFrom: 2027-01-15T09:00:00 names no "
        "time zone"
    )


# --- exceptions -------------------------------------------------------------------------------


def granted(**fields: Any) -> dict[str, Any]:
    exception = {
        "policy": "no-root-containers",
        "namespace": "payments",
        "kind": "Deployment",
        "name": "legacy",
        "reason": "the vendor image needs root until v3 ships",
        "owner": "team-payments",
        "expires": "2027-02-01",
        **fields,
    }
    return {"exceptions": [{k: v for k, v in exception.items() if v is not None}]}


def test_an_exception_covers_its_workload_until_it_expires() -> None:
    expires = datetime(2027, 2, 1, tzinfo=UTC)
    (before,) = root_findings(granted(), expires - MINUTE)
    assert before.mode == "excepted" and before.exception is not None
    assert (before.exception.reason, before.exception.owner) == (
        "the vendor image needs root until v3 ships",
        "team-payments",
    )
    (after,) = root_findings(granted(), expires + MINUTE)
    assert after.mode == "enforce"
    assert after.lapsed is not None and after.lapsed.expiry == "2027-02-01"


def test_an_expiry_in_another_zone_is_the_same_instant() -> None:
    raw = granted(expires="2027-02-01T08:00:00-05:00")  # 13:00 UTC
    assert root_findings(raw, datetime(2027, 2, 1, 12, 59, tzinfo=UTC))[0].mode == "excepted"
    assert root_findings(raw, datetime(2027, 2, 1, 13, 1, tzinfo=UTC))[0].mode == "enforce"


@pytest.mark.parametrize(
    ("fields", "covered"),
    [
        ({}, True),
        ({"namespace": "pay*"}, True),
        ({"namespace": "billing"}, False),
        ({"kind": "StatefulSet"}, False),
        ({"name": "legacy-*"}, False),
        ({"name": "leg*"}, True),
        ({"container": "app"}, True),
        ({"container": "sidecar"}, False),
        ({"kind": None, "name": None, "selector": {"matchLabels": {"tier": "legacy"}}}, True),
        ({"kind": None, "name": None, "selector": {"matchLabels": {"tier": "web"}}}, False),
        (
            {
                "kind": None,
                "name": None,
                "selector": {
                    "matchExpressions": [
                        {"key": "tier", "operator": "In", "values": ["legacy", "old"]},
                        {"key": "canary", "operator": "DoesNotExist"},
                    ]
                },
            },
            True,
        ),
        (
            {
                "kind": None,
                "name": None,
                "selector": {
                    "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["legacy"]}]
                },
            },
            False,
        ),
        ({"policy": "require-resource-limits"}, False),
    ],
)
def test_what_an_exception_covers(fields: dict[str, Any], covered: bool) -> None:
    obj = deployment(ROOT, name="legacy", namespace="payments")
    obj["metadata"]["labels"] = {"tier": "legacy"}
    (finding,) = root_findings(granted(**fields), NOW, obj)
    assert (finding.mode == "excepted") is covered


def test_an_env_name_narrows_a_secret_exception_to_that_variable() -> None:
    raw = granted(policy="no-plaintext-secrets", envName="LEGACY_TOKEN")
    env = [
        {"name": "LEGACY_TOKEN", "value": "tok-1a2b3c4d5e"},
        {"name": "API_TOKEN", "value": "tok-9z8y7x6w5v"},
    ]
    obj = deployment(container(env=env), name="legacy", namespace="payments")
    modes = {
        f.violation.message.split()[1]: f.mode
        for f in evaluate(obj, config(raw), now=NOW)
        if f.violation.policy == "no-plaintext-secrets"
    }
    assert sorted(modes) == ["API_TOKEN", "LEGACY_TOKEN"]
    assert modes["LEGACY_TOKEN"] == "excepted" and modes["API_TOKEN"] == "enforce"


def test_of_two_exceptions_the_unexpired_one_applies() -> None:
    raw = granted()
    raw["exceptions"].append({**raw["exceptions"][0], "expires": "2027-01-05", "owner": "old-team"})
    (finding,) = root_findings(raw, NOW)
    assert finding.mode == "excepted" and finding.exception is not None
    assert finding.exception.owner == "team-payments"


def test_an_excepted_dry_run_finding_is_excepted_too() -> None:
    raw = {**granted(), "mode": "dry-run"}
    assert root_findings(raw, NOW)[0].mode == "excepted"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": None}, "exceptions[0].reason: required"),
        ({"reason": ""}, "exceptions[0].reason: required"),
        ({"expires": None}, "exceptions[0].expires: required"),
        ({"owner": None}, "exceptions[0].owner: required"),
        ({"namespace": None}, "exceptions[0].namespace: required"),
        ({"policy": "no-latest-tags"}, "exceptions[0].policy: unknown policy 'no-latest-tags'"),
        ({"expires": "2027-06-01"}, "exceptions[0].expires: 2027-06-01 is more than 90 days away"),
        (
            {"expires": "2027-02-01T00:00"},
            "exceptions[0].expires: 2027-02-01T00:00:00 names no time zone",
        ),
        ({"name": None}, "exceptions[0]: name what it covers: kind and name, or a label selector"),
        ({"envName": "TOKEN"}, "exceptions[0].envName: only no-plaintext-secrets findings"),
        ({"team": "x"}, "exceptions[0].team: unknown key"),
        (
            {"selector": {"matchLabels": {"a": 1}}},
            "exceptions[0].selector.matchLabels: expected a mapping of strings",
        ),
        (
            {"selector": {"matchExpressions": [{"key": "a", "operator": "Has"}]}},
            "exceptions[0].selector.matchExpressions[0].operator: 'Has' is not one of",
        ),
        (
            {"selector": {"matchExpressions": [{"key": "a", "operator": "In"}]}},
            "exceptions[0].selector.matchExpressions[0].values: In needs some values",
        ),
        ({"ticket": 42}, "exceptions[0].ticket: expected a non-empty string"),
    ],
)
def test_each_malformed_exception_names_its_key(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(granted(**fields))
    assert str(caught.value).startswith(f"gatehouse.yaml: {message}")


def test_the_maximum_is_configurable_and_checked() -> None:
    assert config({**granted(expires="2027-06-01"), "maxExceptionDays": 180}).exceptions
    with pytest.raises(ConfigError, match=r"maxExceptionDays: expected a whole number of days"):
        config({"maxExceptionDays": "90"})
    with pytest.raises(ConfigError, match=r"exceptions: expected a list, got dict"):
        config({"exceptions": {"policy": "no-root-containers"}})


def test_an_exception_already_expired_is_valid_and_applies_to_nothing() -> None:
    raw = granted(expires="2027-01-01")
    (finding,) = root_findings(raw, NOW)
    assert finding.mode == "enforce" and finding.lapsed is not None
