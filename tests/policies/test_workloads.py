"""Where each kind keeps its pod spec, and how malformed objects are reported."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.base import Json, PodSpec
from policies.config import Config, load_config, parse_config
from policies.engine import Finding, evaluate
from policies.registry import BY_ID
from policies.workloads import MALFORMED_ID, MalformedObject, has_pod_spec, pod_specs
from tests.manifests import POD_SPEC_AT

KINDS = tuple(POD_SPEC_AT)
CONFIG = load_config()


def place(kind: object, path: str, value: object) -> dict[str, Any]:
    """An object of ``kind`` with ``value`` at the dotted ``path``."""
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}
    node = obj
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return obj


def workload(kind: str, pod: object) -> dict[str, Any]:
    return place(kind, POD_SPEC_AT[kind], pod)


def pod(*containers: Json, **fields: object) -> dict[str, Any]:
    return {"containers": list(containers), **fields}


def problems(obj: Json) -> list[tuple[str, str]]:
    with pytest.raises(MalformedObject) as caught:
        pod_specs(obj)
    for problem in caught.value.problems:
        assert problem.policy == MALFORMED_ID
        assert problem.container_kind is None
        assert problem.hint
        assert problem.path in str(caught.value)
    return [(p.path, p.message) for p in caught.value.problems]


# --- where the pod spec is --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_pod_spec_path_for_every_kind(kind: str) -> None:
    spec = pod({"name": "app", "image": "nginx"})
    found = pod_specs(workload(kind, spec))
    assert found == [PodSpec(path=POD_SPEC_AT[kind], spec=spec)]
    assert has_pod_spec(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_container_paths_start_at_the_object_root(kind: str) -> None:
    spec = pod(
        {"name": "app"},
        {"name": "sidecar"},
        initContainers=[{"name": "migrate"}, {"name": "proxy", "restartPolicy": "Always"}],
        ephemeralContainers=[{"name": "debug"}],
    )
    (found,) = pod_specs(workload(kind, spec))
    root = POD_SPEC_AT[kind]
    everything = [(c.name, c.kind, c.path) for c in found.containers(init=True, ephemeral=True)]
    assert everything == [
        ("app", "container", f"{root}.containers[0]"),
        ("sidecar", "container", f"{root}.containers[1]"),
        ("migrate", "initContainer", f"{root}.initContainers[0]"),
        ("proxy", "initContainer", f"{root}.initContainers[1]"),
        ("debug", "ephemeralContainer", f"{root}.ephemeralContainers[0]"),
    ]
    assert [c.name for c in found.containers()] == ["app", "sidecar", "migrate", "proxy"]
    assert [c.name for c in found.containers(init=False)] == ["app", "sidecar"]


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}},
        {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2"}},
        # a kind we do not know, even if shaped like a Deployment
        {"kind": "Rollout", "spec": {"template": {"spec": {"containers": "garbage"}}}},
        {"kind": "pod", "spec": {"containers": "garbage"}},  # kinds are case-sensitive
        {"spec": {"containers": [{"name": "app"}]}},  # no kind at all
        {"kind": None, "spec": {"containers": "garbage"}},
        {"kind": 7, "spec": {}},
        {"kind": ["Pod"], "spec": {}},  # unhashable kinds must not crash
        {"kind": {"name": "Pod"}, "spec": {}},
        {},
    ],
    ids=[
        "service",
        "configmap",
        "secret-kind",
        "unknown-kind",
        "lowercase-pod",
        "missing-kind",
        "null-kind",
        "number-kind",
        "list-kind",
        "object-kind",
        "empty-object",
    ],
)
def test_other_kinds_have_no_pod_spec(obj: Json) -> None:
    assert pod_specs(obj) == []
    assert not has_pod_spec(obj.get("kind"))
    assert evaluate(obj, CONFIG) == []


# --- malformed shapes -------------------------------------------------------------------------


def c(**fields: object) -> dict[str, Any]:
    """A container named app with ``fields``."""
    return {"name": "app", "image": "nginx", **fields}


@pytest.mark.parametrize(
    "obj, expected",
    [
        (place("Pod", "metadata.name", "x"), [("spec", "expected an object, got nothing")]),
        (
            place("Deployment", "spec.template", "pod"),
            [("spec.template", "expected an object, got a string")],
        ),
        (
            place("Deployment", "spec.template.spec", []),
            [("spec.template.spec", "expected an object, got a list")],
        ),
        (
            place("CronJob", "spec.jobTemplate", ["x"]),
            [("spec.jobTemplate", "expected an object, got a list")],
        ),
        (place("PodTemplate", "template", 3), [("template", "expected an object, got a number")]),
        (
            workload("Pod", {"containers": {"name": "app"}}),
            [("spec.containers", "expected a list, got an object")],
        ),
        (workload("Pod", {}), [("spec.containers", "expected a list, got nothing")]),
        (
            workload("Deployment", {"containers": None}),
            [("spec.template.spec.containers", "expected a list, got nothing")],
        ),
        (
            workload("Pod", pod("app")),
            [("spec.containers[0]", "expected a container object, got a string")],
        ),
        (
            workload("Job", pod(c(), None)),
            [("spec.template.spec.containers[1]", "expected a container object, got nothing")],
        ),
        (
            workload("Pod", pod(c(), initContainers={"name": "x"})),
            [("spec.initContainers", "expected a list, got an object")],
        ),
        (
            workload("Pod", pod(c(), initContainers=[True])),
            [("spec.initContainers[0]", "expected a container object, got a boolean")],
        ),
        (
            workload("Pod", pod(c(), ephemeralContainers=["debug"])),
            [("spec.ephemeralContainers[0]", "expected a container object, got a string")],
        ),
        (
            workload("Pod", pod({"image": "nginx"})),
            [("spec.containers[0].name", "expected the container's name as a string")],
        ),
        (
            workload("Pod", pod(c(name=5))),
            [("spec.containers[0].name", "expected the container's name as a string")],
        ),
        (
            workload("Pod", pod(c(image=["nginx"]))),
            [("spec.containers[0].image", "expected a string, got a list")],
        ),
        (
            workload("Pod", pod(c(env={"TOKEN": "x"}))),
            [("spec.containers[0].env", "expected a list, got an object")],
        ),
        (
            workload("Pod", pod(c(env=[{"name": "A", "value": "1"}, "B=2"]))),
            [("spec.containers[0].env[1]", "expected an env var object, got a string")],
        ),
        (
            workload("Pod", pod(c(env=[{"name": "PORT", "value": 8080}]))),
            [("spec.containers[0].env[0].value", "expected a string, got a number")],
        ),
        (
            workload("Pod", pod(c(env=[{"name": 1, "value": "x"}]))),
            [("spec.containers[0].env[0].name", "expected the variable's name as a string")],
        ),
        (
            workload("Deployment", pod(c(securityContext={"runAsUser": "1000"}))),
            [
                (
                    "spec.template.spec.containers[0].securityContext.runAsUser",
                    "expected an integer, got a string",
                )
            ],
        ),
        (
            workload("Pod", pod(c(securityContext={"runAsUser": True}))),
            [
                (
                    "spec.containers[0].securityContext.runAsUser",
                    "expected an integer, got a boolean",
                )
            ],
        ),
        (
            workload("Pod", pod(c(securityContext={"runAsUser": 1000.5}))),
            [("spec.containers[0].securityContext.runAsUser", "expected an integer, got a number")],
        ),
        (
            workload("Pod", pod(c(), securityContext={"runAsUser": False})),
            [("spec.securityContext.runAsUser", "expected an integer, got a boolean")],
        ),
        (
            workload("Pod", pod(c(securityContext={"runAsNonRoot": "true"}))),
            [
                (
                    "spec.containers[0].securityContext.runAsNonRoot",
                    "expected true or false, got a string",
                )
            ],
        ),
        (
            workload("Pod", pod(c(), securityContext={"runAsNonRoot": 1})),
            [("spec.securityContext.runAsNonRoot", "expected true or false, got a number")],
        ),
        (
            workload("Pod", pod(c(securityContext=[{"runAsUser": 1000}]))),
            [("spec.containers[0].securityContext", "expected an object, got a list")],
        ),
        (
            workload("Pod", pod(c(), securityContext=["runAsNonRoot"])),
            [("spec.securityContext", "expected an object, got a list")],
        ),
        (
            workload("Pod", pod(c(resources="small"))),
            [("spec.containers[0].resources", "expected an object, got a string")],
        ),
        (
            workload("CronJob", pod(c(resources={"limits": [{"cpu": "1"}]}))),
            [
                (
                    "spec.jobTemplate.spec.template.spec.containers[0].resources.limits",
                    "expected an object, got a list",
                )
            ],
        ),
        (
            workload("Pod", pod(c(resources={"requests": "1"}))),
            [("spec.containers[0].resources.requests", "expected an object, got a string")],
        ),
        (
            workload("Pod", pod(c(), os="windows")),
            [("spec.os", "expected an object, got a string")],
        ),
        (
            workload("Pod", pod(c(securityContext={"privileged": "true"}))),
            [
                (
                    "spec.containers[0].securityContext.privileged",
                    "expected true or false, got a string",
                )
            ],
        ),
        (
            workload("Pod", pod(c(securityContext={"capabilities": ["SYS_ADMIN"]}))),
            [("spec.containers[0].securityContext.capabilities", "expected an object, got a list")],
        ),
        (
            workload("Pod", pod(c(securityContext={"capabilities": {"add": "SYS_ADMIN"}}))),
            [
                (
                    "spec.containers[0].securityContext.capabilities.add",
                    "expected a list of capability names",
                )
            ],
        ),
        (
            workload("Pod", pod(c(securityContext={"capabilities": {"add": [["SYS_ADMIN"]]}}))),
            [
                (
                    "spec.containers[0].securityContext.capabilities.add",
                    "expected a list of capability names",
                )
            ],
        ),
        # every problem is reported, not just the first
        (
            workload(
                "StatefulSet",
                pod(c(env="A=1"), 42, initContainers=[c(securityContext={"runAsUser": "0"})]),
            ),
            [
                ("spec.template.spec.containers[0].env", "expected a list, got a string"),
                ("spec.template.spec.containers[1]", "expected a container object, got a number"),
                (
                    "spec.template.spec.initContainers[0].securityContext.runAsUser",
                    "expected an integer, got a string",
                ),
            ],
        ),
    ],
    ids=[
        "pod-spec-missing",
        "template-string",
        "template-spec-list",
        "cronjob-jobtemplate-list",
        "podtemplate-template-number",
        "containers-object",
        "containers-missing",
        "containers-null",
        "container-string",
        "container-null",
        "init-containers-object",
        "init-container-bool",
        "ephemeral-container-string",
        "container-name-missing",
        "container-name-number",
        "image-list",
        "env-object",
        "env-entry-string",
        "env-value-number",
        "env-name-number",
        "run-as-user-string",
        "run-as-user-bool",
        "run-as-user-float",
        "pod-run-as-user-bool",
        "run-as-non-root-string",
        "pod-run-as-non-root-number",
        "security-context-list",
        "pod-security-context-list",
        "resources-string",
        "limits-list",
        "requests-string",
        "os-string",
        "privileged-string",
        "capabilities-list",
        "capabilities-add-string",
        "capabilities-add-nested-list",
        "several-problems",
    ],
)
def test_malformed_objects_name_every_path(obj: Json, expected: list[tuple[str, str]]) -> None:
    assert problems(obj) == expected


def test_malformed_env_value_is_never_echoed() -> None:
    obj = workload("Pod", pod(c(env=[{"name": "PIN", "value": 987654321}])))
    with pytest.raises(MalformedObject) as caught:
        pod_specs(obj)
    assert "987654321" not in str(caught.value)
    assert all("987654321" not in p.message + p.hint for p in caught.value.problems)


@pytest.mark.parametrize(
    "spec",
    [
        pod(c(securityContext=None, resources=None, env=None)),  # null means the default
        pod(c(resources={"limits": None, "requests": None})),
        pod(c(securityContext={"runAsUser": None, "runAsNonRoot": None})),
        pod(c(env=[{"name": "A"}, {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s"}}}])),
        pod(c(), initContainers=None, ephemeralContainers=None, securityContext=None, os=None),
        pod(),  # an empty container list is the API server's business, not a shape error
    ],
    ids=[
        "null-fields",
        "null-limits",
        "null-security-fields",
        "env-without-value",
        "null-lists",
        "no-containers",
    ],
)
def test_well_formed_specs_are_accepted(spec: Json) -> None:
    assert pod_specs(workload("Deployment", spec)) == [PodSpec("spec.template.spec", spec)]


# --- property: garbage in the pod spec positions never crashes the engine ------------------------

VOCABULARY = (
    "containers",
    "initContainers",
    "ephemeralContainers",
    "name",
    "image",
    "env",
    "value",
    "valueFrom",
    "securityContext",
    "runAsUser",
    "runAsNonRoot",
    "resources",
    "limits",
    "requests",
    "cpu",
    "memory",
    "os",
    "windows",
    "restartPolicy",
    "template",
    "spec",
    "jobTemplate",
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(VOCABULARY),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=25,
)


def pod_like(garbage: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Pod-spec-shaped dicts; with ``garbage`` any field may also hold any JSON value."""

    def field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return valid | json_values if garbage else valid

    quantity = field(st.sampled_from([None, "", "500m", "1", "256Mi"]) | st.integers())
    resources = st.fixed_dictionaries({}, optional={"cpu": quantity, "memory": quantity})
    env_var = st.fixed_dictionaries(
        {"name": field(st.text(max_size=6))}, optional={"value": field(st.text(max_size=6))}
    )
    security = st.fixed_dictionaries(
        {},
        optional={
            "runAsUser": field(st.none() | st.integers(-1, 70000) | st.just(0)),
            "runAsNonRoot": field(st.none() | st.booleans()),
        },
    )
    container = st.fixed_dictionaries(
        {"name": field(st.text(max_size=5))},
        optional={
            "image": field(st.sampled_from(["nginx", "registry.example.com/legacy/app:1"])),
            "securityContext": field(st.none() | security),
            "resources": field(
                st.none()
                | st.fixed_dictionaries(
                    {},
                    optional={
                        "limits": field(st.none() | resources),
                        "requests": field(st.none() | resources),
                    },
                )
            ),
            "env": field(st.none() | st.lists(field(env_var), max_size=3)),
            "restartPolicy": field(st.just("Always")),
        },
    )
    containers = field(st.lists(field(container), max_size=3))
    return st.fixed_dictionaries(
        {"containers": containers},
        optional={
            "initContainers": field(st.none() | st.lists(field(container), max_size=2)),
            "ephemeralContainers": field(st.none() | st.lists(field(container), max_size=2)),
            "securityContext": field(st.none() | security),
            "os": field(
                st.none()
                | st.fixed_dictionaries({"name": field(st.sampled_from(["linux", "windows"]))})
            ),
        },
    )


@st.composite
def objects_with_garbage(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(KINDS))
    keys = POD_SPEC_AT[kind].split(".")
    depth = draw(st.integers(1, len(keys)))  # replace the pod spec or any object above it
    at_pod = depth == len(keys)
    value = draw(pod_like(False) | pod_like(True) | json_values if at_pod else json_values)
    obj = place(kind, ".".join(keys[:depth]), value)
    if draw(st.booleans()):
        namespace = json_values | st.sampled_from(["kube-system", "default", "legacy"])
        obj["metadata"] = draw(json_values | st.fixed_dictionaries({"namespace": namespace}))
    return kind, obj


EXEMPTING = parse_config(
    {
        "policies": {
            "no-root-containers": {"mode": "dry-run", "exemptions": {"namespaces": ["legacy"]}},
            "require-resource-limits": {
                "require": ["limits.memory", "requests.cpu"],
                "exemptions": {"images": ["registry.example.com/legacy/*"]},
            },
        }
    }
)


@pytest.mark.parametrize("config", [CONFIG, EXEMPTING], ids=["default-config", "exempting-config"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=objects_with_garbage())
def test_arbitrary_values_never_crash_the_engine(
    config: Config, case: tuple[str, dict[str, Any]]
) -> None:
    kind, obj = case
    try:
        pods = pod_specs(obj)
        malformed = False
    except MalformedObject as exc:
        assert exc.problems
        pods, malformed = [], True
    findings = evaluate(obj, config)
    assert isinstance(findings, list)
    assert all(isinstance(f, Finding) for f in findings)
    for finding in findings:
        v = finding.violation
        assert v.policy in BY_ID or v.policy == MALFORMED_ID
        assert "\n" not in v.message and "\n" not in v.hint
        assert isinstance(v.path, str) and v.path.split(".")[0] in ("spec", "template")
    if malformed:
        assert {f.violation.policy for f in findings} <= {MALFORMED_ID}
    else:
        assert [p.path for p in pods] == [POD_SPEC_AT[kind]]
        assert all(f.violation.policy != MALFORMED_ID for f in findings)
