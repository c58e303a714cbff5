"""Run every enabled policy over every pod spec in an object.

The one entry point the webhook, ``gatehouse scan`` and ``gatehouse audit``
share, so all three always agree on what would be denied, and when: a policy
with an ``enforceFrom`` still to come only warns, and a finding an unexpired
exception covers is excepted. Each caller says what time it is.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from policies.base import NO_DEADLINE, Deadline, Json, Violation
from policies.config import Config, PolicyConfig
from policies.rollout import PolicyException, show_instant
from policies.workloads import MalformedObject, pod_specs

# enforce: denies. dry-run: would deny, a warning. scheduled: will deny from a date, a
# warning till then. excepted: an exception covers it, so it counts for nothing.
FindingMode = Literal["enforce", "dry-run", "scheduled", "excepted"]


@dataclass(frozen=True, slots=True)
class Finding:
    violation: Violation
    mode: FindingMode
    enforce_from: datetime | None = None  # scheduled: when it starts to deny
    # excepted: the exception that covers it; otherwise one that covered it and lapsed
    exception: PolicyException | None = None

    @property
    def lapsed(self) -> PolicyException | None:
        """The exception that covered this finding until it expired, if any."""
        return self.exception if self.mode != "excepted" else None


@dataclass(frozen=True)
class _Subject:
    """What exceptions match on: the object's coordinates and labels."""

    namespace: str
    kind: str
    name: str
    labels: Mapping[str, object]


def evaluate(
    obj: Json,
    config: Config,
    namespace: str | None = None,
    deadline: Deadline = NO_DEADLINE,
    now: datetime | None = None,
) -> list[Finding]:
    """The findings for ``obj`` at ``now`` (default: the current time); ``namespace``
    defaults to the object's own.

    Raises OverBudget once ``deadline`` has passed (checked per container and env var).
    """
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    if namespace is None:
        found = metadata.get("namespace")
        # A namespace that is not a string (garbage in the object) matches no exemption.
        namespace = found if isinstance(found, str) else None
    if namespace in config.exempt_namespaces:
        return []
    try:
        pods = pod_specs(obj, deadline)
    except MalformedObject as exc:
        return [Finding(problem, config.mode) for problem in exc.problems]
    subject: _Subject | None = None  # made at the first violation: most reviews have none
    findings: list[Finding] = []
    for policy in config.policies:
        if not policy.enabled or namespace in policy.exempt_namespaces:
            continue
        for pod in pods:
            violations = policy.policy.check(pod, policy.settings)
            if violations and policy.exempt_images:
                images = {(c.kind, c.name): c.image for c in pod.containers(ephemeral=True)}
                violations = [
                    v
                    for v in violations
                    if not policy.exempts_image(images.get((v.container_kind, v.container), ""))  # type: ignore[arg-type]
                ]
            if not violations:
                continue
            if subject is None:
                subject = _subject(obj, metadata, namespace or "")
            now = now or datetime.now(UTC)
            findings.extend(_judged(v, policy, config, subject, now) for v in violations)
    return findings


def _judged(
    violation: Violation, policy: PolicyConfig, config: Config, subject: _Subject, now: datetime
) -> Finding:
    effect = config.effect_of(policy, now)
    enforce_from = policy.enforce_from if effect == "scheduled" else None
    covering = _covering(violation, config, subject)
    if covering is not None and not covering.lapsed(now):
        return Finding(violation, "excepted", enforce_from, covering)
    return Finding(violation, effect, enforce_from, covering)


def _covering(violation: Violation, config: Config, subject: _Subject) -> PolicyException | None:
    """The exception that covers ``violation``: an unexpired one first, else the last to lapse."""
    matching = [
        e
        for e in config.exceptions
        if e.covers(
            violation.policy,
            subject.namespace,
            subject.kind,
            subject.name,
            subject.labels,
            violation.container,
            violation.env_name,
        )
    ]
    return max(matching, key=lambda e: e.expires, default=None)


def _subject(obj: Json, metadata: Mapping[str, object], namespace: str) -> _Subject:
    kind, name, labels = obj.get("kind"), metadata.get("name"), metadata.get("labels")
    return _Subject(
        namespace=namespace,
        kind=kind if isinstance(kind, str) else "",
        name=name if isinstance(name, str) else "",
        labels=labels if isinstance(labels, dict) else {},
    )


def in_ephemeral_containers(findings: list[Finding]) -> list[Finding]:
    """The findings in ephemeral containers: all a running pod can gain (``kubectl debug``).

    A pod made from a workload's template is judged at that workload; what is
    added to it later is judged at the pod, by the webhook and the audit alike.
    """
    return [f for f in findings if f.violation.container_kind == "ephemeralContainer"]


def lapse_note(finding: Finding) -> str:
    """`` (exception expired on 2027-02-01 (owner: team-payments))`` when one lapsed, else ""."""
    lapsed = finding.lapsed
    if lapsed is None:
        return ""
    return f" (exception expired on {lapsed.expiry} (owner: {lapsed.owner}))"


def standing(finding: Finding) -> str:
    """What a finding that does not deny means for now, in a few words."""
    if finding.mode == "dry-run":
        return "would deny"
    if finding.mode == "scheduled" and finding.enforce_from is not None:
        return f"will be denied from {show_instant(finding.enforce_from)}"
    if finding.mode == "excepted" and finding.exception is not None:
        return f"excepted until {finding.exception.expiry} (owner: {finding.exception.owner})"
    return "not blocking"


def exception_note(exception: PolicyException) -> str:
    """``reason (owner: team-payments, until 2027-02-01, ticket SEC-1)``: why it is allowed."""
    ticket = f", ticket {exception.ticket}" if exception.ticket else ""
    return f"{exception.reason} (owner: {exception.owner}, until {exception.expiry}{ticket})"
