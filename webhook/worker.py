"""gunicorn worker for Gatehouse: one event loop per process, no threads.

A review is CPU work under one GIL, so threads in a worker add no throughput:
only a hand-over per request and, in stock gthread, a thread a slow client can
hold while its request trickles in. Here each worker's loop does everything
without blocking: the TLS handshake, reading a request into a buffer, and, once
the whole request is there (or enough of it to refuse it), parsing it with
gunicorn's own parser, running the app and sending the answer.

Nothing a client does holds up another client for long:

- a request must start within ``first_byte_deadline`` of its connection and
  arrive whole within ``request_deadline``; an answer must be read back within
  ``request_deadline`` too. All deadlines live in one heap.
- judging a review has a budget of its own (``review_budget``, in the app), so
  the loop is never busy with one request for longer than that; a review over
  64 KiB is judged in a process of the worker's own (webhook/judge_process.py),
  so that it costs the loop nothing but its bytes.
- connections are capped per worker (and, if asked, per client address). Near
  the cap, idle connections that served a single request are closed oldest
  first; at the cap a new connection takes the place of the oldest that has not
  sent a byte, or else of the one idle the longest (those that served a single
  request first), or else of the request that has been arriving the longest. A
  connection whose answer is being sent, or whose request is being judged, is
  never the one shed.
- a malformed chunked framing is refused at once with a 400, as soon as the
  bytes that prove it are in, never handed to the app to fail in.

Two listeners: the admission port (TLS, ``/validate``) and the probe port (plain
HTTP: ``/healthz``, ``/readyz``, ``/metrics``). Each request's WSGI environ says
which (``gatehouse.listener``) and the app routes by it. HTTP/1.1 only: ALPN
does not offer h2. docs/decisions/0002-event-loop-worker.md says why this worker
exists and how it was measured; tests/webhook/test_gunicorn_contract.py lists
every gunicorn internal it relies on.
"""

import contextlib
import errno
import gc
import heapq
import itertools
import math
import os
import queue
import selectors
import signal
import socket
import ssl
import sys
import threading
import time
from collections import Counter
from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

import orjson
from gunicorn import http
from gunicorn.config import Config
from gunicorn.http import Request, wsgi
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.base import Worker

from webhook import audit_log
from webhook.audit_log import RateLimitedWarnings, log_bad_request
from webhook.judge_process import JudgeGone, JudgeProcess, quiet_signals, serve
from webhook.options import ServerOptions
from webhook.tls import RotatingContext, peer_verified

# More than any head gunicorn takes (100 fields of 8 KiB): it refuses a longer one
# from what is buffered. A connection buffers at most this and twice the app's body
# limit (a chunked body's framing counts too).
HEAD_ALLOWANCE = 1024 * 1024
# A chunk-size line (size and extensions) longer than this is refused, as gunicorn does.
CHUNK_LINE_LIMIT = 8190
# What all requests still arriving may buffer in one worker, together: a connection may
# buffer up to a body limit and a head, so without a cap a thousand slow uploads would
# hold gigabytes. The one that grows the total past it is cut off.
BUFFER_BUDGET = 64 * 1024 * 1024
LINGER = 2.0  # seconds a closing connection has to hang up, as in util.close_graceful
STOP_LINGER = 2.0  # seconds a stopping worker keeps idle connections, as gthread does
# Above this share of the connection cap, idle connections are closed oldest first,
# once idle for IDLE_GRACE seconds: the API server reconnects, a flood does not.
SHED_IDLE_ABOVE = 0.75
IDLE_GRACE = 1.0
# Closing a connection costs tens of microseconds: a flood's hundreds coming due at once
# would hold the loop for tens of milliseconds. A turn closes this many at most; the
# rest go in the next turns, between the other connections' requests.
CLOSE_PER_TURN = 64
# A request whose body is larger than this is handed by the worker's side thread to its
# judge process, so the loop goes on serving the others meanwhile, and without waiting
# on the interpreter lock behind it: judging costs about a microsecond a byte at worst,
# so what stays on the loop holds it for a few milliseconds at most, and what goes to
# the judge is bounded by the review budget.
SIDE_THREAD_BYTES = 64 * 1024
# How often the interpreter lets another thread run: while the side thread judges, the
# loop gets the GIL back within this, not within the default 5 ms.
SWITCH_INTERVAL = 0.001
RECV_SIZE = 64 * 1024
TURN_BYTES = 1024 * 1024  # what one connection may read before the others get a turn
SEND_SIZE = 256 * 1024
HEARTBEAT = 1.0  # seconds between the notes to the arbiter that this worker is alive
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
# 16 hex digits are 2**64: any chunk beyond that is past every body limit anyway.
_MAX_CHUNK_DIGITS = 16
# Each chunk costs a few microseconds to frame: a body of a million one-byte chunks would
# hold the loop for seconds. Clients chunk by kilobytes (an 8 MiB body: a few thousand).
MAX_CHUNKS = 65_536
# The head's fields that frame the body, found in one pass (``head`` ends without CRLF).
_FRAMING_FIELD = (b"content-length", b"transfer-encoding", b"expect")

Listener = Literal["admission", "probes"]
State = Literal["silent", "reading", "judging", "sending", "idle", "closing"]


class _MalformedFraming(Exception):
    """The body's chunked framing is broken: answered with a 400 naming what is wrong."""


class _IncomingRequest:
    """A request on its way in: the bytes so far, and how far they are understood."""

    def __init__(self, data: bytes, body_limit: int) -> None:
        self.body_limit = body_limit  # the app's: it refuses a longer body (413)
        self.data = bytearray(data)
        self.body_start = -1  # where the body starts, once the head is in
        self.length: int | None = 0  # from Content-Length; None: chunked
        self.expects_continue = False  # the client waits for "100 Continue" to send its body
        self.next_line = 0  # where the next chunk line to understand starts
        self.search_from = 0  # where a search for a line end that failed goes on
        self.last_chunk = False
        self.chunks = 0
        self.announced = 0  # the body's bytes the chunk sizes announced so far
        self.chunk_end = 0  # where the last announced chunk's data ends
        self.end = -1  # where the request ends, once it is whole
        self.refusal = ""  # why its framing is refused, once that is certain

    def ready(self) -> bool:
        """Whether the request can be answered from ``data`` alone, never waiting on the client.

        It can once the whole request is here, and once it can be refused from
        what is here: a head too long, a body over the limit (announced by
        Content-Length, or more than the limit of a chunked body in hand), a
        malformed chunked framing (``refusal`` says how).
        """
        if self.body_start < 0:
            end = self._find(b"\r\n\r\n")
            if end < 0:
                return len(self.data) > HEAD_ALLOWANCE
            self._take_head(bytes(self.data[:end]))
            self.body_start = self.next_line = end + 4
        if self.length is None:
            try:
                if self._chunks_ended():
                    self.end = self.next_line
            except _MalformedFraming as exc:
                self.refusal = str(exc)
                return True
            missing = max(0, self.chunk_end - len(self.data))
            return self.end >= 0 or self.announced - missing > self.body_limit
        if len(self.data) >= self.body_start + self.length:
            self.end = self.body_start + self.length
        return self.end >= 0 or self.length > self.body_limit

    def _take_head(self, head: bytes) -> None:
        """How the body is framed; a framing gunicorn refuses counts as no body (it answers 400)."""
        lengths: list[bytes] = []
        codings: list[bytes] = []
        for line in head.split(b"\r\n")[1:]:
            name, colon, value = line.partition(b":")
            name = name.lower()
            if not colon or name not in _FRAMING_FIELD:
                continue
            value = value.strip()
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
        and the empty line after its trailers. Raises _MalformedFraming as soon as what is
        here cannot be a chunked body, whatever follows."""
        while not self.last_chunk:
            if self.chunk_end > self.body_start:  # a chunk's data must end with CRLF
                if len(self.data) < self.chunk_end + 2:
                    return False
                if self.data[self.chunk_end : self.chunk_end + 2] != b"\r\n":
                    raise _MalformedFraming("chunk data does not end where its size says")
            line_end = self._find(b"\r\n")
            if line_end < 0:
                if len(self.data) - self.next_line > CHUNK_LINE_LIMIT:
                    raise _MalformedFraming("chunk size line too long")
                return False
            size = _chunk_size(bytes(self.data[self.next_line : line_end]))
            self.chunks += 1
            if self.chunks > MAX_CHUNKS:
                raise _MalformedFraming(f"more than {MAX_CHUNKS} chunks")
            self.announced += size
            self.chunk_end = line_end + 2 + size
            self.last_chunk = size == 0
            self.next_line = line_end if self.last_chunk else self.chunk_end + 2
            if self.last_chunk:
                self.chunk_end = 0
        trailers_end = self._find(b"\r\n\r\n")
        if trailers_end < 0:
            if len(self.data) - self.next_line > HEAD_ALLOWANCE:
                raise _MalformedFraming("trailer section too long")
            return False
        self.next_line = trailers_end + 4
        return True

    def _find(self, terminator: bytes) -> int:
        """Where ``terminator`` is from ``next_line`` on, or -1. A failed search resumes
        where it stopped, so a line trickled in byte by byte is not scanned over and over."""
        found = self.data.find(terminator, max(self.next_line, self.search_from))
        self.search_from = 0 if found >= 0 else len(self.data) - len(terminator) + 1
        return found


def _chunk_size(line: bytes) -> int:
    """The size on a chunk-size line (``1a2b;name=value``), as RFC 9112 frames it."""
    digits, semicolon, extension = line.partition(b";")
    if semicolon:
        if b"\r" in extension or b"\n" in extension:
            raise _MalformedFraming("bare CR or LF in a chunk extension")
        digits = digits.rstrip(b" \t")
    if not digits or not _HEX_DIGITS.issuperset(digits):
        raise _MalformedFraming("chunk size is not a hexadecimal number")
    if len(digits) > _MAX_CHUNK_DIGITS:
        raise _MalformedFraming("chunk size too large")
    return int(digits, 16)


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

    def gettimeout(self) -> float:
        return 0.0  # non-blocking, as the real socket is: gunicorn must never change that

    def setblocking(self, flag: bool) -> None:
        """Nothing: what gunicorn writes here never blocks, and the real socket stays as it is."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _Conn:
    """A client connection, and where it is: silent (nothing of a request yet), reading
    a request, sending an answer, idle between requests, or closing."""

    def __init__(
        self, client: socket.socket, address: Any, server: Any, listener: Listener
    ) -> None:
        self.sock = client
        self.address = address
        self.peer = str(address[0]) if isinstance(address, tuple) else str(address)
        self.server = server
        self.listener: Listener = listener
        self.state: State = "silent"
        self.since = 0.0  # when it entered its state
        self.deadline = math.inf
        self.events = selectors.EVENT_READ
        self.incoming: _IncomingRequest | None = None
        self.out = memoryview(b"")  # the answer (or a "100 Continue") still to send
        self.interim = False  # what is sent is a "100 Continue": reading goes on after it
        self.keep = False  # whether the connection serves another request after it
        self.served = 0  # requests answered on it
        self.table: dict[_Conn, None] | None = None  # the worker's table for its state, if any
        self.rest = b""  # what arrived behind the request answered
        self.closed = False


_JUDGED = object()  # the poller's mark for the side thread's "an answer is ready" pipe


class _SettledConfig:
    """gunicorn's config as its parser and WSGI layer read it, each setting looked up
    once: gunicorn's own lookup goes through its table of settings on every read, about
    twenty a request. A worker's config never changes (a reload starts new workers)."""

    def __init__(self, cfg: Any) -> None:
        self._cfg = cfg

    def __getattr__(self, name: str) -> Any:  # only for names not read before
        value = getattr(self._cfg, name)
        setattr(self, name, value)
        return value


class _VerifiedPeer:
    """The connection as the judge process knows it: whether its peer's certificate
    verified, which is all the app asks of the socket (``webhook.tls.peer_verified``)."""

    def __init__(self, verified: bool) -> None:
        self._verified = verified

    def getpeercert(self) -> dict[str, Any]:
        return {"verified": True} if self._verified else {}


def _address(sent: Any) -> Any:
    """An address as it went over the judge's channel: JSON made its tuple a list."""
    return tuple(sent) if isinstance(sent, list) else sent


class _Deadlines:
    """When each connection must have moved on, in a heap.

    A connection's deadline changes with its state; the old entries stay in the heap
    and are passed over when they come up (the connection's own ``deadline`` is the
    truth). The heap is rebuilt when stale entries outnumber the live ones.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Conn]] = []
        self._order = itertools.count()  # breaks ties; connections do not compare

    def set(self, conn: _Conn, deadline: float, live: int) -> None:
        conn.deadline = deadline
        heapq.heappush(self._heap, (deadline, next(self._order), conn))
        if len(self._heap) > 4 * live + 1024:
            self._heap = [
                (when, n, c) for when, n, c in self._heap if not c.closed and c.deadline == when
            ]
            heapq.heapify(self._heap)

    def overdue(self, now: float, limit: float = math.inf) -> list[_Conn]:
        """The connections past their deadline, earliest first, ``limit`` at most."""
        due: list[_Conn] = []
        while self._heap and self._heap[0][0] < now and len(due) < limit:
            deadline, _, conn = heapq.heappop(self._heap)
            if not conn.closed and conn.deadline == deadline and conn not in due:
                due.append(conn)
        return due

    def __len__(self) -> int:
        return len(self._heap)


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


def refusal(status: int, reason: str, message: str) -> bytes:
    """A complete HTTP answer with a JSON error, for what the worker refuses itself."""
    body = orjson.dumps({"error": message})
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


# The answer to plain HTTP on the TLS port, written past TLS on the bare socket.
PLAIN_HTTP_ON_TLS = refusal(
    400, "Bad Request", "this port speaks HTTPS: use https://, not http:// (probes: the probe port)"
)


class GatehouseWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = ServerOptions.from_environ()
        self._poller = selectors.DefaultSelector()
        self._deadlines = _Deadlines()
        self._conns: dict[_Conn, None] = {}  # every open connection
        # Candidates for shedding, each in the order its members entered the state (dicts
        # keep insertion order, and each entry goes in when it enters): oldest first.
        self._silent: dict[_Conn, None] = {}
        # Idle connections that have served one request (a flood's pattern, or a one-off
        # client), and those that served more (the API server's pool): the first go first.
        self._idle_once: dict[_Conn, None] = {}
        self._idle: dict[_Conn, None] = {}
        self._reading: dict[_Conn, None] = {}
        self._per_peer: Counter[str] = Counter()
        self._accepting = False
        self._behind = False  # the last turn left connections due to be closed
        self._body_limit = 0
        self._buffered = 0  # bytes held by requests still arriving or waiting to be judged
        self._notified = 0.0
        self._tls: RotatingContext | None = None
        self._roles: dict[int, Listener] = {}
        self._warnings = RateLimitedWarnings()
        # Large reviews, judged one at a time off the loop (see SIDE_THREAD_BYTES).
        self._side: ThreadPoolExecutor | None = None
        # Judged large requests: connection, answer, keep-alive, the bytes they held.
        self._judged: queue.SimpleQueue[tuple[_Conn, _Outbox, bool, int]] = queue.SimpleQueue()
        self._wake_read = self._wake_write = -1  # a pipe made in the worker, after the fork
        self._judge: JudgeProcess | None = None  # forked once the app is loaded
        self._counting = threading.Lock()  # nr is counted from both threads
        # Read once: a worker's config never changes (a reload starts new workers).
        self._max_conns = self.options.max_connections
        self._pre_request = self.cfg.pre_request
        self._post_request = self.cfg.post_request
        # Read as gunicorn's Config by its parser and WSGI layer, which it stands in for.
        self._settled = cast(Config, _SettledConfig(self.cfg))

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
        self._tls = RotatingContext(self.options.tls_files)
        self._side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gatehouse-judge")
        self._wake_read, self._wake_write = os.pipe()
        sys.setswitchinterval(SWITCH_INTERVAL)
        for listener in self.sockets:
            port = listener.getsockname()[1]
            self._roles[port] = "probes" if port == self.options.probe_port else "admission"
        # The app, its policies and their compiled patterns live as long as the worker:
        # out of the collector's sight, a full collection (which a large review's tens of
        # thousands of objects trigger) no longer scans them. Measured on the 30-container
        # Pod: p99 27 ms -> 4 ms for one review in process.
        gc.freeze()
        # Last, with no thread started yet: the judge begins as a copy of a quiet process.
        self._judge = JudgeProcess.fork(self._become_judge)

    def _become_judge(self, channel: socket.socket) -> None:
        """The judge process's life (see webhook/judge_process.py): large reviews in,
        answers out, until the worker closes its end."""
        quiet_signals()
        # Its decision lines are written as each judgement ends (below), by no thread of
        # its own: the judge leaves with os._exit, which runs no exit handler.
        audit_log.flush_in_the_foreground()
        self._poller.close()
        for fd in (self._wake_read, self._wake_write, *self.PIPE):
            with contextlib.suppress(OSError):
                os.close(fd)
        for listener in self.sockets:
            listener.close()
        serve(channel, self._judge_here)

    def _judge_here(self, header: dict[str, Any], request: bytes) -> tuple[dict[str, Any], bytes]:
        """In the judge process: one request, as the worker would have answered it."""
        conn = _Conn(
            cast(socket.socket, None),
            _address(header["address"]),
            _address(header["server"]),
            header["listener"],
        )
        outbox = _Outbox(cast(socket.socket, _VerifiedPeer(header["verified"])))
        keep = self._answer(conn, request, True, outbox)
        audit_log.flush()
        return {"keep": keep}, bytes(outbox.data)

    def run(self) -> None:
        # gunicorn points the signal wake-up fd at this pipe: a SIGTERM wakes the loop.
        self._poller.register(self.PIPE[0], selectors.EVENT_READ, None)
        if self._wake_read >= 0:
            os.set_blocking(self._wake_read, False)
            self._poller.register(self._wake_read, selectors.EVENT_READ, _JUDGED)
        while self.alive:
            self._accept_while(len(self._conns) < self._max_conns or self._sheddable())
            self._serve_once()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
        # Stopping: no new connections; requests on their way are answered (with
        # "Connection: close"), idle connections get a moment for a last request.
        self.alive = False
        self._accept_while(False)
        stop = time.monotonic()
        for conn in [*self._idle_once, *self._idle]:
            self._deadlines.set(conn, min(conn.deadline, stop + STOP_LINGER), len(self._conns))
        while self._conns and time.monotonic() < stop + self.cfg.graceful_timeout:
            self._serve_once()
        for conn in list(self._conns):
            self._close(conn)
        if self._side is not None:
            self._side.shutdown(wait=True)  # a judgement under way ends at its budget
        if self._judge is not None:
            self._judge.close()
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

    def _serve_once(self) -> None:
        """Wait for events (a second at most) and act on them; then cut off what overstayed."""
        now = time.monotonic()
        if now - self._notified >= HEARTBEAT:
            self.notify()
            self._notified = now
        for key, _ in self._poller.select(0.0 if self._behind else HEARTBEAT):
            if key.data is None:
                self._drain_wakeups()
            elif key.data is _JUDGED:
                self._take_judged()
            elif isinstance(key.data, _Conn):
                self._on_ready(key.data)
            else:
                self._accept(key.data)
        now = time.monotonic()
        closed = self._expire(now, CLOSE_PER_TURN)
        closed += self._shed_idle(now, CLOSE_PER_TURN - closed)
        self._behind = closed >= CLOSE_PER_TURN  # more may be due: look again at once
        self._warnings.summarize(now)

    def _drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self.PIPE[0], 4096)

    def _accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED, errno.EPROTO):
                return  # another worker took it, or the client gave up
            # Out of file descriptors (EMFILE, ENFILE) or memory: make room and go on
            # serving the connections there are; never let the worker die of it.
            self._warnings.warn("accept failed", reason=errno.errorcode.get(exc.errno or 0, "?"))
            self._shed_one("accept failed", for_peer=None)
            return
        listener_role = self._roles.get(listener.getsockname()[1], "admission")
        peer = str(address[0]) if isinstance(address, tuple) else str(address)
        if not self._make_room(peer):
            self._warnings.warn("connection refused: its address holds too many", remote=peer)
            with contextlib.suppress(OSError):
                client.close()
            return
        try:
            client.setblocking(False)
            if listener_role == "admission":
                client = self._tls_context().wrap_socket(
                    client,
                    server_side=True,
                    do_handshake_on_connect=False,
                    suppress_ragged_eofs=True,
                )
            conn = _Conn(client, address, listener.getsockname(), listener_role)
        except OSError:  # reset already
            client.close()
            return
        self._conns[conn] = None
        self._per_peer[conn.peer] += 1
        self._poller.register(client, conn.events, conn)
        now = time.monotonic()
        self._enter(conn, "silent", now + self.options.first_byte_deadline, now)
        self._start_request(conn, b"")

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:  # made in load_wsgi, before the loop runs
            raise RuntimeError("TLS is not set up")
        return self._tls.get()

    def _make_room(self, peer: str) -> bool:
        """Room for one more connection from ``peer``: shed one if a cap says so."""
        cap = self.options.max_connections_per_peer
        if cap and self._per_peer[peer] >= cap and not self._shed_one("per-address cap", peer):
            return False
        if len(self._conns) >= self._max_conns:
            return self._shed_one("connection cap", for_peer=None)
        return True

    def _sheddable(self) -> bool:
        return bool(self._silent or self._idle_once or self._idle or self._reading)

    def _shed_one(self, why: str, for_peer: str | None) -> bool:
        """Close one connection to make room, cheapest loss first: the oldest that has not
        sent a byte of a request (a flood's, or a client yet to speak), then the one idle
        the longest among those that served a single request (an idle flood's), then
        among the others (the API server's pool: its connections serve request after
        request and go to the back each time), then the request arriving the longest.
        With ``for_peer``, only that address's. False: nothing could be shed."""
        for table in (self._silent, self._idle_once, self._idle, self._reading):
            victim = next((c for c in table if for_peer is None or c.peer == for_peer), None)
            if victim is not None:
                self._close(victim)
                self._warnings.warn(f"connection shed: {why}", remote=victim.peer)
                return True
        return False

    def _shed_idle(self, now: float, limit: int) -> int:
        """Near the cap, close the idle connections that served a single request, oldest
        first, down to SHED_IDLE_ABOVE (``limit`` of them at most): those that keep
        serving stay until the cap needs their place. How many it closed."""
        keep = int(self._max_conns * SHED_IDLE_ABOVE)
        closed = 0
        while len(self._conns) > keep and self._idle_once and closed < limit:
            oldest = next(iter(self._idle_once))
            if now - oldest.since < IDLE_GRACE:
                break
            self._close(oldest)
            closed += 1
            self._warnings.warn("connection shed: idle near the connection cap", remote=oldest.peer)
        return closed

    def _enter(self, conn: _Conn, state: State, deadline: float, now: float) -> None:
        if conn.table is not None:
            del conn.table[conn]
        conn.state = state
        conn.since = now
        if state == "silent":
            table: dict[_Conn, None] | None = self._silent
        elif state == "idle":
            table = self._idle if conn.served > 1 else self._idle_once
        elif state == "reading":
            table = self._reading
        else:
            table = None
        if table is not None:
            table[conn] = None
        conn.table = table
        self._deadlines.set(conn, deadline, len(self._conns))

    def _on_ready(self, conn: _Conn) -> None:
        """The socket of ``conn`` is ready for what it waits for; a bug in answering one
        connection closes that connection, never the worker."""
        if conn.closed:
            return  # its file descriptor's event, from before it closed this turn
        try:
            if conn.state == "closing":
                self._drain(conn)
            elif conn.state == "sending" or conn.interim:
                self._send(conn)
            elif conn.state == "idle":
                self._start_request(conn, b"")  # its state changes once it is read
            else:
                self._advance(conn)
        except Exception:
            self.log.exception("Error serving a connection")
            self._close(conn)

    def _start_request(self, conn: _Conn, data: bytes) -> None:
        """Start on the next request of ``conn``, with what of it has arrived already."""
        conn.incoming = _IncomingRequest(data, self._body_limit)
        self._buffered += len(data)
        if data and conn.state != "reading":
            now = time.monotonic()
            self._enter(conn, "reading", now + self.options.request_deadline, now)
        self._advance(conn)

    def _advance(self, conn: _Conn) -> None:
        """Take in what arrived; answer the request once it is ready."""
        incoming = conn.incoming
        if incoming is None:  # only silent and reading connections are advanced
            raise RuntimeError(f"no request to advance on a {conn.state} connection")
        before = len(incoming.data)
        try:
            events, wants_continue = self._receive(conn.sock, incoming)
        except ssl.SSLError as exc:
            if exc.reason != "HTTP_REQUEST":
                self._close(conn)
                return
            # Plain http:// to the TLS port: say so, in plain, then close as after any
            # answer (the request's unread rest must not reset the connection first).
            try:
                os.write(conn.sock.fileno(), PLAIN_HTTP_ON_TLS)
            except OSError:
                self._close(conn)
                return
            self._linger(conn, time.monotonic())
            return
        except OSError:  # reset, hung up, failed handshake: nobody to answer
            self._close(conn)
            return
        self._buffered += len(incoming.data) - before
        if conn.state != "reading" and (incoming.data or conn.state == "idle"):
            # The first bytes of a request; or an idle connection woken by less than a
            # byte of one (a TLS record in part), which now has a request's deadline.
            now = time.monotonic()
            state: State = "reading" if incoming.data else "silent"
            self._enter(conn, state, now + self.options.request_deadline, now)
        if events:  # more to come
            if self._buffered > BUFFER_BUDGET:
                cut_off = "the worker's buffer budget is spent"
            elif len(incoming.data) > HEAD_ALLOWANCE + 2 * self._body_limit:
                cut_off = "its chunk framing outgrew the body limit"  # chunks of a few bytes
            else:
                if wants_continue:
                    self._send_interim(conn)
                else:
                    self._watch(conn, events)
                return
            self._close(conn)
            self._warnings.warn(f"upload cut off: {cut_off}", remote=conn.peer)
            return
        conn.incoming = None
        self._buffered -= len(incoming.data)
        if incoming.refusal:
            message = f"malformed chunked body: {incoming.refusal}"
            log_bad_request(message, 400, conn.peer)
            conn.keep, conn.rest = False, b""
            self._respond(conn, refusal(400, "Bad Request", message))
            return
        whole = incoming.end >= 0
        if not whole or incoming.end == len(incoming.data):
            request, conn.rest = bytes(incoming.data), b""
        else:  # pipelined: the next request is behind this one
            request, conn.rest = (
                bytes(incoming.data[: incoming.end]),
                bytes(incoming.data[incoming.end :]),
            )
        outbox = _Outbox(conn.sock)
        size = incoming.announced if incoming.length is None else incoming.length
        if whole and size > SIDE_THREAD_BYTES and self._side is not None:
            self._judge_aside(conn, request, outbox, self._side)
            return
        conn.keep = self._answer(conn, request, whole, outbox) and whole
        self._respond(conn, bytes(outbox.data))

    def _judge_aside(
        self, conn: _Conn, request: bytes, outbox: _Outbox, side: ThreadPoolExecutor
    ) -> None:
        """Answer a large request on the side thread; the loop serves the others meanwhile.

        The connection leaves the poller (nothing it sends is read till its answer is
        out) and is never shed; its deadline still holds. Its body stays counted in the
        worker's buffer budget till the answer is taken: large requests queued for the
        one judge hold memory as arriving ones do, and the same budget bounds them."""
        now = time.monotonic()
        self._enter(conn, "judging", now + self.options.request_deadline, now)
        self._poller.unregister(conn.sock)
        self._buffered += len(request)

        def judge() -> None:
            try:
                # Cut off at its deadline while it waited: nobody is left to answer.
                keep = not conn.closed and self._answer_large(conn, request, outbox)
            except Exception:  # _answer turns every failure into an answer; this is a bug
                self.log.exception("Error judging a large request")
                keep = False
            self._judged.put((conn, outbox, keep, len(request)))
            with contextlib.suppress(OSError):
                os.write(self._wake_write, b"!")

        side.submit(judge)

    def _answer_large(self, conn: _Conn, request: bytes, outbox: _Outbox) -> bool:
        """On the side thread: have the judge process answer, or answer here without one."""
        judge = self._judge
        if judge is not None:
            header = {
                "address": conn.address,
                "server": conn.server,
                "listener": conn.listener,
                "verified": peer_verified({"gunicorn.socket": conn.sock}),
            }
            try:
                # Its own review budget ends it well within the request deadline.
                answer, body = judge.ask(header, request, self.options.request_deadline)
            except JudgeGone as gone:
                self._judge = None
                self.log.warning(
                    "The judge process is gone (%s): this worker judges large reviews "
                    "itself from now on",
                    gone,
                )
            else:
                self._count_request()
                outbox.data += body
                return bool(answer["keep"]) and self.alive
        return self._answer(conn, request, True, outbox)

    def _take_judged(self) -> None:
        """Send the answers the side thread has finished."""
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_read, 4096)
        while True:
            try:
                conn, outbox, keep, size = self._judged.get_nowait()
            except queue.Empty:
                return
            self._buffered -= size
            if conn.closed:
                continue  # overdue while it was judged: nobody to answer
            self._poller.register(conn.sock, conn.events, conn)
            conn.keep = keep
            self._respond(conn, bytes(outbox.data))

    def _receive(self, client: socket.socket, incoming: _IncomingRequest) -> tuple[int, bool]:
        """Read what the client sent (on TLS, the first reads make the handshake): the
        poller events to wait for (0 once the request can be answered), and whether the
        client waits for "100 Continue" before it sends the body.

        Reading stops at a ready request, and after ``TURN_BYTES`` so that one fast upload
        cannot keep the loop from other connections, but not while TLS holds decrypted
        bytes, which the poller would not report; the rest stays in the kernel till then.
        """
        ready = bool(incoming.data) and incoming.ready()
        turn = TURN_BYTES
        while not ((ready or turn <= 0) and not _tls_pending(client)):
            try:
                data = client.recv(RECV_SIZE)
            except ssl.SSLWantWriteError:
                return selectors.EVENT_WRITE, False
            except (ssl.SSLWantReadError, BlockingIOError):
                break
            if not data:
                if ready:
                    return 0, False  # answered all the same, as gthread would
                raise ConnectionAbortedError("hung up before a whole request")
            incoming.data += data
            turn -= len(data)
            ready = incoming.ready()
        if ready:
            return 0, False
        wants_continue = incoming.body_start >= 0 and incoming.expects_continue
        if wants_continue:
            incoming.expects_continue = False
        return selectors.EVENT_READ, wants_continue

    def _answer(self, conn: _Conn, data: bytes, whole: bool, outbox: _Outbox) -> bool:
        """Parse the request in ``data`` and write the answer to ``outbox``, as gthread
        would: whether the connection may serve another request."""
        req = None
        client = cast(socket.socket, outbox)  # all gunicorn does with a socket, it does
        try:
            req = next(http.get_parser(self._settled, [data], conn.address))
            if not whole:
                req.force_close()  # the rest of its body is unread: no next request is found
            return self._call_app(req, conn, client)
        except NoMoreData:
            return False
        except Exception as exc:
            self.handle_error(req, client, conn.address, exc)
            return False

    def _count_request(self) -> None:
        with self._counting:
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False

    def _call_app(self, req: Request, conn: _Conn, client: socket.socket) -> bool:
        environ: MutableMapping[str, Any] = {}
        resp = None
        try:
            self._pre_request(self, req)
            started = datetime.now() if self.log.access_log_enabled else None
            req._expected_100_continue = False  # type: ignore[attr-defined]  # sent already
            resp, environ = wsgi.create(req, client, conn.address, conn.server, self._settled)
            environ["gatehouse.listener"] = conn.listener
            self._count_request()
            if not self.alive:
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

    def _respond(self, conn: _Conn, answer: bytes) -> None:
        """Send ``answer``: at once, mostly; if the client reads slowly, it is "sending"
        (with a deadline of its own) till the rest is out."""
        conn.served += 1
        conn.out = memoryview(answer)
        conn.interim = False
        self._send(conn)

    def _send_interim(self, conn: _Conn) -> None:
        """ "100 Continue", sent like an answer; the request's reading goes on after it."""
        conn.out = memoryview(CONTINUE)
        conn.interim = True
        self._send(conn)

    def _send(self, conn: _Conn) -> None:
        """Send what is left of the answer; then on to the next request, or close."""
        try:
            while conn.out:
                sent = conn.sock.send(conn.out[:SEND_SIZE])
                conn.out = conn.out[sent:]
        except (ssl.SSLWantWriteError, BlockingIOError):
            self._wait_to_send(conn, selectors.EVENT_WRITE)
            return
        except ssl.SSLWantReadError:
            self._wait_to_send(conn, selectors.EVENT_READ)
            return
        except OSError:
            self._close(conn)
            return
        if conn.interim:
            conn.interim = False
            self._watch(conn, selectors.EVENT_READ)
            return
        now = time.monotonic()
        if not conn.keep:
            self._linger(conn, now)
        elif conn.rest or _tls_pending(conn.sock):
            self._enter(conn, "reading", now + self.options.request_deadline, now)
            self._start_request(conn, conn.rest)  # pipelined: the next request is on its way
        else:
            self._watch(conn, selectors.EVENT_READ)
            keepalive = self.options.keepalive if self.alive else STOP_LINGER
            self._enter(conn, "idle", now + keepalive, now)

    def _wait_to_send(self, conn: _Conn, events: int) -> None:
        self._watch(conn, events)
        if conn.state != "sending" and not conn.interim:
            now = time.monotonic()
            self._enter(conn, "sending", now + self.options.request_deadline, now)

    def _linger(self, conn: _Conn, now: float) -> None:
        """Close after the answer, but let the client hang up first: bytes it still
        sends, unread, would make the kernel reset the connection before the answer
        arrives (what util.close_graceful does, without blocking the loop)."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)  # FIN after the answer; on TLS, no close_notify
        except OSError:  # reset already
            self._close(conn)
            return
        self._watch(conn, selectors.EVENT_READ)
        self._enter(conn, "closing", now + LINGER, now)

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

    def _expire(self, now: float, limit: int) -> int:
        """Cut off what overstayed its state's deadline (``limit`` at most): how many."""
        due = self._deadlines.overdue(now, limit)
        for conn in due:
            state = conn.state
            self._close(conn)
            if state == "silent":
                self._warnings.warn("silent connection cut off", remote=conn.peer)
            elif state == "reading":
                self._warnings.warn("slow client cut off", remote=conn.peer)
            elif state == "sending":
                self._warnings.warn("slow reader cut off", remote=conn.peer)
            elif state == "judging":
                self._warnings.warn("a large request was not judged in time", remote=conn.peer)
        return len(due)

    def _close(self, conn: _Conn) -> None:
        if conn.closed:
            return  # a bug after the close (see _on_ready) must not count it twice
        conn.closed = True
        if conn.incoming is not None:
            self._buffered -= len(conn.incoming.data)
            conn.incoming = None
        if conn.table is not None:
            del conn.table[conn]
            conn.table = None
        self._conns.pop(conn, None)
        self._per_peer[conn.peer] -= 1
        if self._per_peer[conn.peer] <= 0:
            del self._per_peer[conn.peer]
        with contextlib.suppress(KeyError, ValueError):  # never registered, judging, or closed
            self._poller.unregister(conn.sock)
        conn.sock.close()
