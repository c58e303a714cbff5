"""Decide a review: which findings block, which only warn, and what is not judged at all.

Pure: no HTTP, no logging. The rules a cluster depends on live here:
updates are judged only on what they introduce, and pods that Kubernetes'
own controllers create are judged at the workload that owns them.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from policies.base import NO_DEADLINE, Deadline, Json, OverBudget, Violation
from policies.config import Config
from policies.engine import Finding, evaluate, in_ephemeral_containers
from policies.workloads import has_pod_spec
from webhook.review import Review

# Built-in controllers (their service accounts in kube-system) and the owner kinds
# whose objects they create. With --use-service-account-credentials=false the
# controller manager acts as itself for all of them.
CONTROLLER_OWNERS: dict[str, frozenset[str]] = {
    "system:serviceaccount:kube-system:replicaset-controller": frozenset({"ReplicaSet"}),
    "system:serviceaccount:kube-system:replication-controller": frozenset(
        {"ReplicationController"}
    ),
    "system:serviceaccount:kube-system:statefulset-controller": frozenset({"StatefulSet"}),
    "system:serviceaccount:kube-system:daemon-set-controller": frozenset({"DaemonSet"}),
    "system:serviceaccount:kube-system:job-controller": frozenset({"Job"}),
    "system:serviceaccount:kube-system:deployment-controller": frozenset({"Deployment"}),
    "system:serviceaccount:kube-system:cronjob-controller": frozenset({"CronJob"}),
}
CONTROLLER_OWNERS["system:kube-controller-manager"] = frozenset().union(*CONTROLLER_OWNERS.values())

JUDGED_OPERATIONS = ("CREATE", "UPDATE")
# What `kubectl debug` updates: only the pod's ephemeral containers can change through it.
EPHEMERAL_SUBRESOURCE = "ephemeralcontainers"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    denials: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    grandfathered: list[Finding] = field(default_factory=list)
    skipped: str = ""  # why nothing was evaluated, for the log
    # Judging ran out of time: denied where a policy enforces, else allowed with a warning.
    over_budget: bool = False
    excepted: list[Finding] = field(default_factory=list)  # covered by an exception

    @property
    def findings(self) -> list[Finding]:
        """The violations this review counts: denials, then dry-run warnings."""
        return self.denials + self.warnings


def decide(
    config: Config, review: Review, deadline: Deadline = NO_DEADLINE, now: datetime | None = None
) -> Decision:
    """The verdict on ``review`` at ``now`` (default: the current time); judging past
    ``deadline`` ends in an over-budget verdict."""
    now = now or datetime.now(UTC)  # one instant for the whole review, old object and new
    operation, namespace, obj, old_obj = (
        review.operation,
        review.namespace,
        review.obj,
        review.old_obj,
    )
    if operation not in JUDGED_OPERATIONS:
        return Decision(True, skipped=f"operation {operation}")
    if obj is None or not has_pod_spec(obj.get("kind")):
        return Decision(True, skipped="no pod spec")
    if namespace in config.exempt_namespaces:
        return Decision(True, skipped="exempt namespace")
    if _created_by_its_controller(obj, review.user):
        return Decision(True, skipped="judged at its owner")
    try:
        findings = evaluate(obj, config, namespace, deadline, now)
        if review.sub_resource == EPHEMERAL_SUBRESOURCE:
            findings = in_ephemeral_containers(findings)
        excepted = [f for f in findings if f.mode == "excepted"]
        findings = [f for f in findings if f.mode != "excepted"]
        grandfathered: list[Finding] = []
        if operation == "UPDATE" and old_obj is not None and findings:
            before = evaluate(old_obj, config, namespace, deadline, now)
            findings, grandfathered = _split_existing(findings, before)
    except OverBudget:
        return Decision(not config.enforces_in(namespace, now), over_budget=True)
    denials = [f for f in findings if f.mode == "enforce"]
    warnings = [f for f in findings if f.mode != "enforce"]
    return Decision(not denials, denials, warnings, grandfathered, excepted=excepted)


def _split_existing(
    findings: list[Finding], before: list[Finding]
) -> tuple[list[Finding], list[Finding]]:
    """The findings an UPDATE introduces, and those the old object had already.

    Each old finding excuses one new finding with its identity, no more: five
    copies of a grandfathered secret are four new ones.
    """
    existing = Counter(_identity(f.violation) for f in before)
    new: list[Finding] = []
    old: list[Finding] = []
    for finding in findings:
        identity = _identity(finding.violation)
        if existing[identity] > 0:
            existing[identity] -= 1
            old.append(finding)
        else:
            new.append(finding)
    return new, old


def _identity(violation: Violation) -> tuple[object, ...]:
    """What makes two violations 'the same' across an update.

    Not the path: inserting an env var shifts every index after it, and the
    violation it did not touch must not start blocking. The fingerprint: a
    secret swapped for another under the same name is a new leak.
    """
    if violation.container_kind is None:
        return (violation.policy, violation.path, violation.message)
    return (
        violation.policy,
        violation.container_kind,
        violation.container,
        violation.message,
        violation.fingerprint,
    )


def _created_by_its_controller(obj: Json, user: str) -> bool:
    owner_kinds = CONTROLLER_OWNERS.get(user)
    if owner_kinds is None:
        return False
    metadata = obj.get("metadata")
    owners = metadata.get("ownerReferences") if isinstance(metadata, dict) else None
    if not isinstance(owners, list):
        return False
    return any(
        isinstance(o, dict) and o.get("controller") is True and o.get("kind") in owner_kinds
        for o in owners
    )
