"""require-resource-limits on pod specs directly, and its `require` setting."""

from typing import Any

import pytest

from policies.base import PodSpec, SettingsError, Violation
from policies.require_resource_limits import (
    DEFAULT_REQUIRED,
    ID,
    SETTINGS_KEYS,
    Settings,
    check,
    parse_settings,
)

ROOT = "spec.jobTemplate.spec.template.spec"  # a CronJob's pod spec
C0 = f"{ROOT}.containers[0].resources"
ALL = ["limits.cpu", "limits.memory", "requests.cpu", "requests.memory"]


def spec(resources: object = None, **container: object) -> PodSpec:
    body: dict[str, Any] = {"name": "app", **container}
    if resources is not None:
        body["resources"] = resources
    return PodSpec(ROOT, {"containers": [body]})


def missing(pod: PodSpec, require: list[str] | None = None) -> list[str]:
    raw = {} if require is None else {"require": require}
    return [v.path for v in check(pod, parse_settings(raw))]


@pytest.mark.parametrize(
    "resources, require, expected",
    [
        (None, None, ["limits.cpu", "limits.memory"]),
        ({}, None, ["limits.cpu", "limits.memory"]),
        ({"limits": {"cpu": "500m", "memory": "256Mi"}}, None, []),
        ({"limits": {"cpu": 2, "memory": 1073741824}}, None, []),
        ({"limits": {"cpu": "500m"}}, None, ["limits.memory"]),
        ({"limits": {"memory": "256Mi"}}, None, ["limits.cpu"]),
        ({"limits": {"cpu": "", "memory": "256Mi"}}, None, ["limits.cpu"]),
        ({"limits": {"cpu": "", "memory": ""}}, None, ["limits.cpu", "limits.memory"]),
        ({"limits": {"cpu": None, "memory": "256Mi"}}, None, ["limits.cpu"]),
        ({"limits": None}, None, ["limits.cpu", "limits.memory"]),
        ({"limits": {}}, None, ["limits.cpu", "limits.memory"]),
        ({"requests": {"cpu": "1", "memory": "1Gi"}}, None, ["limits.cpu", "limits.memory"]),
        (
            {"limits": {"gpu": "1", "ephemeral-storage": "1Gi"}},
            None,
            ["limits.cpu", "limits.memory"],
        ),
        # only memory required
        ({"limits": {"memory": "256Mi"}}, ["limits.memory"], []),
        ({"limits": {"cpu": "1"}}, ["limits.memory"], ["limits.memory"]),
        # requests too
        ({"limits": {"cpu": "1", "memory": "1Gi"}}, ALL, ["requests.cpu", "requests.memory"]),
        (
            {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}},
            ALL,
            [],
        ),
        ({"requests": {"memory": ""}}, ["requests.memory"], ["requests.memory"]),
        # reported in the order the setting lists them
        (None, ["limits.memory", "limits.cpu"], ["limits.memory", "limits.cpu"]),
    ],
)
def test_required_resources(
    resources: object, require: list[str] | None, expected: list[str]
) -> None:
    assert missing(spec(resources), require) == [f"{C0}.{r}" for r in expected]


def test_containers_and_init_containers_are_checked_ephemeral_are_exempt() -> None:
    limits = {"limits": {"cpu": "1", "memory": "1Gi"}}
    pod = PodSpec(
        "spec",
        {
            "containers": [{"name": "app", "resources": limits}, {"name": "logs"}],
            "initContainers": [
                {"name": "migrate", "resources": {"limits": {"memory": "1Gi"}}},
                {"name": "proxy", "restartPolicy": "Always", "resources": {"limits": {"cpu": "1"}}},
            ],
            "ephemeralContainers": [{"name": "debug"}],
        },
    )
    found = [(v.policy, v.container, v.container_kind, v.path) for v in check(pod, Settings())]
    assert found == [
        (ID, "logs", "container", "spec.containers[1].resources.limits.cpu"),
        (ID, "logs", "container", "spec.containers[1].resources.limits.memory"),
        (ID, "migrate", "initContainer", "spec.initContainers[0].resources.limits.cpu"),
        (ID, "proxy", "initContainer", "spec.initContainers[1].resources.limits.memory"),
    ]


@pytest.mark.parametrize(
    "amount",
    ["0", "0m", "0Mi", "0.0", "0e3", "+0", "-0", ".0", "0.", "00000", "0Ki", "0E-2", 0, 0.0],
)
def test_a_zero_quantity_is_no_limit(amount: object) -> None:
    (violation,) = check(spec({"limits": {"cpu": amount, "memory": "1Gi"}}), Settings())
    assert violation.path == f"{C0}.limits.cpu"
    assert violation.message == "sets a cpu limit of zero, which is no limit at all"


@pytest.mark.parametrize(
    "amount", ["1", "1m", "0.5", ".5", "5.", "1e3", "1E-2", "+1", "0.001", "129M", "1Ki", 1, 0.5]
)
def test_a_positive_quantity_is_a_limit(amount: object) -> None:
    assert check(spec({"limits": {"cpu": amount, "memory": amount}}), Settings()) == []


@pytest.mark.parametrize("amount", ["-1", "-500m", -1, -0.5])
def test_a_negative_quantity_is_reported(amount: object) -> None:
    (violation,) = check(spec({"limits": {"cpu": amount, "memory": "1Gi"}}), Settings())
    assert violation.message == "sets a negative cpu limit"


@pytest.mark.parametrize(
    "amount",
    ["half", "1 Gi", "1gb", "1.2.3", "m", "1KiB", "0x10", "1e", "1e+", " 1", True, [1], {"a": 1}],
)
def test_a_value_that_is_not_a_quantity_is_reported_without_echoing_it(amount: object) -> None:
    (violation,) = check(spec({"limits": {"cpu": "1", "memory": amount}}), Settings())
    assert violation.message == "sets a memory limit that is not a Kubernetes quantity"


def test_a_zero_request_counts_as_unset_where_requests_are_required() -> None:
    resources = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "0", "memory": "0Mi"}}
    found = [v.message for v in check(spec(resources), Settings(required=tuple(ALL)))]
    assert found == [
        "sets a cpu request of zero, which is no request at all",
        "sets a memory request of zero, which is no request at all",
    ]


def test_windows_pods_are_still_checked() -> None:
    pod = PodSpec("spec", {"os": {"name": "windows"}, "containers": [{"name": "iis"}]})
    assert len(check(pod, Settings())) == 2


@pytest.mark.parametrize(
    "required, words",
    [
        ("limits.cpu", ("cpu", "limit")),
        ("limits.memory", ("memory", "limit")),
        ("requests.cpu", ("cpu", "request")),
        ("requests.memory", ("memory", "request")),
    ],
)
def test_message_and_hint_are_one_line_and_name_the_field(
    required: str, words: tuple[str, str]
) -> None:
    (violation,) = check(spec(), Settings(required=(required,)))
    assert isinstance(violation, Violation)
    for text in (violation.message, violation.hint):
        assert text and "\n" not in text and "\r" not in text
    assert all(word in violation.message for word in words)
    assert f"resources.{required}" in violation.hint
    assert violation.path.endswith(f".resources.{required}")


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({}, ("limits.cpu", "limits.memory")),
        ({"require": ["limits.memory"]}, ("limits.memory",)),
        ({"require": ["requests.cpu", "limits.cpu"]}, ("requests.cpu", "limits.cpu")),
        ({"require": ALL}, tuple(ALL)),
        ({"require": ["limits.cpu", "limits.cpu"]}, ("limits.cpu",)),  # duplicates collapse
        ({"enabled": True, "mode": "dry-run"}, ("limits.cpu", "limits.memory")),  # not ours
    ],
)
def test_settings(raw: dict[str, object], expected: tuple[str, ...]) -> None:
    assert parse_settings(raw) == Settings(required=expected)


@pytest.mark.parametrize(
    "require, fragment",
    [
        ("limits.cpu", "expected a non-empty list"),
        ([], "expected a non-empty list"),
        (None, "expected a non-empty list"),
        ({"limits": "cpu"}, "expected a non-empty list"),
        (["limits.gpu"], "unknown resource 'limits.gpu'"),
        (["limits.cpu", "cpu"], "unknown resource 'cpu'"),
        (["limits"], "unknown resource 'limits'"),
        ([5], "unknown resource 5"),
        ([["limits.cpu"]], "unknown resource ['limits.cpu']"),
    ],
)
def test_bad_settings_name_the_key(require: object, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"require": require})
    message = str(caught.value)
    assert message.startswith("require: ")
    assert fragment in message
    assert "\n" not in message


def test_defaults() -> None:
    assert SETTINGS_KEYS == ("require",)
    assert Settings().required == DEFAULT_REQUIRED == ("limits.cpu", "limits.memory")
