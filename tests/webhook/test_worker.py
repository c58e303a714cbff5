"""The worker's reading of a request's framing: when a request can be answered from
what is buffered, and where it ends. Then the one framing path only a client that
waits for it can show: "Expect: 100-continue" over real TLS. Last, how many event
loops the usable cores allow."""

import json
import os
import socket
from pathlib import Path

import pytest

from tests.manifests import pod, review
from tests.server import VALIDATE_HEAD, Server
from webhook.worker import CHUNK_LINE_LIMIT, HEAD_ALLOWANCE, _IncomingRequest, usable_cores

LIMIT = 1000


def arrival(data: bytes) -> _IncomingRequest:
    return _IncomingRequest(data, LIMIT)


def with_length(body: bytes, extra: bytes = b"") -> bytes:
    return VALIDATE_HEAD + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


def chunked(*chunks: bytes, trailers: bytes = b"") -> bytes:
    framed = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return (
        VALIDATE_HEAD
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + framed
        + b"0\r\n"
        + trailers
        + b"\r\n"
    )


def test_a_request_is_ready_once_its_whole_body_is_here() -> None:
    request = with_length(b"x" * 100)
    partial = arrival(request[:-1])
    assert not partial.ready()
    partial.data += request[-1:]
    assert partial.ready() and partial.end == len(request)


def test_a_pipelined_request_behind_it_is_not_part_of_it() -> None:
    first, second = with_length(b"a" * 10), with_length(b"b" * 20)
    both = arrival(first + second[:30])
    assert both.ready() and both.end == len(first)


def test_a_body_announced_over_the_limit_is_ready_to_refuse_before_it_arrives() -> None:
    announced = arrival(VALIDATE_HEAD + b"Content-Length: %d\r\n\r\n" % (LIMIT + 1))
    assert announced.ready() and announced.end == -1  # answerable, not whole


def test_framing_fields_are_found_whatever_their_case_and_only_as_fields() -> None:
    lowered = arrival(VALIDATE_HEAD + b"content-LENGTH: 5\r\n\r\nhello")
    assert lowered.ready() and lowered.end == len(lowered.data)
    # "content-length" inside another field's value frames nothing: no body, whole at once.
    disguised = arrival(VALIDATE_HEAD + b"X-Note: content-length: 5\r\n\r\n")
    assert disguised.ready() and disguised.end == len(disguised.data)


def test_a_chunked_body_is_whole_after_its_last_chunk_and_trailers() -> None:
    request = chunked(b"abc", b"defg", trailers=b"X-Checksum: 1\r\n")
    for cut in (len(request) - 1, len(request) - 3):
        assert not arrival(request[:cut]).ready()
    whole = arrival(request + with_length(b""))  # and a pipelined request behind it
    assert whole.ready() and whole.end == len(request)


def test_a_chunked_body_past_the_limit_is_ready_to_refuse_before_it_ends() -> None:
    over = arrival(chunked(b"x" * (LIMIT + 1))[:-5])  # the last chunk not yet sent
    assert over.ready() and over.end == -1
    under = arrival(chunked(b"x" * LIMIT)[:-5])
    assert not under.ready()


CHUNKED_HEAD = VALIDATE_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (b"zz\r\nabc", "chunk size is not a hexadecimal number"),
        (b"-1\r\nabc", "chunk size is not a hexadecimal number"),
        (b"+5\r\nabcde\r\n0\r\n\r\n", "chunk size is not a hexadecimal number"),
        (b"\r\n", "chunk size is not a hexadecimal number"),
        (b"0x5\r\n", "chunk size is not a hexadecimal number"),
        (b"1" * 17 + b"\r\n", "chunk size too large"),
        (b"5\r\nabcdefgh\r\n", "chunk data does not end where its size says"),
        (b"3\r\nabcXY", "chunk data does not end where its size says"),
        (b"3;ext=\rx\r\nabc\r\n", "bare CR or LF in a chunk extension"),
        (b"3" + b" " * (CHUNK_LINE_LIMIT + 1), "chunk size line too long"),
        (b"0\r\n" + b"X: y\r\n" * (HEAD_ALLOWANCE // 6 + 1), "trailer section too long"),
    ],
    ids=[
        "not-hex",
        "negative",
        "plus-sign",
        "empty",
        "0x-prefix",
        "seventeen-digits",
        "data-longer-than-size",
        "data-then-garbage",
        "bare-cr-in-extension",
        "endless-size-line",
        "endless-trailers",
    ],
)
def test_a_malformed_chunked_framing_is_refused_as_soon_as_it_shows(
    body: bytes, refusal: str
) -> None:
    garbled = arrival(CHUNKED_HEAD + body)
    assert garbled.ready()
    assert garbled.refusal == refusal


def test_a_chunk_size_line_still_arriving_is_not_refused_early() -> None:
    for partial in (b"1", b"1f", b"1f;name=va", b"5\r\nabc", b"5\r\nabcde\r"):
        waiting = arrival(CHUNKED_HEAD + partial)
        assert not waiting.ready() and waiting.refusal == ""


def test_chunk_extensions_and_whitespace_before_them_are_taken() -> None:
    fine = arrival(CHUNKED_HEAD + b"3 \t;name=value\r\nabc\r\n0\r\n\r\n")
    assert fine.ready() and fine.refusal == "" and fine.end == len(fine.data)


def test_a_head_longer_than_any_gunicorn_takes_is_ready_to_refuse() -> None:
    endless = arrival(VALIDATE_HEAD + b"X-Long: " + b"a" * HEAD_ALLOWANCE)
    assert endless.ready() and endless.end == -1


@pytest.mark.parametrize("value", [b"100-continue", b"100-Continue"])
def test_expect_100_continue_is_noticed(value: bytes) -> None:
    waiting = arrival(VALIDATE_HEAD + b"Expect: " + value + b"\r\nContent-Length: 5\r\n\r\n")
    assert not waiting.ready() and waiting.expects_continue


def test_a_client_that_waits_for_100_continue_gets_it_and_then_its_answer(
    server: Server,
) -> None:
    body = json.dumps(review(pod())).encode()
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
        server.ssl_context().wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(
            VALIDATE_HEAD + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        answers = tls.makefile("rb")
        assert answers.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert answers.readline() == b"\r\n"
        tls.sendall(body)
        assert answers.readline().startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [
        ("max 100000\n", "all"),  # no quota
        ("50000 100000\n", 1),  # half a core: still one loop
        ("150000 100000\n", 2),  # a limit of 1.5 CPUs, rounded up
        ("100000000 100000\n", "all"),  # a quota above the affinity does not add cores
        ("garbage\n", "all"),
    ],
)
def test_usable_cores_are_the_affinity_capped_by_the_cgroup_quota(
    tmp_path: Path, cpu_max: str, expected: int | str
) -> None:
    affinity = len(os.sched_getaffinity(0))
    quota_file = tmp_path / "cpu.max"
    quota_file.write_text(cpu_max)
    want = affinity if expected == "all" else min(affinity, int(expected))
    assert usable_cores(quota_file) == want


def test_usable_cores_without_a_cgroup_v2_file_are_the_affinity(tmp_path: Path) -> None:
    assert usable_cores(tmp_path / "absent") == len(os.sched_getaffinity(0))
