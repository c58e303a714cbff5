"""gunicorn worker for Gatehouse: one event loop per process, no threads.

A review is CPU work under one GIL, so threads in a worker add no throughput:
only a hand-over per request (a queue, a future, a wake-up) and, in stock
gthread, a thread a slow client can hold while its request trickles in. Here
each worker's loop does everything without blocking: the TLS handshake, reading
a request into a buffer, and, once the whole request is there (or enough of it
for gunicorn or the app to refuse it), parsing it with gunicorn's own parser,
running the app, and sending the answer. Nothing waits on a client, so a
thousand slow ones hold up no review; they are cut off ``REQUEST_DEADLINE``
seconds after their request's first byte (their accept, for a new connection),
as is one that does not read its answer. Kept-alive connections keep
gunicorn's keep-alive timeout, and a connection closing after its answer waits
for its client to hang up in the loop too. HTTP/1.1 only: ALPN does not offer h2.
"""

import contextlib
import errno
import gc
import itertools
import math
import os
import re
import selectors
import signal
import socket
import ssl
import time
from collections.abc import Iterable, MutableMapping
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from gunicorn import http, sock
from gunicorn.http import Request, wsgi
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.base import Worker

from webhook.audit_log import emit

# The API server waits at most 30 s for a webhook (the chart asks for 5 s).
REQUEST_DEADLINE = float(os.environ.get("GATEHOUSE_REQUEST_DEADLINE", "10"))
# More than any head gunicorn takes (100 fields of 8 KiB): it refuses a longer one
# from what is buffered. A connection buffers at most this and twice the app's body
# limit (a chunked body's framing counts too).
HEAD_ALLOWANCE = 1024 * 1024
# What all requests still arriving may buffer in one worker, together: a connection may
# buffer up to a body limit and a head, so without a cap a thousand slow uploads would
# hold gigabytes. The one that grows the total past it is cut off.
BUFFER_BUDGET = 64 * 1024 * 1024
LINGER = 2.0  # seconds a closing connection has to hang up, as in util.close_graceful
STOP_LINGER = 2.0  # seconds a stopping worker keeps idle connections, as gthread does
RECV_SIZE = 64 * 1024
TURN_BYTES = 1024 * 1024  # what one connection may read before the others get a turn
SEND_SIZE = 256 * 1024
HEARTBEAT = 1.0  # seconds between the notes to the arbiter that this worker is alive
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
_HEX = re.compile(rb"[0-9A-Fa-f]+")
# The head's fields that frame the body, found in one pass (``head`` ends without CRLF).
_FRAMING = re.compile(rb"\r\n(content-length|transfer-encoding|expect):([^\r\n]*)", re.IGNORECASE)


class _Arrival:
    """A request on its way in: the bytes so far, and how far they are understood."""

    def __init__(self, data: bytes, body_limit: int) -> None:
        self.body_limit = body_limit  # the app's: it refuses a longer body (413)
        self.deadline = time.monotonic() + REQUEST_DEADLINE
        self.data = bytearray(data)
        self.body_at = -1  # where the body starts, once the head is in
        self.length: int | None = 0  # from Content-Length; None: chunked
        self.expects_continue = False  # the client waits for "100 Continue" to send its body
        self.at = 0  # where the next line to understand starts
        self.resume = 0  # where a search that failed goes on
        self.last_chunk = False
        self.chunked = 0  # the body's bytes the chunk sizes announced so far
        self.chunk_end = 0  # where the last announced chunk's data ends
        self.end = -1  # where the request ends, once it is whole

    def ready(self) -> bool:
        """Whether the request can be answered from ``data`` alone, never waiting on the client.

        It can once the whole request is here, and once gunicorn or the app
        refuses it from what is here: a head too long, a malformed framing, a
        body over the limit (announced by Content-Length, or more than the
        limit of a chunked body in hand).
        """
        if self.body_at < 0:
            end = self._find(b"\r\n\r\n")
            if end < 0:
                return len(self.data) > HEAD_ALLOWANCE
            self._take_head(bytes(self.data[:end]))
            self.body_at = self.at = end + 4
        if self.length is None:
            if self._chunks_ended():
                self.end = len(self.data) if self.at < 0 else self.at
            missing = max(0, self.chunk_end - len(self.data))
            return self.end >= 0 or self.chunked - missing > self.body_limit
        if len(self.data) >= self.body_at + self.length:
            self.end = self.body_at + self.length
        return self.end >= 0 or self.length > self.body_limit

    def _take_head(self, head: bytes) -> None:
        """How the body is framed; a framing gunicorn refuses counts as no body (it answers 400)."""
        lengths: list[bytes] = []
        codings: list[bytes] = []
        for name, value in _FRAMING.findall(head):
            name, value = name.lower(), value.strip()
            if name == b"content-length":
                lengths.append(value)
            elif name == b"transfer-encoding":
                codings += [coding.strip().lower() for coding in value.split(b",")]
            else:
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
        and the empty line after its trailers. On a malformed size gunicorn reads no
        further: all that is here is the request (``at`` is then -1)."""
        while not self.last_chunk:
            line_end = self._find(b"\r\n")
            if line_end < 0:
                return False
            digits = self.data[self.at : line_end].split(b";", 1)[0].rstrip(b" \t")
            if not _HEX.fullmatch(digits):
                self.at = -1
                return True
            size = int(digits, 16)
            self.chunked += size
            self.chunk_end = line_end + 2 + size
            self.last_chunk = size == 0
            self.at = line_end if self.last_chunk else self.chunk_end + 2
        trailers_end = self._find(b"\r\n\r\n")
        if trailers_end < 0:
            return False
        self.at = trailers_end + 4
        return True

    def _find(self, terminator: bytes) -> int:
        """Where ``terminator`` is from ``at`` on, or -1. A failed search resumes where it
        stopped, so a line trickled in byte by byte is not scanned over and over."""
        found = self.data.find(terminator, max(self.at, self.resume))
        self.resume = 0 if found >= 0 else len(self.data) - len(terminator) + 1
        return found


def _receive(client: socket.socket, arrival: _Arrival) -> int:
    """Read what the client sent (on TLS, the first reads make the handshake): the
    poller events to wait for, or 0 once the request can be answered.

    Reading stops at a ready request, and after ``TURN_BYTES`` so that one fast upload
    cannot keep the loop from other connections, but not while TLS holds decrypted
    bytes, which the poller would not report; the rest stays in the kernel till then.
    """
    ready = bool(arrival.data) and arrival.ready()
    turn = TURN_BYTES
    while not ((ready or turn <= 0) and not _tls_pending(client)):
        try:
            data = client.recv(RECV_SIZE)
        except ssl.SSLWantWriteError:
            return selectors.EVENT_WRITE
        except (ssl.SSLWantReadError, BlockingIOError):
            break
        if not data:
            if ready:
                return 0  # answered all the same, as gthread would
            raise ConnectionAbortedError("hung up before a whole request")
        arrival.data += data
        turn -= len(data)
        ready = arrival.ready()
    if ready:
        return 0
    if arrival.body_at >= 0 and arrival.expects_continue:
        arrival.expects_continue = False
        client.send(CONTINUE)
    return selectors.EVENT_READ


def _tls_pending(client: socket.socket) -> bool:
    return isinstance(client, ssl.SSLSocket) and client.pending() > 0


class _Outbox:
    """The socket as gunicorn and the app see it: what they write is kept for the loop
    to send without blocking; anything else (``getpeercert``) is the real socket's."""

    def __init__(self, client: socket.socket) -> None:
        self.data = bytearray()
        self._client = client

    def sendall(self, data: bytes) -> None:
        self.data += data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _Conn:
    """A client connection, and where it is: reading a request, sending an answer,
    idle between requests, or closing."""

    def __init__(self, client: socket.socket, address: Any, server: Any) -> None:
        self.sock = client
        self.address = address
        self.server = server
        self.events = selectors.EVENT_READ
        self.out = memoryview(b"")  # the answer still to send
        self.keep = False  # whether the connection serves another request after it
        self.rest = b""  # what arrived behind the request answered
        self.closed = False


def _overdue(deadlines: Iterable[tuple[_Conn, float]], now: float) -> list[_Conn]:
    """The connections past their deadline. Tables list them in deadline order: every
    entry's deadline is the same time after it went in, and dicts keep that order."""
    return [conn for conn, _ in itertools.takewhile(lambda entry: entry[1] < now, deadlines)]


def usable_cores(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """The cores this process may use, for one event loop each: its CPU affinity, capped
    by a cgroup v2 CPU quota (a container limited to 2 CPUs on a 64-core node still has
    all 64 in its affinity)."""
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = cpu_max.read_text().split()
        return max(1, min(cores, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):  # no cgroup v2 quota file, or "max": no quota
        return cores


def _warn(message: str, conn: _Conn) -> None:
    peer = conn.address[0] if isinstance(conn.address, tuple) else conn.address
    emit("warning", message, remote=str(peer), seconds=REQUEST_DEADLINE)


class GatehouseWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._poller = selectors.DefaultSelector()
        # Each table is in deadline order (see _overdue); a connection is in one at most.
        self._reading: dict[_Conn, _Arrival] = {}  # their request on its way in
        self._sending: dict[_Conn, float] = {}  # their answer on its way out
        self._idle: dict[_Conn, float] = {}  # kept alive between requests
        self._closing: dict[_Conn, float] = {}  # answered, lingering till the client hangs up
        self._conns = 0
        self._accepting = False
        self._body_limit = 0
        self._buffered = 0  # bytes held by the requests in _reading
        self._notified = 0.0
        # Read once: a worker's config never changes (a reload starts new workers).
        self._max_conns = self.cfg.worker_connections
        self._keepalive = self.cfg.keepalive
        self._pre_request = self.cfg.pre_request
        self._post_request = self.cfg.post_request

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
        # The app, its policies and their compiled patterns live as long as the worker:
        # out of the collector's sight, a full collection (which a large review's tens of
        # thousands of objects trigger) no longer scans them. Measured on the 30-container
        # Pod: p99 27 ms -> 4 ms for one review in process.
        gc.freeze()

    def run(self) -> None:
        # gunicorn points the signal wake-up fd at this pipe: a SIGTERM wakes the loop.
        self._poller.register(self.PIPE[0], selectors.EVENT_READ, None)
        while self.alive:
            self._accept_while(self._conns < self._max_conns)
            self._turn()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
        # Stopping: no new connections; requests on their way are answered (with
        # "Connection: close"), idle connections get a moment for a last request.
        self.alive = False
        self._accept_while(False)
        stop = time.monotonic()
        for conn in self._idle:
            self._idle[conn] = min(self._idle[conn], stop + STOP_LINGER)
        while self._conns and time.monotonic() < stop + self.cfg.graceful_timeout:
            self._turn()
        for table in (self._reading, self._sending, self._idle, self._closing):
            for conn in list(table):
                self._close(conn)
        self._poller.close()
        for listener in self.sockets:
            listener.close()

    def _accept_while(self, accepting: bool) -> None:
        if accepting == self._accepting:
            return
        for listener in self.sockets:
            if accepting:
                listener.setblocking(False)
                self._poller.register(listener, selectors.EVENT_READ, listener)
            else:
                self._poller.unregister(listener)
        self._accepting = accepting

    def _turn(self) -> None:
        """Wait for events (a second at most) and act on them; then cut off what overstayed."""
        now = time.monotonic()
        if now - self._notified >= HEARTBEAT:
            self.notify()
            self._notified = now
        for key, _ in self._poller.select(HEARTBEAT):
            if key.data is None:
                self._drain_wakeups()
            elif isinstance(key.data, _Conn):
                self._on_ready(key.data)
            else:
                self._accept(key.data)
        self._expire(time.monotonic())

    def _drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self.PIPE[0], 4096)

    def _accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return  # another worker took it, or the client gave up
            raise
        self._conns += 1
        try:
            client.setblocking(False)
            if self.cfg.is_ssl:
                client = sock.ssl_context(self.cfg).wrap_socket(
                    client,
                    server_side=True,
                    do_handshake_on_connect=False,
                    suppress_ragged_eofs=self.cfg.suppress_ragged_eofs,
                )
            conn = _Conn(client, address, listener.getsockname())
        except OSError:  # reset already
            self._conns -= 1
            client.close()
            return
        self._poller.register(client, conn.events, conn)
        self._read(conn, b"")

    def _on_ready(self, conn: _Conn) -> None:
        """The socket of ``conn`` is ready for what it waits for; a bug in answering one
        connection closes that connection, never the worker."""
        if conn.closed:
            return  # its file descriptor's event, from before it closed this turn
        try:
            if conn in self._closing:
                self._drain(conn)
            elif conn in self._sending:
                self._send(conn)
            elif conn in self._idle:
                del self._idle[conn]
                self._read(conn, b"")
            else:
                self._advance(conn, self._reading[conn])
        except Exception:
            self.log.exception("Error serving a connection")
            self._close(conn)

    def _read(self, conn: _Conn, data: bytes) -> None:
        """Start on the next request of ``conn``, with what of it has arrived already."""
        arrival = self._reading[conn] = _Arrival(data, self._body_limit)
        self._buffered += len(data)
        self._advance(conn, arrival)

    def _advance(self, conn: _Conn, arrival: _Arrival) -> None:
        """Take in what arrived; answer the request once it is ready."""
        before = len(arrival.data)
        try:
            events = _receive(conn.sock, arrival)
        except OSError:  # reset, hung up, failed handshake: nobody to answer
            self._close(conn)
            return
        self._buffered += len(arrival.data) - before
        if events:  # more to come
            if self._buffered > BUFFER_BUDGET:
                cut_off = "the worker's buffer budget is spent"
            elif len(arrival.data) > HEAD_ALLOWANCE + 2 * self._body_limit:
                cut_off = "its chunk framing outgrew the body limit"  # chunks of a few bytes
            else:
                self._watch(conn, events)
                return
            self._close(conn)
            _warn(f"upload cut off: {cut_off}", conn)
            return
        del self._reading[conn]
        self._buffered -= len(arrival.data)
        whole = arrival.end >= 0
        if not whole or arrival.end == len(arrival.data):
            request, conn.rest = bytes(arrival.data), b""
        else:  # pipelined: the next request is behind this one
            request, conn.rest = (
                bytes(arrival.data[: arrival.end]),
                bytes(arrival.data[arrival.end :]),
            )
        outbox = _Outbox(conn.sock)
        conn.keep = self._answer(conn, request, whole, outbox) and whole
        conn.out = memoryview(outbox.data)
        self._sending[conn] = time.monotonic() + REQUEST_DEADLINE
        self._send(conn)

    def _answer(self, conn: _Conn, data: bytes, whole: bool, outbox: _Outbox) -> bool:
        """Parse the request in ``data`` and write the answer to ``outbox``, as gthread
        would: whether the connection may serve another request."""
        req = None
        client = cast(socket.socket, outbox)  # all gunicorn does with a socket, it does
        try:
            req = next(http.get_parser(self.cfg, [data], conn.address))
            if not whole:
                req.force_close()  # the rest of its body is unread: no next request is found
            return self._call_app(req, conn, client)
        except NoMoreData:
            return False
        except Exception as exc:
            self.handle_error(req, client, conn.address, exc)
            return False

    def _call_app(self, req: Request, conn: _Conn, client: socket.socket) -> bool:
        environ: MutableMapping[str, Any] = {}
        resp = None
        try:
            self._pre_request(self, req)
            started = datetime.now() if self.log.access_log_enabled else None
            req._expected_100_continue = False  # type: ignore[attr-defined]  # sent by _receive
            resp, environ = wsgi.create(req, client, conn.address, conn.server, self.cfg)
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            if not self.alive or not self._keepalive:
                resp.force_close()
            # The stubs' start_response type lacks the exc_info argument PEP 3333 has.
            respiter = self.wsgi(environ, resp.start_response)  # type: ignore[arg-type]
            try:
                for item in respiter:
                    resp.write(item)
                resp.close()
            finally:
                if started is not None:
                    self.log.access(resp, req, environ, datetime.now() - started)
                if hasattr(respiter, "close"):
                    respiter.close()
            return not resp.should_close()
        except Exception:
            if resp is not None and resp.headers_sent:
                self.log.exception("Error handling request")  # the answer is cut short
                return False
            raise
        finally:
            try:
                self._post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")

    def _send(self, conn: _Conn) -> None:
        """Send what is left of the answer; then on to the next request, or close."""
        try:
            while conn.out:
                sent = conn.sock.send(conn.out[:SEND_SIZE])
                conn.out = conn.out[sent:]
        except (ssl.SSLWantWriteError, BlockingIOError):
            self._watch(conn, selectors.EVENT_WRITE)
            return
        except ssl.SSLWantReadError:
            self._watch(conn, selectors.EVENT_READ)
            return
        except OSError:
            self._close(conn)
            return
        del self._sending[conn]
        if not conn.keep:
            self._linger(conn)
        elif conn.rest or _tls_pending(conn.sock):
            self._read(conn, conn.rest)  # pipelined: the next request is on its way
        else:
            self._watch(conn, selectors.EVENT_READ)
            self._idle[conn] = time.monotonic() + (self._keepalive if self.alive else STOP_LINGER)

    def _linger(self, conn: _Conn) -> None:
        """Close after the answer, but let the client hang up first: bytes it still
        sends, unread, would make the kernel reset the connection before the answer
        arrives (what util.close_graceful does, without blocking the loop)."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)  # FIN after the answer; on TLS, no close_notify
        except OSError:  # reset already
            self._close(conn)
            return
        self._watch(conn, selectors.EVENT_READ)
        self._closing[conn] = time.monotonic() + LINGER

    def _drain(self, conn: _Conn) -> None:
        try:
            if conn.sock.recv(RECV_SIZE):
                return
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        except OSError:
            pass
        self._close(conn)

    def _watch(self, conn: _Conn, events: int) -> None:
        if events != conn.events:
            self._poller.modify(conn.sock, events, conn)
            conn.events = events

    def _expire(self, now: float) -> None:
        """Cut off what overstayed."""
        for conn in _overdue(((c, a.deadline) for c, a in self._reading.items()), now):
            self._close(conn)
            _warn("slow client cut off", conn)
        for conn in _overdue(self._sending.items(), now):
            self._close(conn)
            _warn("slow reader cut off", conn)
        for table in (self._idle, self._closing):
            for conn in _overdue(table.items(), now):
                self._close(conn)

    def _close(self, conn: _Conn) -> None:
        if conn.closed:
            return  # a bug after the close (see _on_ready) must not count it twice
        conn.closed = True
        arrival = self._reading.pop(conn, None)
        if arrival is not None:
            self._buffered -= len(arrival.data)
        for table in (self._sending, self._idle, self._closing):
            table.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError):  # never registered, or closed already
            self._poller.unregister(conn.sock)
        conn.sock.close()
        self._conns -= 1
