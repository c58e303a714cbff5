"""The audit's findings as PolicyReports (``wgpolicyk8s.io/v1alpha2``), as Kyverno writes them.

Policy Reporter and other dashboards read this format. One report per
namespace, named ``gatehouse-audit``, rewritten in place on every run (read,
then replaced with its ``resourceVersion``; created the first time), so a
dashboard shows the cluster as it is, not a history. One result per object and
policy: ``fail`` where admission would deny, ``warn`` for dry-run findings,
``error`` for an object whose shape no policy could read. Passes are only
counted in the summary: a result for every clean object would outgrow the
1.5 MB an object may take in etcd.

Every kind the audit checks is namespaced, so no ClusterPolicyReport is written.
"""

from collections.abc import Sequence
from typing import Any

from kubernetes import client

from gatehouse.cluster import TIMEOUT, Action, Cluster, ClusterError, scope
from gatehouse.owners import Judged
from policies.config import Config
from policies.engine import Finding, exception_note
from policies.workloads import MALFORMED_ID

GROUP, VERSION, PLURAL = "wgpolicyk8s.io", "v1alpha2", "policyreports"
NAME = "gatehouse-audit"
SOURCE = "gatehouse"
SEVERITY = {
    "no-plaintext-secrets": "critical",  # a credential anyone who can read the object has
    "no-root-containers": "high",
    "require-resource-limits": "medium",
}
NOT_INSTALLED = (
    f"PolicyReports not written: the API server does not serve {PLURAL}.{GROUP}/"
    f"{VERSION} (install the CRD, e.g. with Kyverno or Policy Reporter)"
)


def build(
    namespace: str, judged: Sequence[Judged], checked: int, config: Config, now: float
) -> dict[str, Any]:
    """The report for ``namespace``: ``judged`` are its objects with findings, of ``checked``."""
    applicable = {
        p.policy.id for p in config.policies if p.enabled and namespace not in p.exempt_namespaces
    }
    results: list[dict[str, Any]] = []
    passed = checked * len(applicable)
    for obj in judged:
        by_policy: dict[str, list[Finding]] = {}
        for finding in obj.findings:
            by_policy.setdefault(finding.violation.policy, []).append(finding)
        # A malformed object was checked by no policy, so it passes none of them.
        not_passed = applicable if MALFORMED_ID in by_policy else applicable & by_policy.keys()
        passed -= len(not_passed)
        results.extend(_result(obj, policy, found, now) for policy, found in by_policy.items())
    summary = {
        outcome: sum(r["result"] == outcome for r in results)
        for outcome in ("fail", "warn", "error", "skip")
    }
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "PolicyReport",
        "metadata": {
            "name": NAME,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": SOURCE},
        },
        "scope": {"apiVersion": "v1", "kind": "Namespace", "name": namespace},
        "summary": {"pass": passed, **summary},
        "results": results,
    }


def _result(obj: Judged, policy: str, findings: list[Finding], now: float) -> dict[str, Any]:
    denied = any(f.mode == "enforce" for f in findings)
    excepted = all(f.mode == "excepted" for f in findings)
    properties = {"mode": "enforce" if denied else "excepted" if excepted else "dry-run"}
    if excepted and findings[0].exception is not None:
        properties["exception"] = exception_note(findings[0].exception)
    if obj.owned:
        properties.update(owned=str(obj.owned), pods=str(obj.pods))
    return {
        "source": SOURCE,
        "policy": policy,
        "rule": policy,
        "result": "error"
        if policy == MALFORMED_ID
        else "fail"
        if denied
        else "skip"
        if excepted
        else "warn",
        "severity": SEVERITY.get(policy, "medium"),
        "scored": True,
        # The policies' messages never quote an env value.
        "message": "; ".join(
            f"{_where(f)}{f.violation.message} ({f.violation.path})" for f in findings
        ),
        "resources": [
            {
                "apiVersion": obj.api_version,
                "kind": obj.kind,
                "namespace": obj.namespace,
                "name": obj.name,
                "uid": obj.uid,
            }
        ],
        "properties": properties,
        "timestamp": {"seconds": int(now), "nanos": 0},
    }


def _where(finding: Finding) -> str:
    label = finding.violation.container_label
    return f"container {label}: " if label else ""


def write(cluster: Cluster, reports: Sequence[dict[str, Any]], namespace: str | None) -> str | None:
    """Create or update each report; a note instead when the CRD is not installed.

    Raises ClusterError when the API refuses a read or a write.
    """
    api = client.CustomObjectsApi(cluster.api)
    try:
        if namespace:
            cluster.call(
                lambda: api.list_namespaced_custom_object(
                    GROUP, VERSION, namespace, PLURAL, limit=1, _request_timeout=TIMEOUT
                ),
                Action("list", PLURAL, GROUP, scope(namespace)),
            )
        else:
            cluster.call(
                lambda: api.list_custom_object_for_all_namespaces(
                    GROUP, VERSION, PLURAL, limit=1, _request_timeout=TIMEOUT
                ),
                Action("list", PLURAL, GROUP, scope(None)),
            )
    except ClusterError as exc:
        if exc.status == 404:
            return NOT_INSTALLED
        raise
    for report in reports:
        _put(cluster, api, report)
    return None


def _put(cluster: Cluster, api: client.CustomObjectsApi, report: dict[str, Any]) -> None:
    """Replace the report in place, or create it; once more if another writer got between."""
    namespace = report["metadata"]["namespace"]
    named = f'"{NAME}" in namespace "{namespace}"'
    for attempt in range(2):
        try:
            try:
                current: Any = cluster.call(
                    lambda: api.get_namespaced_custom_object(
                        GROUP, VERSION, namespace, PLURAL, NAME, _request_timeout=TIMEOUT
                    ),
                    Action("get", PLURAL, GROUP, named),
                )
            except ClusterError as exc:
                if exc.status != 404:
                    raise
                cluster.call(
                    lambda: api.create_namespaced_custom_object(
                        GROUP, VERSION, namespace, PLURAL, report, _request_timeout=TIMEOUT
                    ),
                    Action("create", PLURAL, GROUP, scope(namespace)),
                )
                return
            report["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            cluster.call(
                lambda: api.replace_namespaced_custom_object(
                    GROUP, VERSION, namespace, PLURAL, NAME, report, _request_timeout=TIMEOUT
                ),
                Action("update", PLURAL, GROUP, named),
            )
            return
        except ClusterError as exc:
            if exc.status != 409 or attempt:
                raise
