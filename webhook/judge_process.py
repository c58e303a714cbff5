"""A process of each worker's own that judges its large reviews.

Judging is CPU work under the interpreter lock. On a thread of the worker, a 5 MB
review holds the lock for long stretches (parsing it is one C call of about 60 ms,
and a collection of its hundreds of thousands of objects another): the worker's
loop, and every other review on that worker, waits behind them. In a process of its
own the review only takes CPU, which the kernel shares out in fine slices; the loop
goes on answering the others. docs/decisions/0002-event-loop-worker.md has the
measurements.

The worker forks it once its app is loaded and before any thread starts, so the
child starts with a copy of a quiet process: no lock is held by a thread that is
not there. Requests go over a socket pair, one at a time, framed as a small JSON
header and a body; the child answers each with the same. When the worker goes, its
end of the pair closes and the child, reading it, exits. If the child dies, the
worker judges large reviews itself from then on (see ``JudgeGone``).
"""

import contextlib
import os
import signal
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

import orjson

_LENGTHS = struct.Struct("!II")  # header length, body length
# Headers are a few fields; bodies are at most a request the worker took in (its body
# limit and head allowance) or an answer (a few KiB).
MAX_HEADER = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
EXIT_GRACE = 1.0  # seconds a judge has to exit once its worker closed its end

Frame = tuple[dict[str, Any], bytes]
Judge = Callable[[dict[str, Any], bytes], Frame]


class JudgeGone(Exception):
    """The judge process did not answer: it died, or took longer than it may."""


def send_frame(channel: socket.socket, header: dict[str, Any], body: bytes) -> None:
    encoded = orjson.dumps(header)
    channel.sendall(_LENGTHS.pack(len(encoded), len(body)) + encoded)
    channel.sendall(body)


def recv_frame(channel: socket.socket) -> Frame | None:
    """The next frame; None when the other end has closed."""
    lengths = _recv_exactly(channel, _LENGTHS.size)
    if lengths is None:
        return None
    header_length, body_length = _LENGTHS.unpack(lengths)
    if header_length > MAX_HEADER or body_length > MAX_BODY:
        raise ValueError("frame larger than any request or answer")
    header = _recv_exactly(channel, header_length)
    body = _recv_exactly(channel, body_length)
    if header is None or body is None:
        return None
    return orjson.loads(header), body


def _recv_exactly(channel: socket.socket, size: int) -> bytes | None:
    if size == 0:
        return b""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = channel.recv(min(size - len(chunks), 1024 * 1024))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


class JudgeProcess:
    """The worker's handle on its judge: ``ask`` sends a request and waits for the answer."""

    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid = pid
        self._channel = channel

    @classmethod
    def fork(cls, become_judge: Callable[[socket.socket], None]) -> "JudgeProcess":
        """Fork the judge. The child runs ``become_judge`` with its end of the pair and
        exits when it returns (or raises): it never returns into the caller's code."""
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                ours.close()
                become_judge(theirs)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        return cls(pid, ours)

    def ask(self, header: dict[str, Any], body: bytes, timeout: float) -> Frame:
        try:
            self._channel.settimeout(timeout)
            send_frame(self._channel, header, body)
            answer = recv_frame(self._channel)
        except (OSError, ValueError) as exc:  # socket.timeout is an OSError
            self.close()
            raise JudgeGone(f"{type(exc).__name__}") from None
        if answer is None:
            self.close()
            raise JudgeGone("it closed its end")
        return answer

    def close(self) -> None:
        """Close our end: an idle judge sees it and exits; one still judging (it did not
        answer in time) is given a moment, then killed."""
        with contextlib.suppress(OSError):
            self._channel.close()
        given = time.monotonic() + EXIT_GRACE
        while time.monotonic() < given:
            try:
                if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                    return
            except ChildProcessError:
                return
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def serve(channel: socket.socket, judge: Judge) -> None:
    """In the judge process: answer requests until the worker closes its end."""
    while True:
        request = recv_frame(channel)
        if request is None:
            return
        send_frame(channel, *judge(*request))


def quiet_signals() -> None:
    """In the judge process: signals meant for the worker are not the judge's business.
    A Ctrl-C reaches the whole process group; the worker stops, closes its end, and
    the judge exits with it. A SIGTERM still stops it at once."""
    for name in ("SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    for name in ("SIGTERM", "SIGABRT", "SIGCHLD"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
