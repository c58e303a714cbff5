"""The judge process's channel and lifetime, without gunicorn (see
tests/reliability/test_judge_process.py for it under the real server)."""

import os
import signal
import socket
import struct
import threading
import time
from typing import Any

import pytest

from webhook import judge_process
from webhook.judge_process import JudgeGone, JudgeProcess, recv_frame, send_frame


def _gone(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG) != (0, 0)
    except ChildProcessError:
        return True


def test_frames_carry_a_header_and_any_bytes() -> None:
    ours, theirs = socket.socketpair()
    body = bytes(range(256)) * 4096  # 1 MiB, every byte value: more than the pair buffers
    sender = threading.Thread(
        target=send_frame, args=(ours, {"address": ["10.0.0.1", 443], "verified": True}, body)
    )
    sender.start()
    assert recv_frame(theirs) == ({"address": ["10.0.0.1", 443], "verified": True}, body)
    sender.join()
    ours.close()
    assert recv_frame(theirs) is None  # closed between frames: the end


def test_a_frame_cut_short_is_the_end_and_an_oversized_one_is_refused() -> None:
    ours, theirs = socket.socketpair()
    ours.sendall(struct.pack("!II", 2, 10) + b"{}" + b"abc")
    ours.close()
    assert recv_frame(theirs) is None
    ours, theirs = socket.socketpair()
    ours.sendall(struct.pack("!II", 2, judge_process.MAX_BODY + 1))
    with pytest.raises(ValueError, match="larger than any request"):
        recv_frame(theirs)


def _echo(channel: socket.socket) -> None:
    def judge(header: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
        if header.get("sleep"):
            time.sleep(header["sleep"])
        return {"seen": len(body)}, body[::-1]

    judge_process.serve(channel, judge)


def test_the_judge_answers_each_request_and_exits_when_its_worker_closes() -> None:
    judge = JudgeProcess.fork(_echo)
    assert judge.ask({}, b"abc", timeout=10) == ({"seen": 3}, b"cba")
    assert judge.ask({}, b"x" * 100_000, timeout=10) == ({"seen": 100_000}, b"x" * 100_000)
    started = time.monotonic()
    judge.close()
    assert _gone(judge.pid)
    assert time.monotonic() - started < judge_process.EXIT_GRACE  # it left by itself


def test_a_judge_that_does_not_answer_in_time_is_killed() -> None:
    judge = JudgeProcess.fork(_echo)
    with pytest.raises(JudgeGone, match="TimeoutError"):
        judge.ask({"sleep": 60}, b"", timeout=0.2)
    assert _gone(judge.pid)


def test_a_judge_that_died_is_said_to_be_gone() -> None:
    judge = JudgeProcess.fork(_echo)
    os.kill(judge.pid, signal.SIGKILL)
    with pytest.raises(JudgeGone):
        judge.ask({}, b"abc", timeout=10)
    assert _gone(judge.pid)


def test_a_judge_that_raises_exits_rather_than_return_into_the_worker() -> None:
    def broken(channel: socket.socket) -> None:
        raise RuntimeError("judging failed")

    judge = JudgeProcess.fork(broken)
    _, status = os.waitpid(judge.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1
