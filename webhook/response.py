"""Build the AdmissionReview answer from a decision. Pure: no HTTP here.

Every text is bounded: the API server stores audit annotations, kubectl prints
warnings, and a pod with hundreds of violations must not produce a megabyte.
"""

from typing import Any

from policies.engine import Finding, lapse_note, standing
from policies.rollout import show_instant
from webhook.decision import Decision
from webhook.review import Review

MAX_MESSAGE_VIOLATIONS = 20
MAX_MESSAGE_CHARS = 4000
MAX_WARNINGS = 20
WARNING_CHARS = 119
MAX_ANNOTATION_CHARS = 1000


def build_response(review: Review, decision: Decision, budget: float = 0.0) -> dict[str, Any]:
    """The answer; ``budget`` is the seconds judging may take, named when it ran out."""
    response: dict[str, Any] = {"uid": review.uid, "allowed": decision.allowed}
    if decision.over_budget:
        return _over_budget(review, decision, budget, response)
    if not decision.allowed:
        response["status"] = {
            "code": 403,
            "reason": "Forbidden",
            "message": deny_message(review, decision.denials),
        }
    notes = decision.warnings + decision.grandfathered + decision.excepted
    if notes:
        response["warnings"] = warnings(decision)
        response["auditAnnotations"] = audit_annotations(decision)
    return {"apiVersion": review.api_version, "kind": "AdmissionReview", "response": response}


BUDGET_FIX = (
    "split the workload (fewer env vars or containers per object), "
    "or raise the budget (GATEHOUSE_REVIEW_BUDGET; chart: server.reviewBudget)"
)


def _over_budget(
    review: Review, decision: Decision, budget: float, response: dict[str, Any]
) -> dict[str, Any]:
    """Judging ran out of time: the mode decides, and the answer says so plainly."""
    reason = f"could not judge within the budget of {budget:g} s"
    if decision.allowed:
        response["warnings"] = [f"[gatehouse] would deny: {reason}"]
        response["auditAnnotations"] = {"would-deny.budget": f"not judged within {budget:g} s"}
    else:
        response["status"] = {
            "code": 403,
            "reason": "Forbidden",
            "message": f"Gatehouse denied {_subject(review)}: {reason}: the object is too "
            f"large or too costly to judge in time. Fix: {BUDGET_FIX}",
        }
    return {"apiVersion": review.api_version, "kind": "AdmissionReview", "response": response}


def _subject(review: Review) -> str:
    return (
        f"{review.kind} {review.namespace + '/' if review.namespace else ''}{review.name}".strip()
    )


def deny_message(review: Review, denials: list[Finding]) -> str:
    count = len(denials)
    lines = [f"Gatehouse denied {_subject(review)}: {count} violation{'s' if count != 1 else ''}"]
    size = len(lines[0])
    shown = 0
    for finding in denials:
        line = describe(finding)
        if shown == MAX_MESSAGE_VIOLATIONS or size + len(line) > MAX_MESSAGE_CHARS:
            break
        lines.append(line)
        size += len(line) + 1
        shown += 1
    if shown < count:
        lines.append(f"... and {count - shown} more (run `gatehouse scan` on the manifest for all)")
    return "\n".join(lines)


def describe(finding: Finding) -> str:
    """One line a person can act on: policy, container, what is wrong, where, how to fix."""
    v = finding.violation
    who = f"container {v.container_label}: " if v.container_kind else ""
    return f"[{v.policy}] {who}{v.message} ({v.path}){lapse_note(finding)}. Fix: {v.hint}"


def warnings(decision: Decision) -> list[str]:
    labelled = (
        [(f, "") for f in decision.warnings]
        + [(f, "existing, ") for f in decision.grandfathered]
        + [(f, "") for f in decision.excepted]
    )
    out = [_short(f, prefix) for f, prefix in labelled[:MAX_WARNINGS]]
    if len(labelled) > MAX_WARNINGS:
        out.append(f"[gatehouse] ... and {len(labelled) - MAX_WARNINGS} more violations")
    return out


def _short(finding: Finding, prefix: str) -> str:
    v = finding.violation
    who = f"{v.container_label}: " if v.container_kind else ""
    text = f"[{v.policy}] {prefix}{standing(finding)}: {who}{v.message}"
    with_field = f"{text} ({_field(v.path)})"
    if len(with_field) <= WARNING_CHARS:
        return with_field  # the field too, when it fits
    return text if len(text) <= WARNING_CHARS else text[: WARNING_CHARS - 1] + "…"


def _field(path: str) -> str:
    """The path below the pod spec: what a person looks for in the container."""
    for marker in ("containers[", "initContainers[", "ephemeralContainers["):
        at = path.find(marker)
        if at >= 0:
            return path[at:]
    return path


ANNOTATION_PREFIX = {"dry-run": "would-deny", "scheduled": "will-deny", "excepted": "excepted"}


def audit_annotations(decision: Decision) -> dict[str, str]:
    """One annotation per policy and standing: the audit log records what would have been
    denied (``would-deny.*``), what will be from a date (``will-deny.*``) and what an
    exception let through (``excepted.*``, naming the exception and its owner)."""
    by_key: dict[str, list[str]] = {}
    for finding in decision.warnings + decision.excepted:
        v = finding.violation
        item = f"{v.container_label or '-'} {v.path}"
        if finding.mode == "scheduled" and finding.enforce_from is not None:
            item += f" from {show_instant(finding.enforce_from)}"
        elif finding.exception is not None and finding.mode == "excepted":
            item += f" by {finding.exception.where} (owner {finding.exception.owner})"
        key = f"{ANNOTATION_PREFIX.get(finding.mode, 'would-deny')}.{v.policy}"
        by_key.setdefault(key, []).append(item)
    annotations = {key: _bounded("; ".join(items)) for key, items in by_key.items()}
    if decision.grandfathered:
        annotations["existing-violations"] = str(len(decision.grandfathered))
    return annotations


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_ANNOTATION_CHARS else text[: MAX_ANNOTATION_CHARS - 1] + "…"


def error_body(message: str) -> dict[str, str]:
    return {"error": message}
