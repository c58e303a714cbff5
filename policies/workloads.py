"""Where each workload kind keeps its pod spec, known in one place.

Policies are written once against a pod spec; this module finds the pod specs
in any object and makes sure the fields the policies read have the types the
Kubernetes API gives them, so a policy never has to guard against garbage.
"""

from collections.abc import Mapping
from typing import Any

from policies.base import LIST_FIELDS, Json, PodSpec, Violation

MALFORMED_ID = "valid-pod-spec"
_MALFORMED_HINT = "fix the manifest so it matches the Kubernetes API schema (kubectl apply --dry-run=server)"

# kind -> the keys from the object's root down to the pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


class MalformedObject(Exception):
    """The object is not shaped like its kind; carries one violation per problem."""

    def __init__(self, problems: list[Violation]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


def has_pod_spec(kind: object) -> bool:
    return isinstance(kind, str) and kind in POD_SPEC_PATHS


def pod_specs(obj: Json) -> list[PodSpec]:
    """The pod specs in ``obj`` (none for kinds without one).

    Raises MalformedObject when a pod spec or a field a policy reads has the wrong type.
    """
    keys = POD_SPEC_PATHS.get(obj.get("kind"))  # type: ignore[arg-type]
    if keys is None:
        return []
    node: Any = obj
    path: list[str] = []
    for key in keys:
        path.append(key)
        node = node.get(key) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            where = ".".join(path)
            raise MalformedObject([_problem(where, f"expected an object, got {_type_name(node)}")])
    pod = PodSpec(path=".".join(path), spec=node)
    problems = list(_shape_problems(pod))
    if problems:
        raise MalformedObject(problems)
    return [pod]


def _shape_problems(pod: PodSpec) -> list[Violation]:
    problems: list[Violation] = []
    expect = _Expect(problems)
    spec = pod.spec
    expect.mapping(spec, "securityContext", pod.path)
    expect.mapping(spec, "os", pod.path)
    expect.security_context(pod.field("securityContext"), f"{pod.path}.securityContext")
    if not isinstance(spec.get("containers"), list):
        expect.report(f"{pod.path}.containers", f"expected a list, got {_type_name(spec.get('containers'))}")
    for field in LIST_FIELDS.values():
        items = spec.get(field)
        if field != "containers" and not expect.optional_list(spec, field, pod.path):
            continue
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            where = f"{pod.path}.{field}[{index}]"
            if not isinstance(item, Mapping):
                expect.report(where, f"expected a container object, got {_type_name(item)}")
                continue
            if not isinstance(item.get("name"), str):
                expect.report(f"{where}.name", "expected the container's name as a string")
            expect.container(item, where)
    return problems


class _Expect:
    """Collects type problems for the fields the policies read."""

    def __init__(self, problems: list[Violation]) -> None:
        self.problems = problems

    def report(self, path: str, message: str) -> None:
        self.problems.append(_problem(path, message))

    def mapping(self, parent: Json, key: str, path: str) -> bool:
        value = parent.get(key)
        if value is None or isinstance(value, Mapping):
            return True
        self.report(f"{path}.{key}", f"expected an object, got {_type_name(value)}")
        return False

    def optional_list(self, parent: Json, key: str, path: str) -> bool:
        value = parent.get(key)
        if value is None or isinstance(value, list):
            return True
        self.report(f"{path}.{key}", f"expected a list, got {_type_name(value)}")
        return False

    def scalar(self, parent: Json, key: str, path: str, kinds: tuple[type, ...], what: str) -> None:
        value = parent.get(key)
        if value is None:
            return
        # bool is an int in Python; the API never sends a bool where it wants an int.
        if isinstance(value, bool) and bool not in kinds:
            self.report(f"{path}.{key}", f"expected {what}, got a boolean")
        elif not isinstance(value, kinds):
            self.report(f"{path}.{key}", f"expected {what}, got {_type_name(value)}")

    def security_context(self, ctx: Json, path: str) -> None:
        self.scalar(ctx, "runAsUser", path, (int,), "an integer")
        self.scalar(ctx, "runAsNonRoot", path, (bool,), "true or false")

    def container(self, item: Json, where: str) -> None:
        if self.mapping(item, "securityContext", where):
            self.security_context(item.get("securityContext") or {}, f"{where}.securityContext")
        if self.mapping(item, "resources", where):
            resources = item.get("resources") or {}
            self.mapping(resources, "limits", f"{where}.resources")
            self.mapping(resources, "requests", f"{where}.resources")
        self.scalar(item, "image", where, (str,), "a string")
        if not self.optional_list(item, "env", where):
            return
        for index, var in enumerate(item.get("env") or []):
            var_path = f"{where}.env[{index}]"
            if not isinstance(var, Mapping):
                self.report(var_path, f"expected an env var object, got {_type_name(var)}")
                continue
            if not isinstance(var.get("name"), str):
                self.report(f"{var_path}.name", "expected the variable's name as a string")
            # Never echo the value itself: it may be the very secret we look for.
            self.scalar(var, "value", var_path, (str,), "a string")


def _problem(path: str, message: str) -> Violation:
    return Violation(MALFORMED_ID, "", None, path, message, _MALFORMED_HINT)


def _type_name(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
