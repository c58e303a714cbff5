"""Every container declares the resources it may use.

Without limits one container can starve a node. Which resources are required
is configurable; ephemeral containers cannot carry resources and are exempt. A
quantity of zero counts as unset (a limit of 0 is no limit), and one that is
not a Kubernetes quantity is reported as such.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from policies.base import PodSpec, SettingsError, Violation
from policies.quantity import sign_of

ID = "require-resource-limits"
SETTINGS_KEYS = ("require",)
SUMMARY = "containers must set CPU and memory limits"
KNOWN = ("limits.cpu", "limits.memory", "requests.cpu", "requests.memory")
DEFAULT_REQUIRED = ("limits.cpu", "limits.memory")
HELP = (
    "Without limits one container can starve a node. Every container and init container "
    "sets the resources the config requires (`limits.cpu` and `limits.memory` by default) "
    "to a positive quantity: an empty string or a zero in any spelling counts as unset, and "
    "a value that is not a Kubernetes quantity is reported as such. Ephemeral containers "
    "cannot carry resources and are exempt."
)


@dataclass(frozen=True)
class Settings:
    required: tuple[str, ...] = DEFAULT_REQUIRED


def parse_settings(raw: Mapping[str, object]) -> Settings:
    required = raw.get("require", list(DEFAULT_REQUIRED))
    if not isinstance(required, list) or not required:
        raise SettingsError("require: expected a non-empty list, e.g. [limits.cpu, limits.memory]")
    unknown = [r for r in required if r not in KNOWN]
    if unknown:
        raise SettingsError(f"require: unknown resource {unknown[0]!r} (known: {', '.join(KNOWN)})")
    return Settings(required=tuple(dict.fromkeys(str(r) for r in required)))


def check(pod: PodSpec, settings: Settings) -> list[Violation]:
    violations = []
    required = [(r, *r.partition(".")[::2]) for r in settings.required]
    for container in pod.containers(init=True, ephemeral=False):
        resources = container.field("resources")
        for name, section, resource in required:
            declared = resources.get(section)
            amount = declared.get(resource) if isinstance(declared, dict) else None
            if amount and sign_of(amount) == "positive":
                continue
            violations.append(
                Violation(
                    ID,
                    container.name,
                    container.kind,
                    f"{container.path}.resources.{name}",
                    _problem(amount, resource, section[:-1]),
                    f"set resources.{name} (e.g. {_EXAMPLE[resource]})",
                )
            )
    return violations


def _problem(amount: object, resource: str, what: str) -> str:
    """What is wrong with the declared ``amount``, which is not a positive quantity."""
    if amount is None or amount == "":
        return f"sets no {resource} {what}"
    sign = sign_of(amount)
    if sign == "zero":
        return f"sets a {resource} {what} of zero, which is no {what} at all"
    if sign == "negative":
        return f"sets a negative {resource} {what}"
    return f"sets a {resource} {what} that is not a Kubernetes quantity"


_EXAMPLE = {"cpu": '"500m"', "memory": '"256Mi"'}
