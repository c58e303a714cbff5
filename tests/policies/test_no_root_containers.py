"""no-root-containers on pod specs directly: effective user, field-by-field override."""

from typing import Any

import pytest

from policies import no_root_containers
from policies.base import PodSpec, SettingsError, Violation
from policies.no_root_containers import ID, Settings, check, parse_settings

ROOT = "spec.template.spec"  # a Deployment's pod spec, so paths must start at the object root
C0 = f"{ROOT}.containers[0].securityContext"
POD = f"{ROOT}.securityContext"
MAYBE = "may run as root"
IS_ROOT = "runs as root: runAsUser is 0"


def spec(pod_ctx: dict[str, Any] | None, own_ctx: dict[str, Any] | None) -> PodSpec:
    container: dict[str, Any] = {"name": "app", "image": "nginx"}
    if own_ctx is not None:
        container["securityContext"] = own_ctx
    body: dict[str, Any] = {"containers": [container]}
    if pod_ctx is not None:
        body["securityContext"] = pod_ctx
    return PodSpec(ROOT, body)


def run(pod: PodSpec) -> list[Violation]:
    return check(pod, parse_settings({}))


@pytest.mark.parametrize(
    "pod_ctx, own_ctx, expected",
    [
        # nothing in effect: the image's user, often root
        (None, None, (f"{C0}.runAsNonRoot", MAYBE)),
        ({}, {}, (f"{C0}.runAsNonRoot", MAYBE)),
        # runAsNonRoot: true or a non-zero runAsUser, at either level
        ({"runAsNonRoot": True}, None, None),
        (None, {"runAsNonRoot": True}, None),
        ({"runAsUser": 1000}, None, None),
        (None, {"runAsUser": 1000}, None),
        # runAsUser 0 is root wherever it comes from
        ({"runAsUser": 0}, None, (f"{POD}.runAsUser", IS_ROOT)),
        (None, {"runAsUser": 0}, (f"{C0}.runAsUser", IS_ROOT)),
        (None, {"runAsUser": 0, "runAsNonRoot": True}, (f"{C0}.runAsUser", IS_ROOT)),
        # container overrides pod, field by field, in both directions
        ({"runAsUser": 0}, {"runAsUser": 1000}, None),
        ({"runAsUser": 1000}, {"runAsUser": 0}, (f"{C0}.runAsUser", IS_ROOT)),
        ({"runAsNonRoot": True}, {"runAsUser": 0}, (f"{C0}.runAsUser", IS_ROOT)),
        ({"runAsNonRoot": False}, {"runAsNonRoot": True}, None),
        ({"runAsNonRoot": True}, {"runAsNonRoot": False}, (f"{C0}.runAsNonRoot", MAYBE)),
        ({"runAsUser": 0}, {"runAsNonRoot": True}, (f"{POD}.runAsUser", IS_ROOT)),
        ({"runAsNonRoot": True}, {"runAsUser": 1000}, None),
        # runAsNonRoot: false does not matter once a non-zero user is set
        (None, {"runAsNonRoot": False, "runAsUser": 1000}, None),
        ({"runAsNonRoot": False, "runAsUser": 1000}, None, None),
        ({"runAsNonRoot": False}, {"runAsUser": 1000}, None),
        # an explicit pod-level false is reported where it is written
        ({"runAsNonRoot": False}, None, (f"{POD}.runAsNonRoot", MAYBE)),
        # null means "not set": fall back to the pod level
        ({"runAsUser": 0}, {"runAsUser": None}, (f"{POD}.runAsUser", IS_ROOT)),
        ({"runAsNonRoot": True}, {"runAsNonRoot": None}, None),
        # unrelated fields do not help
        (
            {"runAsGroup": 1000, "fsGroup": 1000},
            {"privileged": False},
            (f"{C0}.runAsNonRoot", MAYBE),
        ),
    ],
)
def test_effective_user(
    pod_ctx: dict[str, Any] | None,
    own_ctx: dict[str, Any] | None,
    expected: tuple[str, str] | None,
) -> None:
    violations = run(spec(pod_ctx, own_ctx))
    if expected is None:
        assert violations == []
        return
    (violation,) = violations
    path, message_start = expected
    assert (violation.policy, violation.container, violation.container_kind) == (
        ID,
        "app",
        "container",
    )
    assert violation.path == path
    assert violation.message.startswith(message_start)


def test_every_container_is_checked_ephemeral_ones_too() -> None:
    pod = PodSpec(
        "spec",
        {
            "securityContext": {"runAsNonRoot": True},
            "containers": [{"name": "ok"}, {"name": "root", "securityContext": {"runAsUser": 0}}],
            "initContainers": [
                {"name": "setup", "securityContext": {"runAsNonRoot": False}},
                {"name": "sidecar", "restartPolicy": "Always", "securityContext": {"runAsUser": 0}},
            ],
            "ephemeralContainers": [{"name": "debug", "securityContext": {"runAsUser": 0}}],
        },
    )
    found = [(v.container, v.container_kind, v.path) for v in run(pod)]
    assert found == [
        ("root", "container", "spec.containers[1].securityContext.runAsUser"),
        ("setup", "initContainer", "spec.initContainers[0].securityContext.runAsNonRoot"),
        ("sidecar", "initContainer", "spec.initContainers[1].securityContext.runAsUser"),
        ("debug", "ephemeralContainer", "spec.ephemeralContainers[0].securityContext.runAsUser"),
    ]


@pytest.mark.parametrize(
    "os, expected",
    [({"name": "windows"}, 0), ({"name": "linux"}, 2), ({}, 2), (None, 2)],
    ids=["windows", "linux", "os-empty", "os-absent"],
)
def test_windows_pods_are_out_of_scope(os: dict[str, str] | None, expected: int) -> None:
    body: dict[str, Any] = {
        "containers": [{"name": "iis", "securityContext": {"runAsUser": 0}}],
        "initContainers": [{"name": "setup"}],
    }
    if os is not None:
        body["os"] = os
    assert len(run(PodSpec("spec", body))) == expected


def test_no_containers_no_violations() -> None:
    assert run(PodSpec("spec", {"containers": []})) == []


@pytest.mark.parametrize(
    "pod_ctx, own_ctx, field",
    [
        (None, None, "runAsNonRoot"),
        (None, {"runAsUser": 0}, "runAsUser"),
        ({"runAsNonRoot": False}, None, "runAsNonRoot"),
        ({"runAsUser": 0}, None, "runAsUser"),
    ],
)
def test_message_and_hint_are_one_line_and_name_the_field(
    pod_ctx: dict[str, Any] | None, own_ctx: dict[str, Any] | None, field: str
) -> None:
    (violation,) = run(spec(pod_ctx, own_ctx))
    for text in (violation.message, violation.hint):
        assert text and "\n" not in text and "\r" not in text
    assert field in violation.message
    assert violation.path.endswith(f"securityContext.{field}")
    assert "runAsNonRoot: true" in violation.hint and "runAsUser" in violation.hint


@pytest.mark.parametrize(
    "own_ctx, path, message",
    [
        ({"privileged": True}, "privileged", "is privileged: it has root on the node"),
        ({"capabilities": {"add": ["SYS_ADMIN"]}}, "capabilities.add[0]", "adds the SYS_ADMIN"),
        (
            {"capabilities": {"add": ["CHOWN", "CAP_SYS_ADMIN"]}},
            "capabilities.add[1]",
            "adds the SYS_ADMIN",
        ),
        ({"capabilities": {"add": ["sys_admin"]}}, "capabilities.add[0]", "adds the SYS_ADMIN"),
        ({"capabilities": {"add": [" ALL "]}}, "capabilities.add[0]", "adds the ALL capability"),
        ({"capabilities": {"add": ["cap_all"]}}, "capabilities.add[0]", "adds the ALL capability"),
    ],
)
def test_root_powers_are_denied_whatever_the_user(
    own_ctx: dict[str, Any], path: str, message: str
) -> None:
    (violation,) = run(spec({"runAsNonRoot": True, "runAsUser": 1000}, own_ctx))
    assert violation.path == f"{C0}.{path}"
    assert violation.message.startswith(message)
    assert violation.hint != no_root_containers.HINT  # its own fix, not the runAsUser one
    assert "\n" not in violation.message + violation.hint


@pytest.mark.parametrize(
    "own_ctx",
    [
        {"privileged": False},
        {"capabilities": {"add": ["NET_ADMIN", "NET_BIND_SERVICE"]}},
        {"capabilities": {"drop": ["ALL"]}},
        {"capabilities": {"add": []}},
        {"capabilities": {}},
        {"allowPrivilegeEscalation": True},  # no capability to escalate to on its own
    ],
)
def test_narrow_powers_pass(own_ctx: dict[str, Any]) -> None:
    assert run(spec({"runAsNonRoot": True}, own_ctx)) == []


def test_a_privileged_root_container_is_reported_for_both() -> None:
    found = [v.path for v in run(spec(None, {"runAsUser": 0, "privileged": True}))]
    assert found == [f"{C0}.runAsUser", f"{C0}.privileged"]


def test_deny_privileged_can_be_turned_off() -> None:
    pod = spec({"runAsNonRoot": True}, {"privileged": True, "capabilities": {"add": ["ALL"]}})
    assert check(pod, parse_settings({"denyPrivileged": False})) == []
    assert len(check(pod, parse_settings({}))) == 2


def test_privileged_windows_containers_are_still_checked() -> None:
    body = {
        "os": {"name": "windows"},
        "containers": [{"name": "iis", "securityContext": {"privileged": True}}],
    }
    (violation,) = run(PodSpec("spec", body))
    assert violation.path == "spec.containers[0].securityContext.privileged"


@pytest.mark.parametrize("raw", ["yes", 1, None, []])
def test_deny_privileged_must_be_a_boolean(raw: object) -> None:
    with pytest.raises(SettingsError, match=r"^denyPrivileged: expected true or false"):
        parse_settings({"denyPrivileged": raw})


def test_settings() -> None:
    assert no_root_containers.SETTINGS_KEYS == ("denyPrivileged",)
    assert parse_settings({}) == Settings(deny_privileged=True)
    assert parse_settings({"denyPrivileged": False}) == Settings(deny_privileged=False)
    assert ID == "no-root-containers"
