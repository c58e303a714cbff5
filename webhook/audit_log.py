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
import traceback
from collections.abc import Callable
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
        self.background = True  # a thread writes pending lines every FLUSH_SECONDS

    def write(self, line: bytes) -> None:
        batch = b""
        with self._lock:
            if self.background and not self._flusher_started:
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


def flush_in_the_foreground() -> None:
    """From now on lines are written only by ``flush`` or when a batch is full, never
    by a thread at a moment of its own: for a process that must know when its output
    happens (the tests, whose output is captured test by test)."""
    _lines.background = False


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


class RateLimitedWarnings:
    """Warnings a client can cause over and over (a connection cut off, shed, refused):
    the first ``per_window`` of each message in a window are written, and then, when
    the window is over, one line counting the rest. A flood of connections then costs
    a few lines, not one each: the log's volume is never the attacker's to set.
    """

    def __init__(
        self, per_window: int = 5, window: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_window = per_window
        self.window = window
        self.clock = clock
        self._windows: dict[str, list[float]] = {}  # message -> [start, written, held back]

    def warn(self, message: str, **fields: Any) -> None:
        now = self.clock()
        self.summarize(now)
        counts = self._windows.setdefault(message, [now, 0, 0])
        if counts[1] < self.per_window:
            counts[1] += 1
            emit("warning", message, **fields)
        else:
            counts[2] += 1

    def summarize(self, now: float) -> None:
        """Close the windows that are over, with a line for what each held back."""
        for message, (start, _, held) in list(self._windows.items()):
            if now - start < self.window:
                continue
            del self._windows[message]
            if held:
                emit("warning", message, more=int(held), seconds=self.window)


def decision_label(decision: Decision) -> str:
    if not decision.allowed:
        return "deny"
    if decision.over_budget or any(f.mode in ("dry-run", "scheduled") for f in decision.warnings):
        return "would-deny"
    return "allow"


def worth_a_line(decision: Decision, label: str, log_allowed: bool) -> bool:
    """Denials, would-denies, budget overruns and allowed updates of objects with old
    violations always get a line; a plain allow only when the operator asks for it
    (GATEHOUSE_LOG_ALLOWED): at full load that is most of the volume."""
    return log_allowed or label != "allow" or bool(decision.grandfathered or decision.excepted)


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
        excepted=_exceptions_used(decision.excepted) or None,
        budgetExceeded=decision.over_budget or None,
        ms=round(seconds * 1000, 3),
    )


# A decision line names at most this many violations, and counts the rest: a client
# must not set the log's volume, and a line past PIPE_BUF could interleave with
# another worker's on the shared stderr pipe.
LOGGED_VIOLATIONS = 10


def log_config_error(message: str) -> None:
    emit("error", "config invalid", error=message)


def log_unexpected(exc: BaseException) -> None:
    """Where it broke, never what it held: exception messages may quote a secret."""
    frames = [
        f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)
    ]
    emit("error", "unexpected error", type=type(exc).__name__, at=frames)


def log_bad_request(message: str, status: int, remote: str | None) -> None:
    emit("warning", "bad request", error=message, status=status, remote=remote)


def _exceptions_used(findings: list[Finding]) -> list[dict[str, str]]:
    """Each use of an exception: which one (its place in the config), whose, until when."""
    return [
        {
            "policy": f.violation.policy,
            "container": f.violation.container_label[:63],
            "path": f.violation.path[:160],
            "exception": f.exception.where,
            "owner": f.exception.owner[:63],
            "expires": f.exception.expiry,
        }
        for f in findings[:LOGGED_VIOLATIONS]
        if f.exception is not None
    ]


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
