"""The report formats on neutral input, as ``gatehouse audit`` will hand it over too."""

import json

from gatehouse.reports import ObjectResult, render
from policies.base import Violation
from policies.engine import Finding
from tests.gatehouse.test_scan_cli import assert_valid_sarif

ROOT = Violation(
    "no-root-containers",
    "app",
    "container",
    "spec.template.spec.containers[0].securityContext.runAsNonRoot",
    "may run as root",
    "set runAsNonRoot",
)
LIMIT = Violation(
    "require-resource-limits",
    "debug",
    "initContainer",
    "spec.template.spec.initContainers[0].resources.limits.cpu",
    "sets no cpu limit",
    "set resources.limits.cpu",
)

FROM_CLUSTER = ObjectResult(
    source="cluster:prod",
    kind="Deployment",
    namespace="shop",
    name="payments",
    findings=(Finding(ROOT, "enforce"), Finding(LIMIT, "dry-run")),
    extra={"owned": 3},
)
CLEAN = ObjectResult("cluster:prod", "DaemonSet", None, "agent", ())


def test_results_know_whether_admission_would_deny_them():
    assert FROM_CLUSTER.denied
    assert not CLEAN.denied
    warned = ObjectResult("f.yaml", "Pod", None, "p", (Finding(ROOT, "dry-run"),), line=3)
    assert not warned.denied
    assert (FROM_CLUSTER.ref, CLEAN.ref) == ("Deployment/shop/payments", "DaemonSet/agent")


def test_text_without_file_lines_is_located_at_the_object_with_its_extra_fields():
    out = render([FROM_CLUSTER, CLEAN], "text")
    assert out.split("\n\n")[:2] == [
        "Deployment/shop/payments: DENY no-root-containers: may run as root\n"
        "    in    container app (owned: 3)\n"
        f"    path  {ROOT.path}\n"
        "    fix   set runAsNonRoot",
        "Deployment/shop/payments: WARN require-resource-limits: sets no cpu limit\n"
        "    in    container init:debug (owned: 3)\n"
        f"    path  {LIMIT.path}\n"
        "    fix   set resources.limits.cpu",
    ]
    assert out.splitlines()[-1] == "2 workloads scanned, 1 would be denied"
    assert "agent" not in out


def test_text_with_file_lines_names_the_object_below():
    result = ObjectResult("f.yaml", "Pod", None, "p", (Finding(ROOT, "enforce"),), line=3)
    assert render([result], "text").splitlines()[:2] == [
        "f.yaml:3: DENY no-root-containers: may run as root",
        "    in    Pod p, container app",
    ]


def test_json_carries_extra_fields_and_null_lines():
    findings = json.loads(render([FROM_CLUSTER, CLEAN], "json"))
    assert findings[1] == {
        "file": "cluster:prod",
        "line": None,
        "objectLine": None,
        "kind": "Deployment",
        "namespace": "shop",
        "name": "payments",
        "policy": "require-resource-limits",
        "container": "debug",
        "containerType": "initContainer",
        "path": LIMIT.path,
        "message": "sets no cpu limit",
        "hint": "set resources.limits.cpu",
        "mode": "dry-run",
        "owned": 3,
    }


def test_sarif_without_a_file_uses_logical_locations_only():
    log = json.loads(render([FROM_CLUSTER, CLEAN], "sarif"))
    assert_valid_sarif(log)
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning"]
    assert all("physicalLocation" not in r["locations"][0] for r in results)
    assert results[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        f"Deployment/shop/payments/{LIMIT.path}"
    )
    assert results[1]["properties"] == {
        "container": "debug",
        "containerType": "initContainer",
        "mode": "dry-run",
        "owned": 3,
    }
    assert results[1]["message"]["text"] == (
        "Deployment/shop/payments, container init:debug: sets no cpu limit. "
        "Fix: set resources.limits.cpu."
    )


def test_field_lines_override_the_object_line():
    result = ObjectResult(
        "f.yaml",
        "Pod",
        "ns",
        "p",
        (Finding(ROOT, "enforce"), Finding(LIMIT, "enforce")),
        line=4,
        field_lines={ROOT.path: 12},
    )
    assert [f["line"] for f in json.loads(render([result], "json"))] == [12, 4]
