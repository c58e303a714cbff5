"""The policies Gatehouse runs, in a fixed order, checked when the program starts.

Each policy is one module exposing ``ID``, ``SUMMARY``, ``HELP`` (a paragraph
for reports' rule help, Markdown with backticks only), ``SETTINGS_KEYS``,
``parse_settings`` and ``check``; a module that lacks one fails at import, not
in the middle of an admission review.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from policies import no_plaintext_secrets, no_root_containers, require_resource_limits
from policies.base import PodSpec, Violation


@dataclass(frozen=True)
class Policy:
    id: str
    summary: str
    help: str
    settings_keys: tuple[str, ...]
    exemption_keys: tuple[str, ...]
    parse_settings: Callable[[Mapping[str, object]], Any]
    check: Callable[[PodSpec, Any], list[Violation]]


def _register(module: ModuleType) -> Policy:
    policy = Policy(
        id=module.ID,
        summary=module.SUMMARY,
        help=module.HELP,
        settings_keys=tuple(module.SETTINGS_KEYS),
        exemption_keys=tuple(getattr(module, "EXEMPTION_KEYS", ())),
        parse_settings=module.parse_settings,
        check=module.check,
    )
    if not re.fullmatch(r"[a-z]+(-[a-z]+)*", policy.id):
        raise RuntimeError(f"policy id {policy.id!r} is not kebab-case")
    if module.__name__.rsplit(".", 1)[-1] != policy.id.replace("-", "_"):
        raise RuntimeError(f"policy {policy.id!r} must live in a module named after its id")
    return policy


POLICIES: tuple[Policy, ...] = tuple(
    _register(m) for m in (no_plaintext_secrets, no_root_containers, require_resource_limits)
)
BY_ID: dict[str, Policy] = {p.id: p for p in POLICIES}
if len(BY_ID) != len(POLICIES):
    raise RuntimeError("two policies share an id")
