"""Hostile input over the wire: the real server, one keep-alive connection, no 500, no hang.

A sample of hostile.hostile_bodies is POSTed to gunicorn over TLS; afterwards the
server's log must hold no unexpected error. Oversized bodies with a Content-Length
are covered in tests/webhook/test_server.py; here a chunked one is refused too.
"""

import contextlib
import json
import socket
import ssl
import time
import uuid

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.manifests import leaky_container, pod, review
from tests.reliability.hostile import budget, hostile_bodies
from tests.reliability.report import Ledger
from tests.reliability.wire import PIECE, EarlyAnswerClient
from tests.server import VALIDATE_HEAD, Server, tls_connection
from webhook.app import MAX_BODY_BYTES
from webhook.worker import MAX_CHUNKS

UNREAD_BODY_KEPT = 64 * 1024  # gunicorn drains this much of an unread body to keep alive
CONTENT_TYPES = st.sampled_from(
    ["application/json"] * 8
    + ["application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"]
)


def test_hostile_bodies_over_one_keep_alive_connection(server: Server, ledger: Ledger) -> None:
    client = EarlyAnswerClient(server)
    client.post(json.dumps(review(pod())).encode())

    @budget(300)
    @given(body=hostile_bodies, content_type=CONTENT_TYPES)
    def answers_every_body(body: bytes, content_type: str) -> None:
        ledger.add("inputs", 1)
        try:
            answer = client.post(body, content_type)
        except BaseException:
            client.close()  # a failed example must not leave the next one mid-request
            raise
        if not content_type.startswith("application/json"):
            assert answer.status == 415
        assert answer.status in (200, 400, 413, 415), answer
        assert answer.status == 200 or set(orjson.loads(answer.body)) == {"error"}
        if answer.status in (413, 415) and len(body) > UNREAD_BODY_KEPT:
            client.close()  # the server will not read that body to reuse the connection
        else:
            assert not answer.closed  # answered, and kept alive

    answers_every_body()
    marker = review(pod(leaky_container()), user=f"marker-{uuid.uuid4()}")  # denied: logged
    assert client.post(json.dumps(marker).encode()).status == 200
    client.close()
    log = _log_through(server, marker["request"]["userInfo"]["username"])
    assert '"unexpected error"' not in log and "Traceback" not in log


def _log_through(server: Server, marker: str, seconds: float = 10.0) -> str:
    """The server's log once ``marker`` is in it: everything the same worker logged before."""
    deadline = time.monotonic() + seconds
    while marker not in (log := server.log()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker in log
    return log


def test_chunked_body_over_the_limit_is_refused_before_it_is_all_sent(
    server: Server, ledger: Ledger
) -> None:
    offered = 12 * MAX_BODY_BYTES  # far more than the server may take in
    body = (b" " * PIECE for _ in range(offered // PIECE))
    client = EarlyAnswerClient(server)
    answer = client.stream(body, "application/json", length=None)
    client.close()
    ledger.add("inputs", 1)
    assert answer.status == 413
    assert set(orjson.loads(answer.body)) == {"error"}
    assert answer.sent < offered / 2  # refused while most of it was still unsent


def _flood_with_chunks(tls: ssl.SSLSocket, chunks: bytes) -> int:
    """Send a chunked head, then ``chunks`` over and over until cut off or 6 body limits
    have gone: the bytes offered."""
    tls.sendall(VALIDATE_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    offered = 0
    try:
        while offered < 6 * MAX_BODY_BYTES:
            tls.sendall(chunks)
            offered += len(chunks)
    except OSError:
        pass  # cut off while sending
    return offered


def test_chunked_body_of_tiny_chunks_is_refused_once_it_has_too_many(
    server: Server, ledger: Ledger
) -> None:
    """One-byte chunks: six bytes on the wire per byte of body, a few microseconds each to frame."""
    with tls_connection(server) as tls:
        _flood_with_chunks(tls, b"1\r\nx\r\n" * (PIECE // 6))
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := tls.recv(PIECE):
                answer += chunk
    ledger.add("inputs", 1)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    # refused after MAX_CHUNKS chunks (under 400 KB): what was sent after was only drained
    assert f"malformed chunked body: more than {MAX_CHUNKS} chunks".encode() in answer
    _log_through(server, f"more than {MAX_CHUNKS} chunks")


def test_chunk_framing_that_outgrows_the_body_limit_is_cut_off(
    server: Server, ledger: Ledger
) -> None:
    """Few chunks, each with a long extension: framing, not body, fills the buffer."""
    with tls_connection(server) as tls:
        offered = _flood_with_chunks(tls, (b"1;" + b"e" * 8000 + b"\r\nx\r\n") * 16)
        closed = tls.recv(PIECE) == b""
    ledger.add("inputs", 1)
    assert closed and offered < 4 * MAX_BODY_BYTES
    _log_through(server, "chunk framing outgrew the body limit")


@pytest.mark.parametrize(
    ("framing", "problem"),
    [
        (b"zz\r\n{}\r\n0\r\n\r\n", "chunk size is not a hexadecimal number"),
        (b"-2\r\n{}\r\n0\r\n\r\n", "chunk size is not a hexadecimal number"),
        (b"f" * 40 + b"\r\n{}", "chunk size too large"),
        (b"2\r\n{}XX2\r\n{}\r\n0\r\n\r\n", "chunk data does not end where its size says"),
        (b"a" * 20_000, "chunk size line too long"),  # no line end: never waits for one
    ],
    ids=["not-hex", "negative", "overlong-size", "short-chunk", "endless-size-line"],
)
def test_every_malformed_framing_is_a_400_at_once(
    server: Server, ledger: Ledger, framing: bytes, problem: str
) -> None:
    started = time.monotonic()
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw,
        server.ssl_context().wrap_socket(raw, server_hostname="localhost") as tls,
        tls.makefile("rb") as answers,
    ):
        tls.sendall(VALIDATE_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + framing)
        status = answers.readline()
        head = b""
        while (line := answers.readline()) not in (b"\r\n", b""):
            head += line
        body = answers.read()  # then the server closes: a framing it cannot trust
    ledger.add("inputs", 1)
    assert status.startswith(b"HTTP/1.1 400 "), status
    assert b"Connection: close" in head
    assert orjson.loads(body) == {"error": f"malformed chunked body: {problem}"}
    assert time.monotonic() - started < 5  # the request deadline is 10 s: not waited for
    log = _log_through(server, f"malformed chunked body: {problem}")
    assert '"unexpected error"' not in log and "Traceback" not in log
