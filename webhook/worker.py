"""gunicorn's gthread worker, made safe against slow clients.

A thread is the scarce thing: 2 workers x 4 threads serve the whole cluster.
Stock gthread gives a connection a thread while its TLS handshake and its
request trickle in, so a handful of slowloris connections starve every pod
creation. Here the worker's main loop (its poller, which costs no thread) does
the handshake and reads each request, non-blocking, into gunicorn's parser
buffer; a connection reaches a thread only once a whole request is buffered,
or enough of it for gunicorn or the app to refuse it, so the thread parses
and answers with gunicorn's own code, without waiting on the client. A request
that has not arrived within ``REQUEST_DEADLINE`` seconds of its first byte (of
the accept, for a new connection) is cut off: the API server has long given up
on it by then. So is a thread's connection, should its client not read the
answer. Idle kept-alive connections keep gunicorn's keep-alive timeout, and a
connection closing after its answer waits for the client to hang up in the
poller too. HTTP/1.1 only: ALPN does not offer h2.
"""

import itertools
import os
import re
import selectors
import signal
import socket
import ssl
import time
from collections.abc import Iterable
from concurrent.futures import Future
from functools import partial
from typing import Any, cast

from gunicorn import http, sock
from gunicorn.http import Request, RequestParser
from gunicorn.http.unreader import Unreader
from gunicorn.workers import gthread
from gunicorn.workers.gthread import TConn

from webhook.audit_log import emit

# The API server waits at most 30 s for a webhook (the chart asks for 5 s).
REQUEST_DEADLINE = float(os.environ.get("GATEHOUSE_REQUEST_DEADLINE", "10"))
# More than any head gunicorn takes (100 fields of 8 KiB): it refuses a longer one
# from what is buffered. A connection buffers at most this and the app's body limit.
HEAD_ALLOWANCE = 1024 * 1024
# What all requests still arriving may buffer in one worker, together: a connection may
# buffer up to a body limit and a head, so without a cap a thousand slow uploads would
# hold gigabytes. The one that grows the total past it is cut off.
BUFFER_BUDGET = 64 * 1024 * 1024
LINGER = 2.0  # seconds a closing connection has to hang up, as in util.close_graceful
RECV_SIZE = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_HEX = re.compile(rb"[0-9A-Fa-f]+")


class _Arrival:
    """A request on its way in: the bytes so far, and how far they are understood."""

    def __init__(self, data: bytes, body_limit: int) -> None:
        self.body_limit = body_limit  # the app's: it refuses a longer body (413)
        self.deadline = time.monotonic() + REQUEST_DEADLINE
        self.data = bytearray(data)
        self.events = 0  # what the poller watches the socket for; 0: not registered
        self.body_at = -1  # where the body starts, once the head is in
        self.length: int | None = 0  # from Content-Length; None: chunked
        self.expects_continue = False  # the client waits for "100 Continue" to send its body
        self.at = 0  # where the next line to understand starts
        self.resume = 0  # where a search that failed goes on
        self.last_chunk = False
        self.whole = False  # the whole request is here, not just enough to refuse it

    def ready(self) -> bool:
        """Whether a thread can answer from ``data`` alone, never waiting on the client.

        It can once the whole request is here, and once gunicorn or the app
        refuses it from what is here: a head too long, a malformed framing, a
        body over the limit.
        """
        if self.body_at < 0:
            end = self._find(b"\r\n\r\n")
            if end < 0:
                return len(self.data) > HEAD_ALLOWANCE
            self._take_head(bytes(self.data[:end]))
            self.body_at = self.at = end + 4
        if self.length is None:
            self.whole = self._chunks_ended()
        else:
            self.whole = len(self.data) >= self.body_at + self.length
        # A Content-Length over the limit, or more buffered than a head and the longest body.
        too_long = max(len(self.data) - HEAD_ALLOWANCE, self.length or 0) > self.body_limit
        return self.whole or too_long

    def _take_head(self, head: bytes) -> None:
        """How the body is framed; a framing gunicorn refuses counts as no body (it answers 400)."""
        lengths: list[bytes] = []
        codings: list[bytes] = []
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name, value = name.lower(), value.strip()
            if name == b"content-length":
                lengths.append(value)
            elif name == b"transfer-encoding":
                codings += [coding.strip().lower() for coding in value.split(b",")]
            elif name == b"expect":
                self.expects_continue = value.lower() == b"100-continue"
        if codings:
            chunked = codings.count(b"chunked") == 1 and codings[-1] == b"chunked"
            self.length = None if chunked and not lengths else 0
        elif len(lengths) == 1 and lengths[0].isdigit():
            try:
                self.length = int(lengths[0])
            except ValueError:  # too many digits for int(), and for gunicorn
                self.length = 0

    def _chunks_ended(self) -> bool:
        """Whether the chunked body is all here: chunk after chunk, then the zero-size one
        and the empty line after its trailers (a malformed size: gunicorn reads no further)."""
        while not self.last_chunk:
            line_end = self._find(b"\r\n")
            if line_end < 0:
                return False
            digits = self.data[self.at : line_end].split(b";", 1)[0].rstrip(b" \t")
            if not _HEX.fullmatch(digits):
                return True
            size = int(digits, 16)
            self.last_chunk = size == 0
            self.at = line_end if self.last_chunk else line_end + 2 + size + 2
        return self._find(b"\r\n\r\n") >= 0

    def _find(self, terminator: bytes) -> int:
        """Where ``terminator`` is from ``at`` on, or -1. A failed search resumes where it
        stopped, so a line trickled in byte by byte is not scanned over and over."""
        found = self.data.find(terminator, max(self.at, self.resume))
        self.resume = 0 if found >= 0 else len(self.data) - len(terminator) + 1
        return found


def _receive(client: socket.socket, arrival: _Arrival) -> int:
    """Read what the client sent (on TLS, the first reads make the handshake): the
    poller events to wait for, or 0 once a thread can take over.

    Reading stops at a ready request, but not while TLS holds decrypted bytes, which
    the poller would not report; what a client pipelines stays in the kernel till then.
    """
    while True:
        try:
            data = client.recv(RECV_SIZE)
        except ssl.SSLWantWriteError:
            return selectors.EVENT_WRITE
        except (ssl.SSLWantReadError, BlockingIOError):
            break
        if not data:
            if arrival.ready():
                return 0  # answered all the same, as gthread would
            raise ConnectionAbortedError("hung up before a whole request")
        arrival.data += data
        if arrival.ready() and not (isinstance(client, ssl.SSLSocket) and client.pending()):
            return 0
    if arrival.ready():
        return 0
    if arrival.body_at >= 0 and arrival.expects_continue:
        arrival.expects_continue = False
        client.send(CONTINUE)
    return selectors.EVENT_READ


def _unreader(conn: TConn) -> Unreader:
    return cast(RequestParser, conn.parser).unreader  # made so in GatehouseWorker._start


def _overdue(deadlines: Iterable[tuple[TConn, float]], now: float) -> list[TConn]:
    """The connections past their deadline. Tables list them in deadline order: every
    entry's deadline is the same time after it went in, and dicts keep that order."""
    return [conn for conn, _ in itertools.takewhile(lambda entry: entry[1] < now, deadlines)]


def _warn(message: str, conn: TConn) -> None:
    peer = conn.client[0] if isinstance(conn.client, tuple) else conn.client
    emit("warning", message, remote=str(peer), seconds=REQUEST_DEADLINE)


class GatehouseWorker(gthread.ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Changed in the main loop only; a thread looks up _unfinished.
        self._reading: dict[TConn, _Arrival] = {}  # in the poller, their request on its way
        # In a thread, with a deadline all the same: one can still block writing an
        # answer its client does not read (pipelined requests fill the socket buffers).
        self._serving: dict[TConn, float] = {}
        self._unfinished: set[TConn] = set()  # in a thread, their body not all read
        self._closing: dict[TConn, float] = {}  # answered, lingering till the client hangs up
        self._body_limit = 0
        self._buffered = 0  # bytes held by the requests in _reading

    def init_process(self) -> None:
        # Till gunicorn installs handle_exit (in super().init_process()), a SIGTERM goes to
        # the master's handler, inherited over fork, and is lost: the worker then serves on
        # until the master kills it at graceful_timeout. So heed SIGTERM from here on, and
        # do nothing slow before gunicorn's handlers are in (see load_wsgi).
        signal.signal(signal.SIGTERM, self._stop_early)
        super().init_process()

    def _stop_early(self, sig: int, frame: object) -> None:
        self.alive = False

    def load_wsgi(self) -> None:
        super().load_wsgi()
        # Imported here, in the worker, once the app is: the master never loads it.
        from webhook.app import MAX_BODY_BYTES

        self._body_limit = MAX_BODY_BYTES

    def enqueue_req(self, conn: TConn) -> None:
        """The way to a thread for new, kept-alive and pipelining connections alike:
        first the poller, until a whole request is buffered."""
        try:
            if conn.parser is None:
                self._start(conn)
            conn.sock.setblocking(False)  # gthread hands a pipelining one over still blocking
        except OSError:  # reset already
            self._close(conn)
            return
        arrival = self._reading[conn] = _Arrival(_unreader(conn).take_buffered(), self._body_limit)
        self._buffered += len(arrival.data)
        self._advance(conn)

    def _start(self, conn: TConn) -> None:
        if self.cfg.is_ssl:
            conn.sock = sock.ssl_context(self.cfg).wrap_socket(
                conn.sock,
                server_side=True,
                do_handshake_on_connect=False,
                suppress_ragged_eofs=self.cfg.suppress_ragged_eofs,
            )
        conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)

    def _advance(self, conn: TConn, *_: object) -> None:
        """Take in what arrived; hand the connection to a thread once its request is ready."""
        arrival = self._reading[conn]
        before = len(arrival.data)
        try:
            events = _receive(conn.sock, arrival)
        except OSError:  # reset, hung up, failed handshake: nobody to answer
            self._drop(conn)
            return
        self._buffered += len(arrival.data) - before
        if events and self._buffered > BUFFER_BUDGET:
            self._drop(conn)
            _warn("upload cut off: the worker's buffer budget is spent", conn)
            return
        if events != arrival.events:
            if arrival.events:
                self.poller.unregister(conn.sock)
            if events:
                self.poller.register(conn.sock, events, partial(self._advance, conn))
            arrival.events = events
        if events:
            return
        del self._reading[conn]
        self._buffered -= len(arrival.data)
        _unreader(conn).unread(arrival.data)
        conn.data_ready = True  # else gthread.handle waits for the socket to turn readable
        if not arrival.whole:
            self._unfinished.add(conn)
        self._serving[conn] = time.monotonic() + REQUEST_DEADLINE
        super().enqueue_req(conn)

    def handle_request(self, req: Request, conn: TConn) -> bool:
        # The main loop sent any "100 Continue" due: the body is here, or refused unread.
        req._expected_100_continue = False  # type: ignore[attr-defined]
        if conn in self._unfinished:
            req.force_close()  # the rest of its body is unread: no next request can be found
        return super().handle_request(req, conn)

    def finish_request(self, conn: TConn, fs: Future[bool]) -> None:
        """As gthread's, but a connection to close lingers in the poller: util.close_graceful
        would block the main loop for seconds on a client that does not hang up."""
        self._serving.pop(conn, None)
        self._unfinished.discard(conn)
        if fs.cancelled() or fs.exception() is not None or fs.result():
            super().finish_request(conn, fs)
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)  # FIN after the answer; on TLS, no close_notify
            conn.sock.setblocking(False)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))
        except (OSError, ValueError):  # closed or reset already
            self._close(conn)
            return
        self._closing[conn] = time.monotonic() + LINGER

    def _drain(self, conn: TConn, *_: object) -> None:
        """Read what the client still sends, so unread bytes cannot make the kernel reset
        the connection before the answer arrives, until the client hangs up."""
        try:
            if conn.sock.recv(RECV_SIZE):
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        self._hang_up(conn)

    def murder_pending(self) -> None:
        """Cut off what overstayed; gthread calls this whenever its poller wakes, at least
        once a second."""
        now = time.monotonic()
        for conn in _overdue(((c, a.deadline) for c, a in self._reading.items()), now):
            self._drop(conn)
            _warn("slow client cut off", conn)
        for conn in _overdue(self._serving.items(), now):
            del self._serving[conn]
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)  # its thread's write fails, and it moves on
            except OSError:
                continue
            _warn("slow reader cut off", conn)
        for conn in _overdue(self._closing.items(), now):
            self._hang_up(conn)

    def _drop(self, conn: TConn) -> None:
        arrival = self._reading.pop(conn)
        self._buffered -= len(arrival.data)
        if arrival.events:
            self.poller.unregister(conn.sock)
        self._close(conn)

    def _hang_up(self, conn: TConn) -> None:
        del self._closing[conn]
        self.poller.unregister(conn.sock)
        self._close(conn)

    def _close(self, conn: TConn) -> None:
        self.nr_conns -= 1
        conn.close()
