"""One structured JSON line per decision, with keys defined once.

Never a secret value and never a whole object: only names, paths and policy ids.
Lines bypass the logging module (its records, locks and handlers cost more than
the rest of a review does) and are written to stderr in batches of whole lines
at most every ``FLUSH_SECONDS``: a write per review was a tenth of the CPU a
review costs. Batches stay under PIPE_BUF so lines from several workers sharing
the container's stderr pipe never interleave.
"""

import atexit
import os
import threading
import time
from typing import Any

import orjson

from policies.engine import Finding
from webhook.decision import Decision
from webhook.review import Review

STDERR = 2
FLUSH_SECONDS = 0.2
PIPE_BUF = 4096


class _Lines:
    """Pending lines, taken out under a lock and written outside it: a review
    thread never waits on another thread's write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[bytes] = []
        self._size = 0
        self._flusher_started = False

    def write(self, line: bytes) -> None:
        batch = b""
        with self._lock:
            if not self._flusher_started:
                self._flusher_started = True
                threading.Thread(target=self._flush_forever, daemon=True).start()
            if self._size + len(line) > PIPE_BUF:
                batch = self._take()
            self._pending.append(line)
            self._size += len(line)
        if batch:
            os.write(STDERR, batch)

    def flush(self) -> None:
        with self._lock:
            batch = self._take()
        if batch:
            os.write(STDERR, batch)

    def forked(self) -> None:
        """In a new worker: the parent's flusher thread and its pending lines stay there."""
        self._lock = threading.Lock()
        self._pending, self._size = [], 0
        self._flusher_started = False

    def _take(self) -> bytes:
        batch = b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        return batch

    def _flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()


_lines = _Lines()
flush = _lines.flush
atexit.register(flush)
os.register_at_fork(after_in_child=_lines.forked)


def emit(level: str, message: str, **fields: Any) -> None:
    line = {"ts": round(time.time(), 3), "level": level, "msg": message, **fields}
    encoded = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
    while len(encoded) > PIPE_BUF and fields.get("violations"):
        fields["violations"] = fields["violations"][:-1]  # long names: name fewer violations
        line.update(fields)
        encoded = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
    _lines.write(encoded)


def decision_label(decision: Decision) -> str:
    if not decision.allowed:
        return "deny"
    if any(f.mode == "dry-run" for f in decision.warnings):
        return "would-deny"
    return "allow"


def log_decision(review: Review, decision: Decision, label: str, seconds: float) -> None:
    found = decision.findings
    emit(
        "info",
        "would deny" if label == "would-deny" else label,
        uid=review.uid,
        kind=review.kind,
        namespace=review.namespace,
        name=review.name,
        operation=review.operation,
        user=review.user,
        dryRun=review.dry_run,
        decision=label,
        skipped=decision.skipped or None,
        violations=_violations(found),
        violationCount=len(found),
        existing=len(decision.grandfathered),
        ms=round(seconds * 1000, 3),
    )


# A decision line names at most this many violations, and counts the rest: a client
# must not set the log's volume, and a line past PIPE_BUF could interleave with
# another worker's on the shared stderr pipe.
LOGGED_VIOLATIONS = 10


def log_bad_request(message: str, status: int, remote: str | None) -> None:
    emit("warning", "bad request", error=message, status=status, remote=remote)


def _violations(findings: list[Finding]) -> list[dict[str, str]]:
    return [
        {
            "policy": f.violation.policy,
            "container": f.violation.container_label[:63],
            "path": f.violation.path[:160],
            "mode": f.mode,
        }
        for f in findings[:LOGGED_VIOLATIONS]
    ]
