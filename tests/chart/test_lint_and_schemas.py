"""The chart lints clean, renders valid Kubernetes, and its values.schema.json refuses typos."""

import copy
from typing import Any

import helm_python
import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.chart.render import CHART_DIR, CRD_KINDS, NAMESPACE, Obj, Rendered, render

# The oldest minor the chart supports (Chart.yaml kubeVersion) that kubernetes-validate ships.
KUBE_VERSION = "1.31"
WARNING = 2  # helm lint severities: 1 info, 2 warning, 3 error


def test_helm_lint_has_no_warnings_or_errors(ci_name: str, ci_vals: Obj) -> None:
    report = helm_python.lint(
        CHART_DIR, ci_vals, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}.0"
    )
    problems = [m for m in report["messages"] if m["severity"] >= WARNING]
    assert not problems and not report["errors"], (ci_name, problems, report["errors"])


def test_every_object_is_valid_against_the_kubernetes_schema(ci_name: str, ci: Rendered) -> None:
    checked = 0
    for obj in ci.objects:
        if obj["kind"] in CRD_KINDS:  # CRD kinds: no schema shipped; skipped by name only
            continue
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
        checked += 1
    assert checked >= 7, ci_name


def test_crd_objects_use_the_stable_api_versions(ci: Rendered) -> None:
    expected = {
        "Certificate": "cert-manager.io/v1",
        "Issuer": "cert-manager.io/v1",
        "ServiceMonitor": "monitoring.coreos.com/v1",
    }
    for obj in ci.objects:
        if obj["kind"] in CRD_KINDS:
            assert obj["apiVersion"] == expected[obj["kind"]]


def test_the_schema_validation_is_not_a_no_op(default: Rendered) -> None:
    broken = copy.deepcopy(default.one("Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = {"bad": True}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBE_VERSION, strict=True)


REJECTED: list[tuple[str, dict[str, Any]]] = [
    ("typo at the top", {"replicaCont": 3}),
    ("typo in webhook", {"webhook": {"timeoutSecond": 3}}),
    ("typo in a policy", {"policies": {"no-root-containers": {"enable": False}}}),
    ("unknown policy", {"policies": {"no-latest-tag": {"enabled": True}}}),
    ("typo in tls", {"tls": {"certmanager": {}}}),
    ("bad mode", {"mode": "audit"}),
    ("bad policy mode", {"policies": {"no-root-containers": {"mode": "warn"}}}),
    ("bad failurePolicy", {"webhook": {"failurePolicy": "fail"}}),
    ("bad tls.mode", {"tls": {"mode": "self-signed"}}),
    ("timeout over the API server's 30 s", {"webhook": {"timeoutSeconds": 31}}),
    ("webhook name not fully qualified", {"webhook": {"name": "gatehouse"}}),
    ("unknown required resource", {"policies": {"require-resource-limits": {"require": ["gpu"]}}}),
    ("no memory limit on Gatehouse itself", {"resources": {"limits": {"memory": None}}}),
    ("secret mode without a Secret", {"tls": {"mode": "secret"}}),
    ("review budget of 0 s", {"server": {"reviewBudget": 0}}),
    ("review budget not a number", {"server": {"reviewBudget": "1s"}}),
    ("log allowed as a string", {"server": {"logAllowed": "yes"}}),
    ("connection cap under the server's minimum", {"server": {"maxConnections": 7}}),
    ("negative per-peer cap", {"server": {"maxConnectionsPerPeer": -1}}),
    ("privileged probe port", {"server": {"probePort": 80}}),
    ("the old HTTPS scrape setting", {"serviceMonitor": {"insecureSkipVerify": True}}),
    ("typo in networkPolicy", {"networkPolicy": {"enable": True}}),
    (
        "peer list given as one peer",
        {"networkPolicy": {"admission": {"from": {"podSelector": {}}}}},
    ),
    ("empty peer", {"networkPolicy": {"metrics": {"from": [{}]}}}),
    ("typo in a peer", {"networkPolicy": {"metrics": {"from": [{"namespaceSelectr": {}}]}}}),
    (
        "ipBlock with a selector in one peer",
        {
            "networkPolicy": {
                "admission": {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}
            }
        },
    ),
    (
        "ipBlock without a prefix length",
        {"networkPolicy": {"admission": {"from": [{"ipBlock": {"cidr": "10.0.0.1"}}]}}},
    ),
    (
        "caBundle given base64, not PEM",
        {"tls": {"mode": "secret", "secret": {"name": "x", "caBundle": "LS0tLS1CRUdJTg=="}}},
    ),
]


@pytest.mark.parametrize(("case", "values"), REJECTED, ids=[case for case, _ in REJECTED])
def test_schema_rejects(case: str, values: Obj) -> None:
    with pytest.raises(helm_python.HelmValuesError):
        render(values)


def test_grace_period_must_cover_prestop_and_gunicorn_graceful_timeout() -> None:
    with pytest.raises(helm_python.HelmRenderError, match="terminationGracePeriodSeconds"):
        render({"preStopSleepSeconds": 10, "terminationGracePeriodSeconds": 30})
