"""Slow clients (slowloris) must not starve the workers, and are cut off after the deadline.

The server runs 2 workers with GATEHOUSE_REQUEST_DEADLINE=3 s. Three silent
connections, then trickling ones until each worker holds four (see
slow_clients.py), are open while a normal client sends its reviews: more than
the 2 x 4 threads of stock gthread, which they would all hold. Then, on 1
worker: requests read ahead together (pipelined) are all
answered, and neither a kept-alive connection trickling its next request nor
one that does not hang up after its answer holds up the next review.
"""

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.reliability.procfs import wait_for_workers
from tests.reliability.report import Ledger
from tests.reliability.slow_clients import Attack, attack
from tests.reliability.traffic import review_mix
from tests.server import VALIDATE_HEAD, Server, serve

DEADLINE = 3.0
WORKERS, SHARE, SILENT = 2, 4, 3
GTHREAD_THREADS = 2 * 4  # what the same attack holds in a stock gthread server
PROMPT = 1.0  # seconds a normal review may take while the slow clients are connected
# The worker checks deadlines each time its poller wakes, at least once a second.
CUT_WINDOW = (DEADLINE - 0.5, DEADLINE + 3.0)


@pytest.fixture(scope="module")
def slowloris(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attack]:
    env = {
        "GATEHOUSE_REQUEST_DEADLINE": str(DEADLINE),
        "GATEHOUSE_FIRST_BYTE_DEADLINE": str(DEADLINE),
    }
    with serve(tmp_path_factory.mktemp("slow"), env=env, workers=WORKERS) as server:
        wait_for_workers(server, WORKERS)  # ready means one worker answers; the attack needs all
        yield attack(server, SILENT, SHARE, DEADLINE, review_mix()[1])


def _lasted(slowloris: Attack, kind: str) -> list[float]:
    return [
        slow.cut_at - slow.opened_at
        for slow in slowloris.slow
        if slow.kind == kind and slow.cut_at is not None and slow.opened_at is not None
    ]


def test_the_attack_holds_more_connections_than_gthread_has_threads(
    slowloris: Attack, ledger: Ledger
) -> None:
    ledger.add("faults", len(slowloris.slow))
    ledger.add("requests", sum(not timed.error for timed in slowloris.normal))
    assert [slow.error for slow in slowloris.slow] == [""] * len(slowloris.slow)
    assert sorted(slowloris.held.values()) == [SHARE] * WORKERS
    assert slowloris.normal[0].slow_open > GTHREAD_THREADS


def test_normal_reviews_are_all_answered_right(slowloris: Attack) -> None:
    assert [timed.error for timed in slowloris.normal] == [""] * len(slowloris.normal)


def test_normal_reviews_are_answered_promptly_while_slow_clients_are_connected(
    slowloris: Attack,
) -> None:
    during = [timed.seconds for timed in slowloris.normal if timed.slow_open > GTHREAD_THREADS]
    assert during
    assert max(during) < PROMPT, [round(s, 2) for s in during]


@pytest.mark.parametrize("kind", ["headers", "body"])
def test_trickling_connections_are_cut_off_after_the_deadline(slowloris: Attack, kind: str) -> None:
    lasted = _lasted(slowloris, kind)
    assert lasted and len(lasted) == sum(slow.kind == kind for slow in slowloris.slow)
    assert all(CUT_WINDOW[0] <= seconds <= CUT_WINDOW[1] for seconds in lasted), lasted


def test_silent_connections_are_cut_off_after_the_deadline(slowloris: Attack) -> None:
    lasted = _lasted(slowloris, "silent")
    assert len(lasted) == SILENT
    assert all(seconds <= CUT_WINDOW[1] for seconds in lasted), lasted


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Whatever holds this server's only worker holds up every review."""
    env = {"GATEHOUSE_REQUEST_DEADLINE": str(DEADLINE)}
    with serve(tmp_path_factory.mktemp("one"), env=env, workers=1) as server:
        yield server


def _connect(server: Server) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return server.ssl_context().wrap_socket(raw, server_hostname="localhost")


def _request() -> bytes:
    body = review_mix()[0].body
    return VALIDATE_HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body


def _statuses(answers: BinaryIO, count: int) -> list[int]:
    """The status of each of the next ``count`` answers, read to their end."""
    statuses = []
    for _ in range(count):
        statuses.append(int(answers.readline().split()[1]))
        length = 0
        while (line := answers.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        answers.read(length)
    return statuses


def test_pipelined_requests_are_all_answered(one_worker: Server) -> None:
    request = _request()
    with _connect(one_worker) as tls, tls.makefile("rb") as answers:
        tls.sendall(request * 3 + request[:-10])  # the fourth one still on its way
        assert _statuses(answers, 3) == [200, 200, 200]
        tls.sendall(request[-10:])
        assert _statuses(answers, 1) == [200]


def test_a_kept_alive_connection_trickling_its_next_request_holds_up_no_one(
    one_worker: Server,
) -> None:
    request = _request()
    with _connect(one_worker) as slow, slow.makefile("rb") as slow_answers:
        slow.sendall(request)
        assert _statuses(slow_answers, 1) == [200]
        slow.sendall(request[:100])  # and no more
        started = time.monotonic()
        with _connect(one_worker) as tls, tls.makefile("rb") as answers:
            tls.sendall(request)
            assert _statuses(answers, 1) == [200]
        assert time.monotonic() - started < PROMPT


def test_a_client_that_does_not_hang_up_after_its_answer_holds_up_no_one(
    one_worker: Server,
) -> None:
    with _connect(one_worker) as idle, idle.makefile("rb") as idle_answers:
        idle.sendall(_request().replace(VALIDATE_HEAD, VALIDATE_HEAD + b"Connection: close\r\n"))
        assert _statuses(idle_answers, 1) == [200]  # and the server waits for us to hang up
        started = time.monotonic()
        with _connect(one_worker) as tls, tls.makefile("rb") as answers:
            tls.sendall(_request())
            assert _statuses(answers, 1) == [200]
        assert time.monotonic() - started < PROMPT


def test_slow_uploads_together_cannot_buffer_more_than_the_budget(tmp_path: Path) -> None:
    """Many clients each trickling a large body: the worker's buffered total stays bounded."""
    from webhook.worker import BUFFER_BUDGET

    body_size = 6 * 1024 * 1024
    uploads = BUFFER_BUDGET // (4 * 1024 * 1024) + 4  # more than the budget can hold
    with serve(tmp_path, workers=1) as server:
        context = server.ssl_context()
        sockets = []
        try:
            for _ in range(uploads):
                raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                tls = context.wrap_socket(raw, server_hostname="localhost")
                sockets.append(tls)
                try:
                    tls.sendall(
                        VALIDATE_HEAD
                        + f"Content-Length: {body_size}\r\n\r\n".encode()
                        + b" " * (4 * 1024 * 1024)
                    )
                except OSError:
                    break  # cut off while uploading: the budget at work
            deadline = time.monotonic() + 20
            while "buffer budget is spent" not in server.log() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "buffer budget is spent" in server.log()
        finally:
            for tls in sockets:
                tls.close()
