"""The config file: shipped defaults and strict validation (the environment: tests/webhook/test_options.py)."""

import dataclasses
from pathlib import Path

import pytest
import yaml

from policies.config import (
    DEFAULT_CONFIG,
    Config,
    ConfigError,
    PolicyConfig,
    load_config,
    parse_config,
)
from policies.registry import POLICIES
from policies.require_resource_limits import Settings as LimitsSettings

SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})


def write(tmp_path: Path, text: str | bytes, name: str = "gatehouse.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def by_id(config: Config, policy_id: str) -> PolicyConfig:
    (found,) = [p for p in config.policies if p.policy.id == policy_id]
    return found


# --- the shipped default ----------------------------------------------------------------------


def test_default_config_is_the_documented_defaults() -> None:
    config = load_config()
    assert config.source == str(DEFAULT_CONFIG)
    assert config.mode == "enforce"
    assert config.exempt_namespaces == SYSTEM_NAMESPACES
    assert [p.policy.id for p in config.policies] == [p.id for p in POLICIES]
    for policy in config.policies:
        assert policy.enabled is True
        assert policy.mode is None
        assert config.mode_of(policy) == "enforce"
        assert policy.exempt_namespaces == frozenset()
        assert policy.exempt_images == ()
    limits = by_id(config, "require-resource-limits").settings
    assert limits == LimitsSettings(required=("limits.cpu", "limits.memory"))


def test_default_file_says_what_an_empty_file_means(tmp_path: Path) -> None:
    """The shipped file and the built-in defaults cannot drift apart."""
    shipped = dataclasses.replace(load_config(), source="")
    assert shipped == dataclasses.replace(load_config(write(tmp_path, "")), source="")
    assert shipped == dataclasses.replace(parse_config({}), source="")


def test_default_file_is_the_one_in_the_package() -> None:
    assert DEFAULT_CONFIG.parent.name == "policies"
    assert DEFAULT_CONFIG.name == "default-config.yaml"
    assert set(yaml.safe_load(DEFAULT_CONFIG.read_text())) == {
        "mode",
        "exemptNamespaces",
        "policies",
    }


# --- validation errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key_path, problem",
    [
        ("bogus: 1\n", "bogus", "unknown key"),
        ("Mode: enforce\n", "Mode", "unknown key"),
        ("policies:\n  no-such-policy: {}\n", "policies.no-such-policy", "unknown key"),
        (
            "policies:\n  no-root-containers:\n    severity: high\n",
            "policies.no-root-containers.severity",
            "unknown key",
        ),
        (
            "policies:\n  no-root-containers:\n    require: [limits.cpu]\n",
            "policies.no-root-containers.require",
            "unknown key",
        ),
        (
            "policies:\n  no-root-containers:\n    exemptions:\n      envNames: [DEBUG]\n",
            "policies.no-root-containers.exemptions.envNames",
            "unknown key",
        ),
        (
            "policies:\n  require-resource-limits:\n    exemptions:\n      envNames: [DEBUG]\n",
            "policies.require-resource-limits.exemptions.envNames",
            "unknown key",
        ),
        (
            "policies:\n  no-root-containers:\n    exemptions:\n      users: [root]\n",
            "policies.no-root-containers.exemptions.users",
            "unknown key",
        ),
        ("mode: block\n", "mode", "'block' is not one of enforce, dry-run"),
        ("mode: Enforce\n", "mode", "is not one of"),
        ("mode: 1\n", "mode", "is not one of"),
        ("mode:\n", "mode", "must not be empty"),
        (
            "policies:\n  no-root-containers:\n    mode: warn\n",
            "policies.no-root-containers.mode",
            "'warn' is not one of",
        ),
        (
            "policies:\n  no-root-containers:\n    enabled: 'false'\n",
            "policies.no-root-containers.enabled",
            "expected true or false",
        ),
        (
            "policies:\n  no-root-containers:\n    enabled: 0\n",
            "policies.no-root-containers.enabled",
            "expected true or false",
        ),
        (
            "policies:\n  no-root-containers: false\n",
            "policies.no-root-containers",
            "expected a mapping",
        ),
        (
            "policies:\n  require-resource-limits: []\n",
            "policies.require-resource-limits",
            "expected a mapping",
        ),
        (
            "policies:\n  require-resource-limits: off\n",
            "policies.require-resource-limits",
            "expected a mapping",
        ),
        ("policies: [no-root-containers]\n", "policies", "expected a mapping"),
        ("exemptNamespaces: kube-system\n", "exemptNamespaces", "expected a list of strings"),
        ("exemptNamespaces: [kube-system, 7]\n", "exemptNamespaces", "expected a list of strings"),
        (
            "policies:\n  no-root-containers:\n    exemptions: [legacy]\n",
            "policies.no-root-containers.exemptions",
            "expected a mapping",
        ),
        (
            "policies:\n  no-root-containers:\n    exemptions:\n      namespaces: legacy\n",
            "policies.no-root-containers.exemptions.namespaces",
            "expected a list of strings",
        ),
        (
            "policies:\n  require-resource-limits:\n    exemptions:\n      images: [{a: b}]\n",
            "policies.require-resource-limits.exemptions.images",
            "expected a list of strings",
        ),
        (
            "policies:\n  no-plaintext-secrets:\n    exemptions:\n      envNames: DEBUG\n",
            "policies.no-plaintext-secrets.exemptions.envNames",
            "expected a list of strings",
        ),
        (
            "policies:\n  no-plaintext-secrets:\n    exemptions:\n      envNames: false\n",
            "policies.no-plaintext-secrets.exemptions.envNames",
            "expected a list of strings",
        ),
        (
            "policies:\n  require-resource-limits:\n    require: limits.cpu\n",
            "policies.require-resource-limits.require",
            "expected a non-empty list",
        ),
        (
            "policies:\n  require-resource-limits:\n    require: []\n",
            "policies.require-resource-limits.require",
            "expected a non-empty list",
        ),
        (
            "policies:\n  require-resource-limits:\n    require: [limits.gpu]\n",
            "policies.require-resource-limits.require",
            "unknown resource 'limits.gpu'",
        ),
        ("- mode: enforce\n", "the top level", "expected a mapping"),
        ("enforce\n", "the top level", "expected a mapping"),
    ],
    ids=[
        "unknown-top-key",
        "top-key-wrong-case",
        "unknown-policy-id",
        "unknown-policy-key",
        "require-on-root-policy",
        "env-names-on-root-policy",
        "env-names-on-limits-policy",
        "unknown-exemption-key",
        "bad-mode",
        "mode-wrong-case",
        "mode-number",
        "mode-empty",
        "bad-policy-mode",
        "enabled-string",
        "enabled-number",
        "policy-body-false",
        "policy-body-list",
        "policy-body-yaml-off",
        "policies-list",
        "namespaces-string",
        "namespaces-number-item",
        "exemptions-list",
        "exemption-namespaces-string",
        "exemption-images-object-item",
        "env-names-not-a-list",
        "env-names-false",
        "require-string",
        "require-empty",
        "require-unknown",
        "top-level-list",
        "top-level-scalar",
    ],
)
def test_invalid_config_names_file_and_key(
    tmp_path: Path, text: str, key_path: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key_path}: ")
    assert problem in message
    assert "\n" not in message


def test_parse_config_raises_config_error_naming_the_source() -> None:
    with pytest.raises(ConfigError, match=r"^values\.yaml: policies\.nope: unknown key"):
        parse_config({"policies": {"nope": {}}}, "values.yaml")


@pytest.mark.parametrize(
    "text, line, problem",
    [
        (
            "mode: enforce\nexemptNamespaces: [a, b\npolicies: {}\n",
            3,
            "did not find expected ',' or ']'",
        ),
        (
            "mode: enforce\npolicies:\n  no-root-containers:\n    enabled: true\n   mode: x\n",
            5,
            "did not find expected key",
        ),
        ("mode: enforce\n\tbad: tab\n", 2, "found a tab character that violates indentation"),
        ("mode: enforce\nexemptNamespaces: [a]\x07\n", 2, "control characters are not allowed"),
    ],
)
def test_invalid_yaml_names_file_line_and_what_is_wrong(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}:{line}: not valid YAML ({problem})"


CANARY = "hunter2-" + "Xq81Lmz0"


@pytest.mark.parametrize(
    "text",
    [
        f"mode: enforce\nexemptNamespaces: {CANARY}: x\n",
        f"mode: !{CANARY} enforce\n",
        f"mode: !!int {CANARY}\n",
        f"mode: !!binary {CANARY}%\n",
        f'mode: "{CANARY}\n',
        f"mode: *{CANARY}\n",
        f"mode: {CANARY}\x01\n",
    ],
)
def test_invalid_yaml_never_quotes_the_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "not valid YAML (" in str(caught.value)
    assert CANARY not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match="cannot read") as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read") as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path}: ")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"mode: enforce\n# caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: not UTF-8 text"


# --- what valid settings mean -----------------------------------------------------------------


def test_per_policy_settings_are_loaded(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
mode: dry-run
exemptNamespaces: [ci]
policies:
  no-root-containers:
    enabled: false
    exemptions:
      namespaces: [legacy, tools]
      images: ["registry.example.com/legacy/*"]
  require-resource-limits:
    mode: enforce
    require: [limits.memory, requests.memory]
""",
    )
    config = load_config(path)
    assert config.source == str(path)
    assert config.mode == "dry-run"
    assert config.exempt_namespaces == frozenset({"ci"})
    root = by_id(config, "no-root-containers")
    assert root.enabled is False
    assert root.mode is None and config.mode_of(root) == "dry-run"
    assert root.exempt_namespaces == frozenset({"legacy", "tools"})
    assert root.exempt_images == ("registry.example.com/legacy/*",)
    limits = by_id(config, "require-resource-limits")
    assert limits.enabled is True
    assert limits.mode == "enforce" and config.mode_of(limits) == "enforce"
    assert limits.settings == LimitsSettings(required=("limits.memory", "requests.memory"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", SYSTEM_NAMESPACES),
        ("exemptNamespaces: []\n", frozenset()),
        ("exemptNamespaces: [team-a]\n", frozenset({"team-a"})),
    ],
)
def test_exempt_namespaces_replace_the_default(
    tmp_path: Path, text: str, expected: frozenset[str]
) -> None:
    assert load_config(write(tmp_path, text)).exempt_namespaces == expected


@pytest.mark.parametrize(
    "image, exempt",
    [
        ("registry.example.com/legacy/app:1.0", True),
        ("registry.example.com/legacy/team/app@sha256:abc", True),
        ("registry.example.com/app:1.0", False),
        ("docker.io/registry.example.com/legacy/app", False),
        ("busybox:debug", True),
        ("busybox:1.36", False),
        ("", False),
    ],
)
def test_image_exemptions_are_globs(image: str, exempt: bool) -> None:
    config = parse_config(
        {
            "policies": {
                "no-root-containers": {
                    "exemptions": {"images": ["registry.example.com/legacy/*", "*:debug"]}
                }
            }
        }
    )
    assert by_id(config, "no-root-containers").exempts_image(image) is exempt


def test_with_mode_keeps_everything_else() -> None:
    config = parse_config({"policies": {"no-root-containers": {"mode": "enforce"}}})
    changed = config.with_mode("dry-run")
    assert changed.mode == "dry-run"
    assert changed.policies == config.policies
    assert changed.exempt_namespaces == config.exempt_namespaces
    assert changed.mode_of(by_id(changed, "no-root-containers")) == "enforce"
    assert changed.mode_of(by_id(changed, "require-resource-limits")) == "dry-run"
