"""The worker's loop, branch by branch, with sockets that misbehave on cue.

Real TLS rarely shows a partial write, an ``SSLWantWriteError`` mid-answer or
a "100 Continue" that cannot be sent at once, so these tests give the worker a
socket (one end of a real socketpair, for the poller) whose ``send`` and
``recv`` follow a script. The worker is gunicorn's own class with gunicorn's
own config; only the app is a small WSGI function.
"""

import errno
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from gunicorn.config import Config

from webhook.worker import (
    CLOSE_PER_TURN,
    CONTINUE,
    SIDE_THREAD_BYTES,
    GatehouseWorker,
    _Conn,
    _Deadlines,
    usable_cores,
)

REQUEST = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


class ScriptedSocket:
    """One end of a socketpair whose send and recv take their turns from a script.

    A script entry is an exception to raise, or for ``send`` how many bytes to take
    (None: all of them), for ``recv`` the bytes to return. An empty script: the
    real socket's behaviour (send takes all; recv would block).
    """

    def __init__(self) -> None:
        self.inner, self.peer = socket.socketpair()
        self.inner.setblocking(False)
        self.sends: list[Any] = []
        self.recvs: list[Any] = []
        self.sent = bytearray()
        self.closed = False

    def fileno(self) -> int:
        return self.inner.fileno()

    def send(self, data: bytes | memoryview) -> int:
        step = self.sends.pop(0) if self.sends else None
        if isinstance(step, BaseException):
            raise step
        taken = len(data) if step is None else min(step, len(data))
        self.sent += bytes(data[:taken])
        return taken

    def recv(self, size: int) -> bytes:
        if not self.recvs:
            raise BlockingIOError
        step = self.recvs.pop(0)
        if isinstance(step, BaseException):
            raise step
        return bytes(step)

    def shutdown(self, how: int) -> None:
        pass

    def pending(self) -> int:
        return 0

    def close(self) -> None:
        self.closed = True
        self.inner.close()
        self.peer.close()


class QuietLog:
    access_log_enabled = False

    def __init__(self) -> None:
        self.errors: list[str] = []

    def info(self, *args: object) -> None:
        pass

    def exception(self, message: str, *args: object) -> None:
        self.errors.append(message)

    def debug(self, *args: object) -> None:
        pass

    def warning(self, *args: object) -> None:
        pass

    def access(self, *args: object) -> None:
        pass


def ok_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@pytest.fixture
def worker() -> Iterator[GatehouseWorker]:
    made = GatehouseWorker(0, os.getpid(), [], None, 30, Config(), QuietLog())
    made.wsgi = ok_app
    made._body_limit = 1000
    yield made
    made._poller.close()
    made.tmp.close()


def connect(worker: GatehouseWorker, *recvs: Any) -> tuple[_Conn, ScriptedSocket]:
    """A connection in the worker as _accept leaves it, its request scripted to arrive."""
    fake = ScriptedSocket()
    fake.recvs = list(recvs)
    conn = _Conn(fake, ("10.0.0.7", 40000), ("127.0.0.1", 8443), "admission")  # type: ignore[arg-type]
    worker._conns[conn] = None
    worker._per_peer[conn.peer] += 1
    worker._poller.register(fake, conn.events, conn)
    worker._enter(conn, "silent", 1e12, 0.0)
    return conn, fake


def test_an_answer_sent_a_few_bytes_at_a_time_arrives_whole(worker: GatehouseWorker) -> None:
    fake_sends = [3] * 200
    conn, fake = connect(worker)
    fake.sends = list(fake_sends)
    fake.recvs = [REQUEST]
    worker._start_request(conn, b"")
    assert fake.sent.startswith(b"HTTP/1.1 200 OK\r\n") and fake.sent.endswith(b"\r\n\r\nok")
    assert conn.state == "idle" and not conn.out


@pytest.mark.parametrize(
    ("interruption", "waits_for"),
    [
        (ssl.SSLWantWriteError(), selectors.EVENT_WRITE),
        (BlockingIOError(), selectors.EVENT_WRITE),
        (ssl.SSLWantReadError(), selectors.EVENT_READ),  # TLS renegotiation wants a read first
    ],
    ids=["ssl-want-write", "blocking", "ssl-want-read"],
)
def test_a_send_that_cannot_go_on_now_resumes_when_the_socket_is_ready(
    worker: GatehouseWorker, interruption: BaseException, waits_for: int
) -> None:
    conn, fake = connect(worker, REQUEST)
    fake.sends = [10, interruption]
    worker._start_request(conn, b"")
    assert conn.state == "sending" and conn.events == waits_for and len(fake.sent) == 10
    worker._on_ready(conn)  # the poller says the socket is ready again
    assert fake.sent.endswith(b"ok") and conn.state == "idle"
    assert conn.events == selectors.EVENT_READ


def test_an_idle_connection_woken_by_less_than_a_request_byte_is_silent_again(
    worker: GatehouseWorker,
) -> None:
    conn, fake = connect(worker, REQUEST)
    worker._start_request(conn, b"")
    assert conn.state == "idle"
    fake.recvs = [ssl.SSLWantReadError()]  # a TLS record in part: no byte of a request
    worker._on_ready(conn)
    assert conn.state == "silent" and conn in worker._silent and conn not in worker._idle_once
    assert conn.deadline < 1e12  # the request deadline runs: it cannot sit there for ever
    fake.recvs = [REQUEST]
    worker._on_ready(conn)
    assert conn.state == "idle" and fake.sent.endswith(b"ok")


def test_each_state_keeps_a_connection_in_its_own_table_only(worker: GatehouseWorker) -> None:
    conn, fake = connect(worker, REQUEST[:10])
    tables = {
        "silent": worker._silent,
        "reading": worker._reading,
        "idle": worker._idle_once,
    }
    seen = []
    for step in (lambda: None, lambda: worker._start_request(conn, b"")):
        step()
        seen.append(conn.state)
        assert [state for state, table in tables.items() if conn in table] == [conn.state]
    fake.recvs = [REQUEST[10:]]
    worker._on_ready(conn)
    assert [*seen, conn.state] == ["silent", "reading", "idle"]
    assert [state for state, table in tables.items() if conn in table] == ["idle"]
    worker._close(conn)
    assert not any(conn in table for table in tables.values())


def test_a_send_that_fails_closes_only_that_connection(worker: GatehouseWorker) -> None:
    conn, fake = connect(worker, REQUEST)
    other, _ = connect(worker)
    fake.sends = [ConnectionResetError()]
    worker._start_request(conn, b"")
    assert conn.closed and fake.closed
    assert not other.closed and list(worker._conns) == [other]


def test_100_continue_is_sent_even_when_tls_cannot_take_it_at_once(
    worker: GatehouseWorker,
) -> None:
    head = (
        b"POST /validate HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    )
    conn, fake = connect(worker, head)
    fake.sends = [ssl.SSLWantWriteError()]
    worker._start_request(conn, b"")
    assert conn.state == "reading" and conn.interim and conn.events == selectors.EVENT_WRITE
    worker._on_ready(conn)  # writable: the interim answer goes out, reading goes on
    assert bytes(fake.sent) == CONTINUE
    assert conn.state == "reading" and not conn.interim and conn.events == selectors.EVENT_READ
    fake.recvs = [b"{}"]
    worker._on_ready(conn)
    assert fake.sent.endswith(b"ok") and conn.state == "idle"


def test_after_max_requests_the_worker_answers_closes_and_stops(
    worker: GatehouseWorker,
) -> None:
    worker.max_requests = 2
    conn, fake = connect(worker, REQUEST + REQUEST)
    worker._start_request(conn, b"")
    assert worker.alive is False
    assert fake.sent.count(b"HTTP/1.1 200 OK") == 2
    assert b"Connection: close" in bytes(fake.sent).split(b"HTTP/1.1 200 OK")[2]
    assert conn.state == "closing"


def test_a_request_gunicorn_cannot_parse_gets_its_400_and_a_close(
    worker: GatehouseWorker,
) -> None:
    conn, fake = connect(worker, b"BREW /coffee HTCPCP/1.0\r\n\r\n")
    worker._start_request(conn, b"")
    assert fake.sent.startswith(b"HTTP/1.1 400 Bad Request")
    assert conn.state == "closing"


def test_a_bug_while_serving_one_connection_closes_that_one_only(
    worker: GatehouseWorker,
) -> None:
    conn, fake = connect(worker)
    other, _ = connect(worker)
    fake.recvs = [RuntimeError("a bug in reading")]
    worker._on_ready(conn)
    assert conn.closed and not other.closed
    assert worker.log.errors == ["Error serving a connection"]  # type: ignore[attr-defined]


def test_a_malformed_chunked_body_is_answered_by_the_worker_without_the_app(
    worker: GatehouseWorker,
) -> None:
    called = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        called.append(environ)
        return ok_app(environ, start_response)

    worker.wsgi = app
    conn, fake = connect(
        worker, b"POST /validate HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    )
    worker._start_request(conn, b"")
    assert called == []
    assert fake.sent.startswith(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json")
    assert conn.state == "closing"


def test_each_request_says_which_listener_it_came_in_on(worker: GatehouseWorker) -> None:
    seen = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ["gatehouse.listener"])
        return ok_app(environ, start_response)

    worker.wsgi = app
    conn, _ = connect(worker, REQUEST)
    worker._start_request(conn, b"")
    probe, _ = connect(worker, REQUEST)
    probe.listener = "probes"
    worker._start_request(probe, b"")
    assert seen == ["admission", "probes"]


class RefusingListener:
    def __init__(self, error: int) -> None:
        self.error = error

    def accept(self) -> tuple[socket.socket, Any]:
        raise OSError(self.error, os.strerror(self.error))

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 8443)


@pytest.mark.parametrize("error", [errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM])
def test_an_accept_that_fails_for_want_of_resources_sheds_a_connection(
    worker: GatehouseWorker, error: int
) -> None:
    idle, _ = connect(worker, REQUEST)
    worker._start_request(idle, b"")
    arriving, _ = connect(worker, REQUEST[:10])
    worker._start_request(arriving, b"")
    silent, _ = connect(worker)
    assert (idle.state, arriving.state, silent.state) == ("idle", "reading", "silent")
    for shed in (silent, idle, arriving):  # cheapest loss first
        worker._accept(RefusingListener(error))  # type: ignore[arg-type]
        assert shed.closed
    assert not worker._conns


@pytest.mark.parametrize("error", [errno.EAGAIN, errno.ECONNABORTED])
def test_an_accept_another_worker_won_or_the_client_gave_up_is_nothing(
    worker: GatehouseWorker, error: int
) -> None:
    idle, _ = connect(worker, REQUEST)
    worker._start_request(idle, b"")
    worker._accept(RefusingListener(error))  # type: ignore[arg-type]
    assert not idle.closed


def test_deadlines_come_due_in_time_order_whatever_order_they_were_set(
    worker: GatehouseWorker,
) -> None:
    deadlines = _Deadlines()
    conns = [connect(worker)[0] for _ in range(4)]
    for conn, when in zip(conns, (40.0, 10.0, 30.0, 20.0), strict=True):
        deadlines.set(conn, when, live=4)
    deadlines.set(conns[0], 5.0, live=4)  # moved earlier: the entry at 40 is stale now
    assert deadlines.overdue(15.0) == [conns[0], conns[1]]
    deadlines.set(conns[2], 50.0, live=4)  # moved later: the entry at 30 is stale now
    assert deadlines.overdue(35.0) == [conns[3]]
    assert deadlines.overdue(100.0) == [conns[2]]  # and the stale one at 40 is passed over


def test_a_turn_closes_a_bounded_number_of_overdue_connections_and_comes_back_at_once(
    worker: GatehouseWorker,
) -> None:
    """A flood's connections all come due together: closing them all in one turn would
    hold every other connection up; they go CLOSE_PER_TURN at a time, on turns that do
    not wait for an event, earliest first."""
    flood = [connect(worker)[0] for _ in range(CLOSE_PER_TURN * 2 + 10)]
    for n, conn in enumerate(flood):
        worker._enter(conn, "silent", time.monotonic() - 100 + n * 0.001, 0.0)
    worker._serve_once()
    assert sum(conn.closed for conn in flood) == CLOSE_PER_TURN
    assert all(conn.closed for conn in flood[:CLOSE_PER_TURN])
    assert worker._behind  # the next select does not wait
    worker._serve_once()
    worker._serve_once()
    assert all(conn.closed for conn in flood)
    worker._serve_once()
    assert not worker._behind


def test_stale_deadlines_do_not_pile_up(worker: GatehouseWorker) -> None:
    deadlines = _Deadlines()
    conn, _ = connect(worker)
    for when in range(10_000):
        deadlines.set(conn, float(when), live=1)
    assert len(deadlines) <= 4 * 1 + 1024 + 1
    assert deadlines.overdue(1e9) == [conn]


def test_the_worker_is_made_with_a_loop_per_usable_core_by_default() -> None:
    assert usable_cores() >= 1


def test_idle_connections_that_served_one_request_are_shed_before_the_pool(
    worker: GatehouseWorker,
) -> None:
    regular, _ = connect(worker, REQUEST + REQUEST)  # served two: the API server's kind
    worker._start_request(regular, b"")
    once, _ = connect(worker, REQUEST)  # served one, idle since after the other
    worker._start_request(once, b"")
    assert (regular.served, once.served) == (2, 1)
    worker._shed_one("test", for_peer=None)
    assert once.closed and not regular.closed


def test_near_the_cap_only_single_request_idle_connections_are_closed(
    worker: GatehouseWorker,
) -> None:
    worker._max_conns = 8  # shedding starts above 6
    pool = []
    for _ in range(4):
        conn, _ = connect(worker, REQUEST + REQUEST)
        worker._start_request(conn, b"")
        pool.append(conn)
    singles = []
    for _ in range(4):
        conn, _ = connect(worker, REQUEST)
        worker._start_request(conn, b"")
        singles.append(conn)
    assert worker._shed_idle(now=1e12, limit=100) == 2  # every one idle long past the grace
    assert [conn.closed for conn in singles] == [True, True, False, False]  # oldest first
    assert not any(conn.closed for conn in pool)
    for conn in singles[2:]:
        worker._close(conn)
    # the pool alone is never shed ahead of time, even above the mark
    for _ in range(3):
        extra, _ = connect(worker)
        worker._enter(extra, "reading", 1e12, 0.0)
    assert worker._shed_idle(now=1e12, limit=100) == 0
    assert not any(conn.closed for conn in pool)


def test_a_large_request_is_judged_on_the_side_thread_and_answered_by_the_loop(
    worker: GatehouseWorker,
) -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(threading.current_thread().name)
        environ["wsgi.input"].read()
        return ok_app(environ, start_response)

    worker.wsgi = app
    worker._body_limit = 10 * SIDE_THREAD_BYTES
    worker._side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gatehouse-judge")
    worker._wake_read, worker._wake_write = os.pipe()
    body = b"x" * (SIDE_THREAD_BYTES + 1)
    large = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    conn, fake = connect(worker, large + body)
    small, small_fake = connect(worker, REQUEST)
    try:
        worker._start_request(conn, b"")
        assert conn.state == "judging"
        # waiting for its judgement, the body still counts against the buffer budget
        assert worker._buffered >= len(body)
        worker._start_request(small, b"")  # the loop serves another meanwhile
        assert small_fake.sent.endswith(b"ok")
        worker._side.shutdown(wait=True)  # the side thread is done
        worker._take_judged()
        assert fake.sent.startswith(b"HTTP/1.1 200 OK") and conn.state == "idle"
        assert seen[0].startswith("gatehouse-judge") and seen[1] == "MainThread"
        assert worker._buffered == 0
    finally:
        os.close(worker._wake_read)
        os.close(worker._wake_write)


def test_a_large_request_cut_off_while_it_waited_is_not_judged(
    worker: GatehouseWorker,
) -> None:
    """Queued behind the one judge past its deadline: judging it would only keep the
    judge from the requests that still have someone waiting."""
    judged: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        judged.append(environ["wsgi.input"].read())
        return ok_app(environ, start_response)

    worker.wsgi = app
    worker._body_limit = 10 * SIDE_THREAD_BYTES
    held = threading.Event()
    worker._side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gatehouse-judge")
    worker._side.submit(held.wait, 10)  # the judge is busy with another
    worker._wake_read, worker._wake_write = os.pipe()
    body = b"x" * (SIDE_THREAD_BYTES + 1)
    large = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    conn, fake = connect(worker, large + body)
    try:
        worker._start_request(conn, b"")
        assert conn.state == "judging"
        worker._close(conn)  # its deadline passed while it waited
        held.set()
        worker._side.shutdown(wait=True)
        worker._take_judged()
        assert judged == [] and fake.sent == b""
        assert worker._buffered == 0
    finally:
        os.close(worker._wake_read)
        os.close(worker._wake_write)
