"""Time-boxed rollout: a policy that enforces from a date, and exceptions that lapse.

Both live in the config file, owned by the platform team, and are read by the
webhook, ``gatehouse scan`` and ``gatehouse audit`` alike, so a date means the
same thing everywhere: before ``enforceFrom`` a policy's findings are warnings
that say when they start to count; an exception stops applying the moment it
expires, and the finding then says which exception lapsed.

Times are compared as instants: a date alone (``2027-01-15``) is midnight UTC
of that day; a date-time must name its zone (``2027-01-15T09:00:00+01:00``).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

DEFAULT_MAX_EXCEPTION_DAYS = 90
EXCEPTION_KEYS = (
    "policy",
    "namespace",
    "kind",
    "name",
    "selector",
    "container",
    "envName",
    "reason",
    "owner",
    "expires",
    "ticket",
)
_SELECTOR_KEYS = ("matchLabels", "matchExpressions")
_EXPRESSION_KEYS = ("key", "operator", "values")
_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


class RolloutError(ValueError):
    """A date or an exception in the config is wrong; the message starts with the key's path."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str]

    def holds(self, labels: Mapping[str, object]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        inside = present and labels[self.key] in self.values
        return inside if self.operator == "In" else not inside


@dataclass(frozen=True)
class Selector:
    """A Kubernetes label selector: every requirement must hold (an empty one selects all)."""

    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, object]) -> bool:
        return all(r.holds(labels) for r in self.requirements)


@dataclass(frozen=True)
class PolicyException:
    """One granted exception: what it covers, why, who answers for it, and until when."""

    policy: str
    namespace: str  # a glob: "team-*"
    kind: str | None
    name: str | None  # a glob
    selector: Selector | None
    container: str | None
    env_name: str | None
    reason: str
    owner: str
    expires: datetime
    ticket: str | None
    where: str  # its path in the config, ``exceptions[3]``, for messages

    def covers(
        self,
        policy: str,
        namespace: str,
        kind: str,
        name: str,
        labels: Mapping[str, object],
        container: str,
        env_name: str,
    ) -> bool:
        return (
            policy == self.policy
            and fnmatchcase(namespace, self.namespace)
            and (self.kind is None or kind == self.kind)
            and (self.name is None or fnmatchcase(name, self.name))
            and (self.selector is None or self.selector.matches(labels))
            and (self.container is None or container == self.container)
            and (self.env_name is None or env_name == self.env_name)
        )

    def lapsed(self, now: datetime) -> bool:
        return now >= self.expires

    @property
    def expiry(self) -> str:
        """How people write the expiry: the date, with the time only when it is not midnight UTC."""
        return show_instant(self.expires)


def parse_instant(raw: object, where: str) -> datetime:
    """A YAML date, date-time or ISO string as an aware UTC instant."""
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime(raw.year, raw.month, raw.day, tzinfo=UTC)
    elif isinstance(raw, str):
        try:
            value = (
                datetime.fromisoformat(raw)
                if "T" in raw or " " in raw.strip()
                else datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
            )
        except ValueError:
            raise RolloutError(
                f"{where}: {raw!r} is not an ISO date (2027-01-15) or date-time with a zone "
                "(2027-01-15T09:00:00+01:00)"
            ) from None
    else:
        raise RolloutError(f"{where}: expected an ISO date or date-time, got {type(raw).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise RolloutError(
            f"{where}: {_show_naive(value)} names no time zone; add one (Z, +01:00) or give a date"
        )
    return value.astimezone(UTC)


def parse_exceptions(
    raw: object, known_policies: Sequence[str], max_days: int, now: datetime
) -> tuple[PolicyException, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RolloutError(f"exceptions: expected a list, got {type(raw).__name__}")
    return tuple(
        _exception(item, f"exceptions[{index}]", known_policies, max_days, now)
        for index, item in enumerate(raw)
    )


def _exception(
    raw: object, where: str, known_policies: Sequence[str], max_days: int, now: datetime
) -> PolicyException:
    if not isinstance(raw, Mapping):
        raise RolloutError(f"{where}: expected a mapping, got {type(raw).__name__}")
    for key in raw:
        if key not in EXCEPTION_KEYS:
            raise RolloutError(f"{where}.{key}: unknown key (known: {', '.join(EXCEPTION_KEYS)})")
    for key in ("policy", "namespace", "reason", "owner", "expires"):
        if raw.get(key) in (None, ""):
            raise RolloutError(f"{where}.{key}: required")
    policy = _text(raw, "policy", where)
    if policy not in known_policies:
        raise RolloutError(f"{where}.policy: unknown policy {policy!r}")
    kind, name, selector = raw.get("kind"), raw.get("name"), raw.get("selector")
    if selector is None and (kind is None or name is None):
        raise RolloutError(
            f"{where}: name what it covers: kind and name, or a label selector (selector)"
        )
    if raw.get("envName") is not None and policy != "no-plaintext-secrets":
        raise RolloutError(f"{where}.envName: only no-plaintext-secrets findings have an env name")
    expires = parse_instant(raw["expires"], f"{where}.expires")
    if expires > now + timedelta(days=max_days):
        raise RolloutError(
            f"{where}.expires: {show_instant(expires)} is more than {max_days} days away "
            f"(maxExceptionDays); grant it for less and renew it"
        )
    return PolicyException(
        policy=policy,
        namespace=_text(raw, "namespace", where),
        kind=_optional_text(raw, "kind", where),
        name=_optional_text(raw, "name", where),
        selector=_selector(selector, f"{where}.selector") if selector is not None else None,
        container=_optional_text(raw, "container", where),
        env_name=_optional_text(raw, "envName", where),
        reason=_text(raw, "reason", where),
        owner=_text(raw, "owner", where),
        expires=expires,
        ticket=_optional_text(raw, "ticket", where),
        where=where,
    )


def _selector(raw: object, where: str) -> Selector:
    if not isinstance(raw, Mapping) or not raw:
        raise RolloutError(f"{where}: expected matchLabels and/or matchExpressions")
    for key in raw:
        if key not in _SELECTOR_KEYS:
            raise RolloutError(f"{where}.{key}: unknown key (known: {', '.join(_SELECTOR_KEYS)})")
    requirements: list[Requirement] = []
    labels = raw.get("matchLabels") or {}
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise RolloutError(f"{where}.matchLabels: expected a mapping of strings")
    requirements += [Requirement(k, "In", frozenset({v})) for k, v in labels.items()]
    expressions = raw.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise RolloutError(f"{where}.matchExpressions: expected a list")
    for index, expression in enumerate(expressions):
        path = f"{where}.matchExpressions[{index}]"
        if not isinstance(expression, Mapping):
            raise RolloutError(f"{path}: expected a mapping")
        for key in expression:
            if key not in _EXPRESSION_KEYS:
                raise RolloutError(
                    f"{path}.{key}: unknown key (known: {', '.join(_EXPRESSION_KEYS)})"
                )
        operator = expression.get("operator")
        if operator not in _OPERATORS:
            raise RolloutError(
                f"{path}.operator: {operator!r} is not one of {', '.join(_OPERATORS)}"
            )
        values = expression.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise RolloutError(f"{path}.values: expected a list of strings")
        if (operator in ("In", "NotIn")) != bool(values):
            raise RolloutError(
                f"{path}.values: {operator} needs {'some' if operator in ('In', 'NotIn') else 'no'} values"
            )
        requirements.append(
            Requirement(_text(expression, "key", path), operator, frozenset(values))
        )
    return Selector(tuple(requirements))


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RolloutError(f"{where}.{key}: expected a non-empty string")
    return value


def _optional_text(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    return None if raw.get(key) is None else _text(raw, key, where)


def show_instant(instant: datetime) -> str:
    """An instant as people write it: the date alone when it is midnight UTC."""
    if instant.time() == datetime.min.time():
        return instant.date().isoformat()
    return instant.isoformat().replace("+00:00", "Z")


def _show_naive(value: datetime) -> str:
    return value.isoformat()


_DURATION = re.compile(r"(\d+)([dhw])")


def parse_span(text: str) -> timedelta:
    """``14d``, ``36h`` or ``2w`` as a timedelta (``gatehouse audit --expiring``)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a span like 14d, 36h or 2w")
    count, unit = int(match[1]), match[2]
    return {"d": timedelta(days=count), "h": timedelta(hours=count), "w": timedelta(weeks=count)}[
        unit
    ]
