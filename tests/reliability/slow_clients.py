"""Slowloris-style clients, and a normal client timing its reviews while they are connected.

Three kinds of slow connection:

  silent   TCP connected, never a byte (not even a TLS ClientHello)
  headers  TLS done, then the request head one byte a second
  body     TLS done, a whole head with Content-Length, then the body one byte a second

Each records when the server cut it off (its socket became readable and
read as closed). The server is never sent anything it could answer.
"""

import select
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.reliability.procfs import connection_owner
from tests.reliability.traffic import CONNECTION_ERRORS, Case, Client, check
from tests.server import VALIDATE_HEAD, Server

MAX_ATTEMPTS = 60  # connections tried until every worker holds its share


class SlowConnection(threading.Thread):
    def __init__(self, server: Server, kind: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.server, self.kind, self.stop = server, kind, stop
        self.connected = threading.Event()
        self.proceed = threading.Event()  # set: go on; ``cancelled`` too: close instead
        self.cancelled = False
        self.port = 0
        self.opened_at: float | None = None  # TCP connected (silent) or TLS done
        self.cut_at: float | None = None  # the server closed it
        self.error = ""

    @property
    def open(self) -> bool:
        return self.connected.is_set() and not self.cancelled and self.cut_at is None

    def go(self, cancel: bool = False) -> None:
        self.cancelled = cancel
        self.proceed.set()

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=60) as raw:
                self.port = raw.getsockname()[1]
                self.connected.set()
                if not self.proceed.wait(10) or self.cancelled:
                    return
                if self.kind == "silent":
                    self.opened_at = time.monotonic()
                    self._trickle(raw, b"")
                    return
                with self.server.ssl_context().wrap_socket(raw, server_hostname="localhost") as tls:
                    self.opened_at = time.monotonic()
                    if self.kind == "body":
                        tls.sendall(VALIDATE_HEAD + b"Content-Length: 100000\r\n\r\n")
                        self._trickle(tls, b"{" + b" " * 99_999)
                    else:
                        self._trickle(tls, VALIDATE_HEAD + b"X-Slow: " + b"x" * 8000)
        except OSError as exc:
            if self.opened_at is None:
                self.error = repr(exc)  # the handshake or the connection itself failed
            elif self.cut_at is None:
                self.cut_at = time.monotonic()  # the server reset it while we wrote
        finally:
            self.connected.set()

    def _trickle(self, sock: socket.socket, data: bytes) -> None:
        """A byte a second (none when silent) until the server closes the socket, or stop."""
        position = 0
        while not self.stop.is_set():
            if position < len(data):
                sock.sendall(data[position : position + 1])
                position += 1
            readable, _, _ = select.select([sock], [], [], 1.0)
            if readable and self._closed(sock):
                self.cut_at = time.monotonic()
                return

    @staticmethod
    def _closed(sock: socket.socket) -> bool:
        try:
            return sock.recv(4096) == b""
        except ssl.SSLWantReadError:
            return False  # TLS records (a session ticket), not application data
        except OSError:
            return True


@dataclass
class Timed:
    seconds: float
    slow_open: int  # slow connections open when the request was sent
    error: str = ""


@dataclass
class Attack:
    slow: list[SlowConnection] = field(default_factory=list)
    normal: list[Timed] = field(default_factory=list)
    held: Counter[int | None] = field(default_factory=Counter)  # trickling connections per worker


def attack(server: Server, silent: int, share: int, deadline: float, case: Case) -> Attack:
    """Slow connections on every worker; normal reviews, timed.

    ``silent`` silent connections, then trickling ones (headers and body in
    turn) until every worker holds exactly ``share`` of them. (Which
    worker accepts is the kernel's choice: a connection landing on a worker
    that has its share is closed before its TLS handshake.) Normal reviews
    alternate between a keep-alive connection made before the attack (as the
    API server keeps them) and a new connection each. Returns once the
    trickling connections are cut and the silent ones have had as long.
    """
    stop = threading.Event()
    kept = Client(server)
    kept.send(case)
    result = Attack()
    workers = server.worker_pids()
    for n in range(silent + MAX_ATTEMPTS):
        kind = "silent" if n < silent else ("headers", "body")[n % 2]
        slow = SlowConnection(server, kind, stop)
        slow.start()
        slow.connected.wait(10)
        if kind != "silent":
            owner = connection_owner(server, slow.port)
            if result.held[owner] >= share:
                slow.go(cancel=True)
                continue
            result.held[owner] += 1
        result.slow.append(slow)
        slow.go()
        if all(result.held[pid] >= share for pid in workers):
            break
    for n in range(8):
        client = kept if n % 2 == 0 else Client(server)
        open_now = sum(slow.open for slow in result.slow)
        sent = time.monotonic()
        try:
            status, raw = client.send(case)
            reason = check(case, status, raw, "enforce") or ""
        except CONNECTION_ERRORS as exc:
            reason = repr(exc)
            client.reconnect()
        result.normal.append(Timed(time.monotonic() - sent, open_now, reason))
        if client is not kept:
            client.close()
    _wait(result.slow, "headers body", time.monotonic() + 3 * (deadline + 1.5) + 3)
    opened = [slow.opened_at or 0.0 for slow in result.slow if slow.kind == "silent"]
    _wait(result.slow, "silent", max(opened, default=0.0) + deadline + 3)
    stop.set()
    for slow in result.slow:
        slow.join(5)
    kept.close()
    return result


def _wait(slow: list[SlowConnection], kinds: str, until: float) -> None:
    """Until every slow connection of ``kinds`` is cut, or ``until``."""
    while time.monotonic() < until and any(s.open for s in slow if s.kind in kinds.split()):
        time.sleep(0.05)
