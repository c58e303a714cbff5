"""evaluate(): namespaces, image exemptions, disabled policies, modes, malformed objects."""

from typing import Any

import pytest

from policies.config import Config, load_config, parse_config
from policies.engine import Finding, evaluate
from policies.workloads import MALFORMED_ID

SAFE = {"runAsNonRoot": True, "runAsUser": 10001}
LIMITS = {"limits": {"cpu": "500m", "memory": "256Mi"}}
ROOT = "no-root-containers"
LIMITS_ID = "require-resource-limits"


def container(name: str, image: str = "nginx:1.27", *, safe: bool = True) -> dict[str, Any]:
    """Compliant with both policies when ``safe``, failing both when not."""
    if safe:
        return {"name": name, "image": image, "securityContext": SAFE, "resources": LIMITS}
    return {"name": name, "image": image}


def deployment(
    *containers: dict[str, Any],
    namespace: object = "default",
    init: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": list(containers)}
    if init is not None:
        spec["initContainers"] = init
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": namespace},
        "spec": {"template": {"spec": spec}},
    }


def summary(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.violation.policy, f.violation.container_label, f.violation.path) for f in findings]


def policies_of(findings: list[Finding]) -> set[str]:
    return {f.violation.policy for f in findings}


@pytest.fixture(scope="module")
def default() -> Config:
    return load_config()


BAD = deployment(container("app", safe=False))
BAD_FINDINGS = [
    (ROOT, "app", "spec.template.spec.containers[0].securityContext.runAsNonRoot"),
    (LIMITS_ID, "app", "spec.template.spec.containers[0].resources.limits.cpu"),
    (LIMITS_ID, "app", "spec.template.spec.containers[0].resources.limits.memory"),
]


def test_a_compliant_workload_has_no_findings(default: Config) -> None:
    assert evaluate(deployment(container("app"), init=[container("migrate")]), default) == []


def test_findings_carry_policy_container_and_path(default: Config) -> None:
    findings = evaluate(BAD, default)
    assert sorted(summary(findings)) == sorted(BAD_FINDINGS)
    assert {f.mode for f in findings} == {"enforce"}


def test_cronjob_paths_start_at_the_object_root(default: Config) -> None:
    cronjob = {
        "kind": "CronJob",
        "metadata": {"namespace": "batch"},
        "spec": {
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [container("report")],
                            "initContainers": [
                                {
                                    **container("proxy"),
                                    "resources": {"limits": {"memory": "1Gi"}},
                                    "restartPolicy": "Always",
                                }
                            ],
                        }
                    }
                }
            }
        },
    }
    assert summary(evaluate(cronjob, default)) == [
        (
            LIMITS_ID,
            "init:proxy",
            "spec.jobTemplate.spec.template.spec.initContainers[0].resources.limits.cpu",
        )
    ]


# --- namespaces -------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease"])
def test_system_namespaces_are_exempt_by_default(default: Config, namespace: str) -> None:
    assert evaluate(deployment(container("app", safe=False), namespace=namespace), default) == []


def test_explicit_namespace_wins_over_metadata(default: Config) -> None:
    in_system = deployment(container("app", safe=False), namespace="kube-system")
    findings = evaluate(in_system, default, namespace="default")
    assert sorted(summary(findings)) == sorted(BAD_FINDINGS)
    assert evaluate(BAD, default, namespace="kube-system") == []


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {},
        {"namespace": None},
        {"namespace": ["kube-system"]},
        {"namespace": {"a": 1}},
        {"namespace": 3},
        "kube-system",
        ["kube-system"],
    ],
    ids=[
        "no-metadata",
        "empty-metadata",
        "null-namespace",
        "list-namespace",
        "object-namespace",
        "number-namespace",
        "metadata-string",
        "metadata-list",
    ],
)
def test_odd_metadata_is_evaluated_as_no_namespace(default: Config, metadata: object) -> None:
    obj = {**BAD}
    if metadata is None:
        del obj["metadata"]
    else:
        obj["metadata"] = metadata
    assert sorted(summary(evaluate(obj, default))) == sorted(BAD_FINDINGS)


def test_global_exempt_namespaces_are_configurable() -> None:
    config = parse_config({"exemptNamespaces": ["ci"]})
    assert evaluate(deployment(container("app", safe=False), namespace="ci"), config) == []
    system = deployment(container("app", safe=False), namespace="kube-system")
    assert len(evaluate(system, config)) == 3


def test_per_policy_namespace_exemption() -> None:
    config = parse_config({"policies": {ROOT: {"exemptions": {"namespaces": ["legacy"]}}}})
    legacy = evaluate(deployment(container("app", safe=False), namespace="legacy"), config)
    assert policies_of(legacy) == {LIMITS_ID}
    other = evaluate(deployment(container("app", safe=False), namespace="team-a"), config)
    assert policies_of(other) == {ROOT, LIMITS_ID}


# --- image exemptions -------------------------------------------------------------------------


def test_image_exemption_applies_per_container_and_per_policy() -> None:
    config = parse_config(
        {"policies": {ROOT: {"exemptions": {"images": ["registry.example.com/legacy/*"]}}}}
    )
    obj = deployment(
        container("old", "registry.example.com/legacy/app:1", safe=False),
        container("new", "registry.example.com/app:2", safe=False),
    )
    found = {(policy, label) for policy, label, _ in summary(evaluate(obj, config))}
    assert found == {(ROOT, "new"), (LIMITS_ID, "old"), (LIMITS_ID, "new")}


def test_image_exemption_covers_pod_level_violations_of_that_container() -> None:
    config = parse_config({"policies": {ROOT: {"exemptions": {"images": ["*:debug"]}}}})
    obj = deployment(container("tools", "busybox:debug"), container("app"))
    obj["spec"]["template"]["spec"]["securityContext"] = {"runAsUser": 0}
    for c in obj["spec"]["template"]["spec"]["containers"]:
        del c["securityContext"]
    assert summary(evaluate(obj, config)) == [
        (ROOT, "app", "spec.template.spec.securityContext.runAsUser"),
    ]


def test_image_exemption_tells_init_and_main_containers_apart() -> None:
    config = parse_config({"policies": {LIMITS_ID: {"exemptions": {"images": ["legacy/*"]}}}})
    obj = deployment(
        {**container("app", "nginx:1.27"), "resources": {}},
        init=[{**container("app", "legacy/setup:1"), "resources": {}}],
    )
    labels = {label for _, label, _ in summary(evaluate(obj, config))}
    assert labels == {"app"}


def test_image_exemption_does_not_match_a_container_without_image() -> None:
    config = parse_config({"policies": {LIMITS_ID: {"exemptions": {"images": ["legacy/*"]}}}})
    obj = deployment({"name": "app", "securityContext": SAFE})
    assert len(evaluate(obj, config)) == 2


# --- enabled and mode -------------------------------------------------------------------------


def test_disabled_policies_do_not_run() -> None:
    config = parse_config({"policies": {LIMITS_ID: {"enabled": False}}})
    assert policies_of(evaluate(BAD, config)) == {ROOT}
    none = parse_config({"policies": {ROOT: {"enabled": False}, LIMITS_ID: {"enabled": False}}})
    assert evaluate(BAD, none) == []


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({}, {ROOT: "enforce", LIMITS_ID: "enforce"}),
        ({"mode": "dry-run"}, {ROOT: "dry-run", LIMITS_ID: "dry-run"}),
        ({"policies": {LIMITS_ID: {"mode": "dry-run"}}}, {ROOT: "enforce", LIMITS_ID: "dry-run"}),
        (
            {"mode": "dry-run", "policies": {ROOT: {"mode": "enforce"}}},
            {ROOT: "enforce", LIMITS_ID: "dry-run"},
        ),
    ],
)
def test_each_finding_carries_its_policy_mode(
    raw: dict[str, Any], expected: dict[str, str]
) -> None:
    findings = evaluate(BAD, parse_config(raw))
    assert {f.violation.policy: f.mode for f in findings} == expected


def test_with_mode_changes_findings_but_not_per_policy_overrides() -> None:
    config = parse_config({"policies": {ROOT: {"mode": "enforce"}}}).with_mode("dry-run")
    assert {f.violation.policy: f.mode for f in evaluate(BAD, config)} == {
        ROOT: "enforce",
        LIMITS_ID: "dry-run",
    }


# --- malformed objects ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["enforce", "dry-run"])
def test_malformed_object_is_a_finding_in_the_global_mode(mode: str) -> None:
    obj = deployment(container("app"))
    obj["spec"]["template"]["spec"]["containers"] = "app"
    (finding,) = evaluate(obj, parse_config({"mode": mode}))
    assert finding.mode == mode
    v = finding.violation
    assert (v.policy, v.container, v.container_kind) == (MALFORMED_ID, "", None)
    assert v.path == "spec.template.spec.containers"
    assert v.message == "expected a list, got a string"
    assert v.hint and "\n" not in v.hint


def test_malformed_object_reports_every_problem_and_no_policy_findings(default: Config) -> None:
    obj = deployment({"name": "app", "env": "A=1", "securityContext": {"runAsUser": "0"}})
    findings = evaluate(obj, default)
    assert policies_of(findings) == {MALFORMED_ID}
    assert sorted(f.violation.path for f in findings) == [
        "spec.template.spec.containers[0].env",
        "spec.template.spec.containers[0].securityContext.runAsUser",
    ]


def test_malformed_object_in_an_exempt_namespace_is_not_evaluated(default: Config) -> None:
    obj = {"kind": "Pod", "metadata": {"namespace": "kube-system"}, "spec": []}
    assert evaluate(obj, default) == []


@pytest.mark.parametrize(
    "obj",
    [
        {"kind": "Service", "metadata": {"namespace": "default"}, "spec": {"containers": 1}},
        {"kind": "ConfigMap", "data": {"password": "x"}},
    ],
    ids=["service", "configmap"],
)
def test_kinds_without_pod_spec_have_no_findings(default: Config, obj: dict[str, Any]) -> None:
    assert evaluate(obj, default) == []
