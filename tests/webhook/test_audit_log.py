"""webhook/audit_log.py: warnings a client can repeat at will are rate-limited."""

import json
import time

import pytest

from webhook import audit_log
from webhook.audit_log import RateLimitedWarnings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _lines(capfd: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    audit_log.flush()
    return [json.loads(line) for line in capfd.readouterr().err.splitlines() if line]


def test_a_flood_of_one_warning_is_a_few_lines_and_a_count(
    capfd: pytest.CaptureFixture[str],
) -> None:
    clock = Clock()
    warnings = RateLimitedWarnings(per_window=3, window=10.0, clock=clock)
    for n in range(1000):
        warnings.warn("connection shed: connection cap", remote=f"10.0.0.{n % 250}")
    warnings.warn("slow client cut off", remote="10.0.0.1")  # another message: its own window
    clock.now += 10.5
    warnings.summarize(clock.now)
    lines = _lines(capfd)
    shed = [line for line in lines if line["msg"] == "connection shed: connection cap"]
    assert [line.get("remote") for line in shed[:3]] == ["10.0.0.0", "10.0.0.1", "10.0.0.2"]
    assert shed[3] == {**shed[3], "more": 997, "seconds": 10.0}
    assert len(shed) == 4
    assert [line["msg"] for line in lines].count("slow client cut off") == 1


def test_a_new_window_writes_again(capfd: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    warnings = RateLimitedWarnings(per_window=1, window=10.0, clock=clock)
    warnings.warn("silent connection cut off")
    warnings.warn("silent connection cut off")
    clock.now += 11
    warnings.warn("silent connection cut off")
    assert [line.get("more") for line in _lines(capfd)] == [None, 1, None]


def test_in_the_foreground_a_line_waits_for_flush(capfd: pytest.CaptureFixture[str]) -> None:
    """The tests run so (tests/conftest.py): no thread writes between two tests' captures."""
    audit_log.emit("info", "held until flushed")
    time.sleep(audit_log.FLUSH_SECONDS * 3)  # the server's thread would have written by now
    assert capfd.readouterr().err == ""
    audit_log.flush()
    assert '"msg":"held until flushed"' in capfd.readouterr().err
