"""Floods of connections are shed, not absorbed: reviews keep flowing past them.

One worker with a small connection cap (GATEHOUSE_MAX_CONNECTIONS=24), so a few
dozen connections are a flood: idle kept-alive TLS connections, raw TCP
connections that never send a byte, a per-address cap, and a worker out of
file descriptors. In each, a review sent during the flood is answered, and the
worker says (rate-limited) what it shed. ``make bench-hostile`` measures the
same attacks at full size, with a bystander's p99.
"""

import contextlib
import json
import resource
import select
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.manifests import pod, review
from tests.reliability.report import Ledger
from tests.server import VALIDATE_HEAD, Server, exchange, serve, tls_connection

CAP = 24
BODY = json.dumps(review(pod())).encode()
REQUEST = VALIDATE_HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY


def _review_once(server: Server) -> int:
    """A fresh connection, one review: its HTTP status."""
    with tls_connection(server) as tls, tls.makefile("rb") as answers:
        tls.sendall(REQUEST)
        return int(answers.readline().split()[1])


def _answered(tls: ssl.SSLSocket) -> bool:
    """One review on an open connection, its answer read whole; False if it was closed."""
    try:
        return exchange(tls, REQUEST).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def _wait_for_log(server: Server, text: str, seconds: float = 10.0) -> str:
    deadline = time.monotonic() + seconds
    while text not in (log := server.log()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return log


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"GATEHOUSE_MAX_CONNECTIONS": str(CAP), "GATEHOUSE_FIRST_BYTE_DEADLINE": "30"}
    with serve(tmp_path_factory.mktemp("capped"), env=env, workers=1) as server:
        yield server


def test_idle_connections_past_the_cap_are_shed_oldest_first(
    capped: Server, ledger: Ledger
) -> None:
    idle: list[ssl.SSLSocket] = []
    try:
        for _ in range(2 * CAP):  # each makes one review and then sits idle
            tls = tls_connection(capped)
            assert _answered(tls)
            idle.append(tls)
        time.sleep(1.5)  # past the idle grace: the worker sheds down to 3/4 of the cap
        assert _review_once(capped) == 200
        alive = [tls for tls in idle if _answered(tls)]
        ledger.add("faults", len(idle))
        # the newest survive; everything beyond three quarters of the cap was shed
        assert 0 < len(alive) <= CAP * 3 // 4
        assert alive == idle[-len(alive) :]
    finally:
        for tls in idle:
            tls.close()
    log = _wait_for_log(capped, "connection shed")
    assert '"msg":"connection shed: connection cap"' in log


def test_raw_connections_that_never_speak_take_no_place_from_a_review(
    capped: Server, ledger: Ledger
) -> None:
    silent = [socket.create_connection(("127.0.0.1", capped.port)) for _ in range(3 * CAP)]
    try:
        ledger.add("faults", len(silent))
        for _ in range(3):
            assert _review_once(capped) == 200
        # the oldest were shed to make room for the newest: closed, and so readable
        readable, _, _ = select.select(silent, [], [], 2)
        cut = [raw for raw in readable if raw.recv(1) == b""]
        assert len(cut) >= 2 * CAP
        assert silent[0] in cut and silent[-1] not in cut
    finally:
        for raw in silent:
            raw.close()


def test_the_shed_warnings_are_rate_limited(capped: Server) -> None:
    """Over a hundred connections were shed above, in seconds: a few lines say so."""
    shed = [
        line
        for line in capped.log().splitlines()
        if '"msg":"connection shed: connection cap"' in line and '"more":' not in line
    ]
    assert 0 < len(shed) <= 5 * 2  # five a window of 10 s; the tests above took two at most


def test_a_cap_per_address_sheds_that_address_own_idle_connections(tmp_path: Path) -> None:
    env = {"GATEHOUSE_MAX_CONNECTIONS_PER_PEER": "8"}
    with serve(tmp_path, env=env, workers=1) as server:
        idle = []
        try:
            for _ in range(12):
                tls = tls_connection(server)
                assert _answered(tls)
                idle.append(tls)
            alive = [tls for tls in idle if _answered(tls)]
            assert len(alive) <= 8 and alive == idle[-len(alive) :]
        finally:
            for tls in idle:
                tls.close()
        assert "connection shed: per-address cap" in _wait_for_log(server, "per-address cap")


def test_silent_connections_are_cut_at_the_first_byte_deadline(tmp_path: Path) -> None:
    env = {"GATEHOUSE_FIRST_BYTE_DEADLINE": "1", "GATEHOUSE_REQUEST_DEADLINE": "20"}
    with serve(tmp_path, env=env, workers=1) as server:
        with (
            socket.create_connection(("127.0.0.1", server.port)) as silent,
            tls_connection(server) as tls,
        ):
            tls.sendall(REQUEST[:20])  # a request begun: it has the request deadline
            opened = time.monotonic()
            silent.settimeout(10)
            assert silent.recv(1) == b""
            lasted = time.monotonic() - opened
            tls.sendall(REQUEST[20:])
            assert tls.recv(16).startswith(b"HTTP/1.1 200")  # the last use of this connection
        assert 0.5 < lasted < 4.0


def _few_descriptors() -> None:
    """In the server's process tree: a descriptor limit a flood runs into at once."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def test_a_worker_out_of_file_descriptors_keeps_serving(tmp_path: Path, ledger: Ledger) -> None:
    with serve(tmp_path, workers=1, preexec_fn=_few_descriptors) as server:
        flood = []
        try:
            for _ in range(80):
                with contextlib.suppress(OSError):
                    flood.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
            ledger.add("faults", len(flood))
            log = _wait_for_log(server, "accept failed")
            assert '"msg":"accept failed"' in log and '"reason":"EMFILE"' in log
            assert _review_once(server) == 200
        finally:
            for raw in flood:
                raw.close()
        assert server.process.poll() is None
        assert "Traceback" not in server.log()
