"""Where each workload kind keeps its pod spec, known in one place.

Policies are written once against a pod spec; this module finds the pod specs
in any object and makes sure the fields the policies read have the types the
Kubernetes API gives them, so a policy never has to guard against garbage.
"""

from typing import Any

from policies.base import LIST_FIELDS, NO_DEADLINE, Deadline, Json, PodSpec, Violation

MALFORMED_ID = "valid-pod-spec"
MALFORMED_SUMMARY = "the object must have the shape the Kubernetes API requires"
MALFORMED_HELP = (
    "A field Gatehouse reads has the wrong type, for example an env value written as an "
    "unquoted number or a container that is not an object. The API server rejects such an "
    "object too; `kubectl apply --dry-run=server -f FILE` shows its own message."
)
_MALFORMED_HINT = (
    "fix the manifest so it matches the Kubernetes API schema (kubectl apply --dry-run=server)"
)

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


def pod_specs(obj: Json, deadline: Deadline = NO_DEADLINE) -> list[PodSpec]:
    """The pod specs in ``obj`` (none for kinds without one), judged by ``deadline``.

    Raises MalformedObject when a pod spec or a field a policy reads has the wrong type.
    """
    kind = obj.get("kind")
    # A kind that is not a string (even an unhashable list or object) has no pod spec.
    keys = POD_SPEC_PATHS.get(kind) if isinstance(kind, str) else None
    if keys is None:
        return []
    node: Any = obj
    path: list[str] = []
    for key in keys:
        path.append(key)
        node = node.get(key) if type(node) is dict else None
        if type(node) is not dict:
            where = ".".join(path)
            raise MalformedObject([_problem(where, f"expected an object, got {_type_name(node)}")])
    pod = PodSpec(path=".".join(path), spec=node, deadline=deadline)
    problems = list(_shape_problems(pod))
    if problems:
        raise MalformedObject(problems)
    return [pod]


def _shape_problems(pod: PodSpec) -> list[Violation]:
    """Type problems in the fields the policies read. Runs on every review: kept lean."""
    problems: list[Violation] = []
    spec, path = pod.spec, pod.path
    _check_security_context(spec, path, problems)
    if spec.get("os") is not None and type(spec["os"]) is not dict:
        problems.append(_problem(f"{path}.os", f"expected an object, got {_type_name(spec['os'])}"))
    for field in LIST_FIELDS.values():
        items = spec.get(field)
        if type(items) is not list:
            if items is not None or field == "containers":
                problems.append(
                    _problem(f"{path}.{field}", f"expected a list, got {_type_name(items)}")
                )
            continue
        for index, item in enumerate(items):
            where = f"{path}.{field}[{index}]"
            if type(item) is not dict:
                problems.append(
                    _problem(where, f"expected a container object, got {_type_name(item)}")
                )
            else:
                _check_container(item, where, problems)
    return problems


def _check_container(item: Json, where: str, problems: list[Violation]) -> None:
    if type(item.get("name")) is not str:
        problems.append(_problem(f"{where}.name", "expected the container's name as a string"))
    image = item.get("image")
    if image is not None and type(image) is not str:
        problems.append(_problem(f"{where}.image", f"expected a string, got {_type_name(image)}"))
    _check_security_context(item, where, problems)
    resources = item.get("resources")
    if resources is not None:
        if type(resources) is not dict:
            problems.append(
                _problem(f"{where}.resources", f"expected an object, got {_type_name(resources)}")
            )
        else:
            for section in ("limits", "requests"):
                value = resources.get(section)
                if value is not None and type(value) is not dict:
                    problems.append(
                        _problem(
                            f"{where}.resources.{section}",
                            f"expected an object, got {_type_name(value)}",
                        )
                    )
    env = item.get("env")
    if env is None:
        return
    if type(env) is not list:
        problems.append(_problem(f"{where}.env", f"expected a list, got {_type_name(env)}"))
        return
    for index, var in enumerate(env):
        if type(var) is dict and type(var.get("name")) is str and type(var.get("value", "")) is str:
            continue
        var_path = f"{where}.env[{index}]"
        # Never echo the value itself: it may be the very secret we look for.
        if type(var) is not dict:
            problems.append(
                _problem(var_path, f"expected an env var object, got {_type_name(var)}")
            )
            continue
        if type(var.get("name")) is not str:
            problems.append(
                _problem(f"{var_path}.name", "expected the variable's name as a string")
            )
        value = var.get("value")
        if value is not None and type(value) is not str:
            problems.append(
                _problem(f"{var_path}.value", f"expected a string, got {_type_name(value)}")
            )


def _check_security_context(parent: Json, where: str, problems: list[Violation]) -> None:
    context = parent.get("securityContext")
    if context is None:
        return
    if type(context) is not dict:
        problems.append(
            _problem(f"{where}.securityContext", f"expected an object, got {_type_name(context)}")
        )
        return
    user = context.get("runAsUser")
    if user is not None and type(user) is not int:
        problems.append(
            _problem(
                f"{where}.securityContext.runAsUser", f"expected an integer, got {_type_name(user)}"
            )
        )
    for flag in ("runAsNonRoot", "privileged"):
        value = context.get(flag)
        if value is not None and type(value) is not bool:
            problems.append(
                _problem(
                    f"{where}.securityContext.{flag}",
                    f"expected true or false, got {_type_name(value)}",
                )
            )
    capabilities = context.get("capabilities")
    if capabilities is None:
        return
    if type(capabilities) is not dict:
        problems.append(
            _problem(
                f"{where}.securityContext.capabilities",
                f"expected an object, got {_type_name(capabilities)}",
            )
        )
        return
    added = capabilities.get("add")
    if added is not None and (type(added) is not list or any(type(c) is not str for c in added)):
        problems.append(
            _problem(
                f"{where}.securityContext.capabilities.add", "expected a list of capability names"
            )
        )


def _problem(path: str, message: str) -> Violation:
    return Violation(MALFORMED_ID, "", None, path, message, _MALFORMED_HINT)


def _type_name(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
