"""The types every policy speaks: a pod spec goes in, violations come out.

Paths are dotted JSON paths from the object's root
(``spec.template.spec.containers[1].env[3].value``) so a person can find the line.
"""

import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

Json = Mapping[str, Any]
ContainerKind = Literal["container", "initContainer", "ephemeralContainer"]

LIST_FIELDS: dict[ContainerKind, str] = {
    "container": "containers",
    "initContainer": "initContainers",
    "ephemeralContainer": "ephemeralContainers",
}


class SettingsError(ValueError):
    """A policy's setting in the config file is wrong; the message names the key."""


class OverBudget(Exception):
    """Judging ran past its deadline (``Deadline.check``)."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """When judging one object must be over (``time.monotonic()``), checked between pieces
    of work small enough to bound the overrun: a container, an env var.

    It lets a review that is too large or too costly end with a verdict instead of
    holding a worker; the caller decides what the verdict is.
    """

    at: float = math.inf

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise OverBudget

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)


NO_DEADLINE = Deadline()


@dataclass(slots=True)
class Container:
    name: str
    kind: ContainerKind
    path: str
    spec: Json

    @property
    def image(self) -> str:
        image = self.spec.get("image")
        return image if isinstance(image, str) else ""

    def field(self, name: str) -> Json:
        """A sub-object such as ``securityContext``; absent means the Kubernetes default."""
        value = self.spec.get(name)
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class PodSpec:
    path: str
    spec: Json
    deadline: Deadline = dataclass_field(default=NO_DEADLINE, repr=False, compare=False)
    # Every policy walks the containers; they are listed once, when the pod spec is made.
    all_containers: tuple[Container, ...] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found: list[Container] = []
        for kind, list_field in LIST_FIELDS.items():
            items = self.spec.get(list_field)
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    found.append(
                        Container(
                            # not str(): a non-string name is reported by the shape check
                            name=name if isinstance(name := item.get("name"), str) else "",
                            kind=kind,
                            path=f"{self.path}.{list_field}[{index}]",
                            spec=item,
                        )
                    )
        object.__setattr__(self, "all_containers", tuple(found))

    def field(self, name: str) -> Json:
        value = self.spec.get(name)
        return value if isinstance(value, dict) else {}

    @property
    def is_windows(self) -> bool:
        return self.field("os").get("name") == "windows"

    def containers(self, *, init: bool = True, ephemeral: bool = False) -> Iterator[Container]:
        """The containers of the kinds asked for; raises OverBudget past the deadline."""
        for container in self.all_containers:
            if container.kind == "container" or (
                init if container.kind == "initContainer" else ephemeral
            ):
                self.deadline.check()
                yield container


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule. ``message`` and ``hint`` never contain a secret value.

    ``fingerprint`` tells two findings with the same message apart by what they
    found (a keyed hash of a secret value): an UPDATE that swaps one secret for
    another is a new finding. It is for comparing within one process only, and
    is never shown, logged or reported.
    """

    policy: str
    container: str
    container_kind: ContainerKind | None
    path: str
    message: str
    hint: str
    fingerprint: bytes = dataclass_field(default=b"", repr=False)
    # The env var a finding is about, for exceptions that name one (``envName``); not shown.
    env_name: str = dataclass_field(default="", repr=False, compare=False)

    @property
    def container_label(self) -> str:
        """How people name the container: ``app``, ``init:migrate``, ``ephemeral:debugger``."""
        if self.container_kind == "initContainer":
            return f"init:{self.container}"
        if self.container_kind == "ephemeralContainer":
            return f"ephemeral:{self.container}"
        return self.container
