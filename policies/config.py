"""Gatehouse's configuration file: loaded once, validated strictly, then immutable.

A typo in a config file must fail loudly with the key's path, never silently
turn a policy off.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

import yaml

from policies.base import SettingsError
from policies.registry import BY_ID, POLICIES, Policy
from policies.rollout import (
    DEFAULT_MAX_EXCEPTION_DAYS,
    PolicyException,
    RolloutError,
    parse_exceptions,
    parse_instant,
)

Mode = Literal["enforce", "dry-run"]
MODES: tuple[Mode, ...] = ("enforce", "dry-run")
# What a policy does at a given moment: "scheduled" is enforce before its enforceFrom.
Effect = Literal["enforce", "dry-run", "scheduled"]
DEFAULT_CONFIG = Path(__file__).with_name("default-config.yaml")
DEFAULT_EXEMPT_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")

_TOP_KEYS = ("mode", "exemptNamespaces", "policies", "exceptions", "maxExceptionDays")
_POLICY_KEYS = ("enabled", "mode", "enforceFrom", "exemptions")
_EXEMPTION_KEYS = ("namespaces", "images")


class ConfigError(ValueError):
    """The config file is unreadable or invalid; the message names the file and key."""


@dataclass(frozen=True)
class PolicyConfig:
    policy: Policy
    enabled: bool
    mode: Mode | None  # None: follow the global mode
    exempt_namespaces: frozenset[str]
    exempt_images: tuple[str, ...]
    settings: Any
    enforce_from: datetime | None = None  # enforcing, but only warning until then

    def exempts_image(self, image: str) -> bool:
        return any(fnmatchcase(image, pattern) for pattern in self.exempt_images)


@dataclass(frozen=True)
class Config:
    mode: Mode
    exempt_namespaces: frozenset[str]
    policies: tuple[PolicyConfig, ...]
    source: str
    exceptions: tuple[PolicyException, ...] = ()
    max_exception_days: int = DEFAULT_MAX_EXCEPTION_DAYS

    def mode_of(self, policy: PolicyConfig) -> Mode:
        return policy.mode or self.mode

    def effect_of(self, policy: PolicyConfig, now: datetime) -> Effect:
        """What ``policy`` does at ``now``: dry-run is stronger than any date."""
        mode = self.mode_of(policy)
        if mode == "enforce" and policy.enforce_from is not None and now < policy.enforce_from:
            return "scheduled"
        return mode

    def enforces_in(self, namespace: str, now: datetime) -> bool:
        """Whether some policy that judges objects in ``namespace`` would deny at ``now``."""
        return any(
            p.enabled
            and namespace not in p.exempt_namespaces
            and self.effect_of(p, now) == "enforce"
            for p in self.policies
        )

    def with_mode(self, mode: Mode) -> "Config":
        return replace(self, mode=mode)


def load_config(path: str | os.PathLike[str] | None = None, now: datetime | None = None) -> Config:
    """The config at ``path``, or the shipped default when ``path`` is None.

    ``now`` (default: the current time) is what exception expiries are checked against.
    """
    source = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text") from None
    try:
        raw = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc, text)
        raise ConfigError(f"{source}:{line}: not valid YAML ({problem})") from None
    # A tag the safe constructor knows but the value does not fit (`!!int twelve`): its
    # message quotes the value.
    except (ValueError, TypeError, OverflowError):
        raise ConfigError(f"{source}: not valid YAML (a value that does not fit its tag)") from None
    return parse_config(raw if raw is not None else {}, str(source), now)


def yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """The 1-based line and libyaml's description of what is wrong with ``text``.

    libyaml's descriptions are fixed strings (``mapping values are not allowed in
    this context``); the error's own text is not used, as its snippet would quote
    the line, which may hold a secret.
    """
    if isinstance(exc, yaml.reader.ReaderError):
        return text.encode()[: exc.position].count(b"\n") + 1, str(exc.reason)
    if isinstance(exc, yaml.constructor.ConstructorError):  # its text quotes the tag
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        return line, "a value that does not fit its tag"
    if isinstance(exc, yaml.MarkedYAMLError):
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        return line, str(exc.problem or exc.context or "not valid YAML")
    return 1, "not valid YAML"


class _Invalid(ValueError):
    pass


def parse_config(raw: object, source: str = "<config>", now: datetime | None = None) -> Config:
    """Validate an already-parsed config; errors are ConfigError naming ``source`` and the key."""
    try:
        return _parse(raw, source, now or datetime.now(UTC))
    except (_Invalid, RolloutError) as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _parse(raw: object, source: str, now: datetime) -> Config:
    top = _mapping(raw, "", _TOP_KEYS)
    mode = _mode(top.get("mode", "enforce"), "mode")
    if mode is None:
        raise _Invalid("mode: must not be empty")
    exempt = _strings(
        top.get("exemptNamespaces", list(DEFAULT_EXEMPT_NAMESPACES)), "exemptNamespaces"
    )
    raw_policies = _mapping(top.get("policies", {}), "policies", tuple(BY_ID))
    policies = tuple(
        # No `or {}`: `no-root-containers: false` is a type error, not an enabled policy.
        _policy(p, raw_policies.get(p.id), f"policies.{p.id}")
        for p in POLICIES
    )
    max_days = top.get("maxExceptionDays", DEFAULT_MAX_EXCEPTION_DAYS)
    if not isinstance(max_days, int) or isinstance(max_days, bool) or not 1 <= max_days <= 3650:
        raise _Invalid(
            f"maxExceptionDays: expected a whole number of days (1-3650), got {max_days!r}"
        )
    exceptions = parse_exceptions(top.get("exceptions"), tuple(BY_ID), max_days, now)
    return Config(mode, frozenset(exempt), policies, source, exceptions, max_days)


def _policy(policy: Policy, raw: object, where: str) -> PolicyConfig:
    body = _mapping(raw, where, _POLICY_KEYS + policy.settings_keys)
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _Invalid(f"{where}.enabled: expected true or false, got {enabled!r}")
    exemptions = _mapping(
        body.get("exemptions", {}), f"{where}.exemptions", _EXEMPTION_KEYS + policy.exemption_keys
    )
    for key in policy.exemption_keys:  # policy-specific exemptions, e.g. envNames: globs
        _strings(exemptions.get(key, []), f"{where}.exemptions.{key}")
    try:
        settings = policy.parse_settings(body)
    except SettingsError as exc:
        raise _Invalid(f"{where}.{exc}") from None
    return PolicyConfig(
        policy=policy,
        enabled=enabled,
        mode=_mode(body.get("mode"), f"{where}.mode"),
        exempt_namespaces=frozenset(
            _strings(exemptions.get("namespaces", []), f"{where}.exemptions.namespaces")
        ),
        exempt_images=tuple(_strings(exemptions.get("images", []), f"{where}.exemptions.images")),
        settings=settings,
        enforce_from=(
            parse_instant(body["enforceFrom"], f"{where}.enforceFrom")
            if body.get("enforceFrom") is not None
            else None
        ),
    )


def _mapping(raw: object, where: str, known: tuple[str, ...]) -> Mapping[str, Any]:
    label = where or "the top level"
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _Invalid(f"{label}: expected a mapping, got {type(raw).__name__}")
    for key in raw:
        if key not in known:
            path = f"{where}.{key}" if where else str(key)
            raise _Invalid(f"{path}: unknown key (known: {', '.join(known)})")
    return raw


def _mode(raw: object, where: str) -> Mode | None:
    if raw is None:
        return None
    if raw not in MODES:
        raise _Invalid(f"{where}: {raw!r} is not one of {', '.join(MODES)}")
    return raw


def _strings(raw: object, where: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise _Invalid(f"{where}: expected a list of strings")
    return list(raw)
