"""Run every enabled policy over every pod spec in an object.

The one entry point the webhook, ``gatehouse scan`` and ``gatehouse audit``
share, so all three always agree on what would be denied.
"""

from dataclasses import dataclass

from policies.base import NO_DEADLINE, Deadline, Json, Violation
from policies.config import Config, Mode
from policies.workloads import MalformedObject, pod_specs


@dataclass(frozen=True, slots=True)
class Finding:
    violation: Violation
    mode: Mode


def evaluate(
    obj: Json, config: Config, namespace: str | None = None, deadline: Deadline = NO_DEADLINE
) -> list[Finding]:
    """The findings for ``obj``; ``namespace`` defaults to the object's own.

    Raises OverBudget once ``deadline`` has passed (checked per container and env var).
    """
    if namespace is None:
        metadata = obj.get("metadata")
        found = metadata.get("namespace") if isinstance(metadata, dict) else None
        # A namespace that is not a string (garbage in the object) matches no exemption.
        namespace = found if isinstance(found, str) else None
    if namespace in config.exempt_namespaces:
        return []
    try:
        pods = pod_specs(obj, deadline)
    except MalformedObject as exc:
        return [Finding(problem, config.mode) for problem in exc.problems]
    findings: list[Finding] = []
    for policy in config.policies:
        if not policy.enabled or namespace in policy.exempt_namespaces:
            continue
        mode = config.mode_of(policy)
        for pod in pods:
            violations = policy.policy.check(pod, policy.settings)
            if violations and policy.exempt_images:
                images = {(c.kind, c.name): c.image for c in pod.containers(ephemeral=True)}
                violations = [
                    v
                    for v in violations
                    if not policy.exempts_image(images.get((v.container_kind, v.container), ""))  # type: ignore[arg-type]
                ]
            findings.extend(Finding(v, mode) for v in violations)
    return findings


def in_ephemeral_containers(findings: list[Finding]) -> list[Finding]:
    """The findings in ephemeral containers: all a running pod can gain (``kubectl debug``).

    A pod made from a workload's template is judged at that workload; what is
    added to it later is judged at the pod, by the webhook and the audit alike.
    """
    return [f for f in findings if f.violation.container_kind == "ephemeralContainer"]
