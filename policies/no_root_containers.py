"""Containers must not run as root, nor hold root's powers on the node.

The image's default user is unknown here and is often root, so a container
passes only when ``runAsNonRoot: true`` or a non-zero ``runAsUser`` is in
effect. Container-level securityContext overrides pod-level field by field.
Ephemeral containers (``kubectl debug``) are judged like the others: a root
shell inside a running pod is what this policy exists to refuse.

With ``denyPrivileged`` (on by default) a privileged container, or one that
adds the ``SYS_ADMIN`` or ``ALL`` capabilities, is refused too, whatever its
user: either is root on the node in all but name.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from policies.base import Container, PodSpec, SettingsError, Violation

ID = "no-root-containers"
SETTINGS_KEYS = ("denyPrivileged",)
SUMMARY = "containers must run as a non-root user, unprivileged"
HINT = "set securityContext.runAsNonRoot: true and a non-zero runAsUser (pod or container)"
PRIVILEGED_HINT = "remove securityContext.privileged (or set it to false)"
CAPABILITY_HINT = "add only the capabilities the process needs, never SYS_ADMIN or ALL"
HELP = (
    "The image's default user is unknown and is often root, so a container passes only when "
    "`runAsNonRoot: true` or a non-zero `runAsUser` is in effect; the container's "
    "`securityContext` overrides the pod's, field by field. Ephemeral containers "
    "(`kubectl debug`) are judged like the others. With `denyPrivileged` (on by default) a "
    "privileged container, or one that adds the `SYS_ADMIN` or `ALL` capabilities, is "
    "refused too, whatever its user: either is root on the node in all but name."
)
# Capabilities that amount to root on the node, as the kernel spells them without CAP_.
ROOT_CAPABILITIES = ("SYS_ADMIN", "ALL")


@dataclass(frozen=True)
class Settings:
    deny_privileged: bool = True


def parse_settings(raw: Mapping[str, object]) -> Settings:
    deny = raw.get("denyPrivileged", True)
    if not isinstance(deny, bool):
        raise SettingsError(f"denyPrivileged: expected true or false, got {deny!r}")
    return Settings(deny_privileged=deny)


def check(pod: PodSpec, settings: Settings) -> list[Violation]:
    violations: list[Violation] = []
    windows = pod.is_windows  # Windows has no uid 0; runAsUser does not apply there
    for container in pod.containers(init=True, ephemeral=True):
        if not windows:
            root = _root_user(pod, container)
            if root is not None:
                violations.append(root)
        if settings.deny_privileged:
            violations.extend(_root_powers(container))
    return violations


def _root_user(pod: PodSpec, container: Container) -> Violation | None:
    pod_ctx = pod.field("securityContext")
    own_ctx = container.field("securityContext")
    # The container's own value wins; the line to fix is where the value in effect is set
    # (the container's, when neither sets it).
    own_user = own_ctx.get("runAsUser")
    user = own_user if own_user is not None else pod_ctx.get("runAsUser")
    own_non_root = own_ctx.get("runAsNonRoot")
    non_root = own_non_root if own_non_root is not None else pod_ctx.get("runAsNonRoot")
    if user == 0:
        where = container.path if own_user is not None else pod.path
        return _violation(
            container, f"{where}.securityContext.runAsUser", "runs as root: runAsUser is 0", HINT
        )
    if user is None and non_root is not True:
        where = pod.path if own_non_root is None and non_root is not None else container.path
        return _violation(
            container,
            f"{where}.securityContext.runAsNonRoot",
            "may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set",
            HINT,
        )
    return None


def _root_powers(container: Container) -> list[Violation]:
    """Privileged mode and root's capabilities: only a container's own context has them."""
    context = container.field("securityContext")
    privileged = context.get("privileged") is True
    capabilities = context.get("capabilities")
    added = capabilities.get("add") if isinstance(capabilities, dict) else None
    if not privileged and not added:
        return []
    found = []
    where = f"{container.path}.securityContext"
    if privileged:
        found.append(
            _violation(
                container,
                f"{where}.privileged",
                "is privileged: it has root on the node",
                PRIVILEGED_HINT,
            )
        )
    for index, name in enumerate(added if isinstance(added, list) else ()):
        capability = _capability(name)
        if capability in ROOT_CAPABILITIES:
            found.append(
                _violation(
                    container,
                    f"{where}.capabilities.add[{index}]",
                    f"adds the {capability} capability: root on the node in all but name",
                    CAPABILITY_HINT,
                )
            )
    return found


def _capability(name: object) -> str:
    """``sys_admin``, ``CAP_SYS_ADMIN`` and ``SYS_ADMIN`` all name one capability for the runtime."""
    if not isinstance(name, str):
        return ""
    upper = name.strip().upper()
    return upper.removeprefix("CAP_")


def _violation(container: Container, path: str, message: str, hint: str) -> Violation:
    return Violation(ID, container.name, container.kind, path, message, hint)
