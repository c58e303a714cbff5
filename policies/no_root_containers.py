"""Containers must not run as root.

The image's default user is unknown here and is often root, so a container
passes only when ``runAsNonRoot: true`` or a non-zero ``runAsUser`` is in
effect. Container-level securityContext overrides pod-level field by field.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from policies.base import Container, PodSpec, Violation

ID = "no-root-containers"
SETTINGS_KEYS: tuple[str, ...] = ()
SUMMARY = "containers must run as a non-root user"
HINT = "set securityContext.runAsNonRoot: true and a non-zero runAsUser (pod or container)"


@dataclass(frozen=True)
class Settings:
    """This policy has no settings of its own."""


def parse_settings(raw: Mapping[str, object]) -> Settings:
    return Settings()


def check(pod: PodSpec, settings: Settings) -> list[Violation]:
    if pod.is_windows:
        return []
    return [v for c in pod.containers(init=True) if (v := _check_container(pod, c)) is not None]


def _check_container(pod: PodSpec, container: Container) -> Violation | None:
    pod_ctx = pod.field("securityContext")
    own_ctx = container.field("securityContext")
    if "runAsUser" in own_ctx and own_ctx["runAsUser"] is not None:
        user, user_path = own_ctx["runAsUser"], f"{container.path}.securityContext.runAsUser"
    else:
        user, user_path = pod_ctx.get("runAsUser"), f"{pod.path}.securityContext.runAsUser"
    non_root = own_ctx.get("runAsNonRoot")
    non_root_path = f"{container.path}.securityContext.runAsNonRoot"
    if non_root is None:
        non_root = pod_ctx.get("runAsNonRoot")
        if non_root is not None:  # an explicit pod-level value is the line to fix
            non_root_path = f"{pod.path}.securityContext.runAsNonRoot"

    if user == 0:
        return _violation(container, user_path, "runs as root: runAsUser is 0")
    if user is None and non_root is not True:
        return _violation(
            container,
            non_root_path,
            "may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set",
        )
    return None


def _violation(container: Container, path: str, message: str) -> Violation:
    return Violation(ID, container.name, container.kind, path, message, HINT)
