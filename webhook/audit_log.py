"""One structured JSON line per decision, with keys defined once.

Never a secret value and never a whole object: only names, paths and policy ids.
"""

import logging
import sys
from typing import Any

import orjson

from policies.engine import Finding
from webhook.decision import Decision
from webhook.review import Review

logger = logging.getLogger("gatehouse")


def setup_logging() -> None:
    """JSON lines on stderr, which is where gunicorn and kubectl logs look."""
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        return orjson.dumps(line).decode()


def decision_label(review: Review, decision: Decision) -> str:
    if not decision.allowed:
        return "deny"
    if any(f.mode == "dry-run" for f in decision.warnings):
        return "would-deny"
    return "allow"


def log_decision(review: Review, decision: Decision, label: str, seconds: float) -> None:
    logger.info(
        "would deny" if label == "would-deny" else label,
        extra={
            "fields": {
                "uid": review.uid,
                "kind": review.kind,
                "namespace": review.namespace,
                "name": review.name,
                "operation": review.operation,
                "user": review.user,
                "dryRun": review.dry_run,
                "decision": label,
                "skipped": decision.skipped or None,
                "violations": _violations(decision.denials + decision.warnings),
                "existing": len(decision.grandfathered),
                "ms": round(seconds * 1000, 3),
            }
        },
    )


def log_bad_request(message: str, status: int, remote: str | None) -> None:
    logger.warning(
        "bad request", extra={"fields": {"error": message, "status": status, "remote": remote}}
    )


def log_event(message: str, **fields: Any) -> None:
    logger.info(message, extra={"fields": fields})


def _violations(findings: list[Finding]) -> list[dict[str, str]]:
    return [
        {
            "policy": f.violation.policy,
            "container": f.violation.container_label,
            "path": f.violation.path,
            "mode": f.mode,
        }
        for f in findings
    ]
