"""make bench-hostile: each attack on the webhook, and what a bystander's reviews see meanwhile.

One Gatehouse as the chart runs it (two workers, default options) on loopback.
A bystander, the API server's stand-in, sends small Pod reviews at a steady
rate on a pool of kept-alive connections, timed from their scheduled time
(bench/open_loop.py): just before each attack (normal, on this machine at
this moment), then during it; for each attack, the attacker's own answer time
too. A p99 needs samples: 200/s for 15 s gives 3,000 per measurement. Attacks, from the issues that found
them:

  detection shapes   env values built to make the secret detector slow (nested
                     repetition, word starts a pattern can cross, key=value runs)
  costly review      a legal 5 MB Pod of 100,000 literal passwords: judged until
                     the review budget runs out, then denied
  idle TLS flood     2,000 TLS connections, one review each, then silent
  raw TCP flood      connections that never send a byte, reopened as they are cut
  slowloris          requests trickled a byte at a time
  bad framing        malformed chunk sizes and short chunks
  label cardinality  reviews naming a fresh 2 KB kind and operation each
  log volume         allowed reviews with and without GATEHOUSE_LOG_ALLOWED

Results: a Markdown table on stdout and in .bench/hostile.md.
  env: BYSTANDER_RATE (default 200/s), SECONDS (per measurement, default 15)
"""

import contextlib
import http.client
import json
import multiprocessing
import os
import select
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import open_loop
from policies.secret_detectors import detect
from tests.adversarial import adversarial_values
from tests.manifests import container, pod, review
from tests.reliability.procfs import connection_owner
from tests.server import VALIDATE_HEAD, Server, exchange, serve, tls_connection

RATE = float(os.environ.get("BYSTANDER_RATE", "200"))
SECONDS = float(os.environ.get("SECONDS", "15"))
OUT = Path(".bench")


@dataclass
class Attacker:
    """What one attack did: the answer times of its requests, and notes."""

    answers: list[float] = field(default_factory=list)
    errors: int = 0
    note: str = ""
    stop: threading.Event = field(default_factory=threading.Event)

    def answer_ms(self) -> str:
        if not self.answers:
            return "-"
        ordered = sorted(self.answers)
        median = ordered[len(ordered) // 2] * 1000
        return f"{median:.1f} (max {ordered[-1] * 1000:.0f})"


def _post(body: bytes) -> bytes:
    return VALIDATE_HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body


def _paced(attacker: Attacker, per_second: float, send: Callable[[], None]) -> None:
    """Call ``send`` ``per_second`` times a second until stopped, timing each."""
    while not attacker.stop.is_set():
        started = time.monotonic()
        try:
            send()
            attacker.answers.append(time.monotonic() - started)
        except OSError:
            attacker.errors += 1
        attacker.stop.wait(max(0.0, 1 / per_second - (time.monotonic() - started)))


def _reviews_with(name: str, value: str) -> bytes:
    return _post(json.dumps(review(pod(container(env=[{"name": name, "value": value}])))).encode())


DETECTION_SHAPES = (
    ("AUTH_TOKEN", "ssh-rsa AAAA " * 16 + "\n!"),
    ("TOKEN", "-eyJ" * 100_000),
    ("GITHUB_TOKEN", "github_pat_" + "_github_pat_" * 33_000 + "-"),
    ("SETTINGS", "=" + "z-" * 8_000),
)


def _costliest_adversaries(count: int, size: int) -> list[tuple[str, str]]:
    """The ``count`` values from tests/adversarial.py that cost the detector most at ``size``."""
    timed = []
    for adversary in adversarial_values(size, names=("AUTH_TOKEN",)):
        started = time.perf_counter()
        detect(adversary.name, adversary.value)
        timed.append((time.perf_counter() - started, adversary.name, adversary.value))
    timed.sort(reverse=True)
    return [(name, value) for _, name, value in timed[:count]]


@contextlib.contextmanager
def detection_shapes(server: Server) -> Iterator[Attacker]:
    shapes = [*DETECTION_SHAPES, *_costliest_adversaries(4, 64 * 1024)]
    attacker = Attacker(
        note="the issue's 4 shapes and the 4 costliest 64 KiB values the pattern-part "
        "generator makes, 5 reviews/s each"
    )
    bodies = [_reviews_with(name, value) for name, value in shapes]
    threads = []
    for body in bodies:
        tls = tls_connection(server)

        def send(tls: ssl.SSLSocket = tls, body: bytes = body) -> None:
            exchange(tls, body)

        threads.append(threading.Thread(target=_paced, args=(attacker, 5, send), daemon=True))
    yield from _running(attacker, threads)


@contextlib.contextmanager
def costly_review(server: Server) -> Iterator[Attacker]:
    env = [{"name": f"DB_PASSWORD_{n}", "value": f"pw{n}"} for n in range(100_000)]
    body = _post(json.dumps(review(pod(container(env=env)))).encode())
    attacker = Attacker(note="one 5 MB review a second, each denied at the budget")
    tls = tls_connection(server)
    thread = threading.Thread(
        target=_paced, args=(attacker, 1, lambda: exchange(tls, body)), daemon=True
    )
    yield from _running(attacker, [thread])


@contextlib.contextmanager
def idle_tls_flood(server: Server) -> Iterator[Attacker]:
    attacker = Attacker(note="2,000 connections opened at 250/s, one review each, then idle")
    held: list[ssl.SSLSocket] = []
    body = _post(json.dumps(review(pod())).encode())

    def flood() -> None:
        while len(held) < 2000 and not attacker.stop.is_set():
            started = time.monotonic()
            try:
                tls = tls_connection(server)
                exchange(tls, body)
                held.append(tls)
                attacker.answers.append(time.monotonic() - started)
            except OSError:
                attacker.errors += 1
            attacker.stop.wait(max(0.0, 1 / 250 - (time.monotonic() - started)))

    yield from _running(attacker, [threading.Thread(target=flood, daemon=True)])
    attacker.note += f"; {sum(_still_open(s) for s in held)} still open at the end"
    for tls in held:
        tls.close()


def _still_open(sock: socket.socket) -> bool:
    """Whether the server has not closed ``sock`` (it sends nothing unasked: readable is closed)."""
    poller = select.poll()  # select() stops at descriptor 1024; a flood goes past it
    poller.register(sock, select.POLLIN)
    if not poller.poll(0):
        return True
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except (BlockingIOError, ssl.SSLWantReadError):
        return True
    except OSError:
        return False


@contextlib.contextmanager
def raw_tcp_flood(server: Server) -> Iterator[Attacker]:
    attacker = Attacker(note="2,000 silent connections, each reopened when cut")
    held: list[socket.socket] = []

    def flood() -> None:
        while not attacker.stop.is_set():
            alive = [s for s in held if _still_open(s)]
            for gone in set(held) - set(alive):
                gone.close()
            held[:] = alive
            while len(held) < 2000 and not attacker.stop.is_set():
                try:
                    held.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
                except OSError:
                    attacker.errors += 1
                    break
            attacker.stop.wait(0.2)

    yield from _running(attacker, [threading.Thread(target=flood, daemon=True)])
    for raw in held:
        raw.close()


@contextlib.contextmanager
def slowloris(server: Server) -> Iterator[Attacker]:
    attacker = Attacker(note="200 connections, a byte every 0.5 s")
    request = _post(json.dumps(review(pod())).encode())

    def trickle() -> None:
        socks: list[tuple[socket.socket, int]] = []
        while not attacker.stop.is_set():
            socks = [(s, sent) for s, sent in socks if _still_open(s)]
            while len(socks) < 200:
                try:
                    socks.append((tls_connection(server), 0))
                except OSError:
                    attacker.errors += 1
                    break
            for index, (tls, sent) in enumerate(socks):
                with contextlib.suppress(OSError, ssl.SSLError):
                    tls.setblocking(True)
                    tls.send(request[sent : sent + 1])
                    socks[index] = (tls, sent + 1)
            attacker.stop.wait(0.5)
        for tls, _ in socks:
            tls.close()

    yield from _running(attacker, [threading.Thread(target=trickle, daemon=True)])


BAD_FRAMINGS = (b"zz\r\n{}\r\n0\r\n\r\n", b"-2\r\n{}\r\n", b"f" * 40 + b"\r\n", b"2\r\n{}XX")


@contextlib.contextmanager
def bad_framing(server: Server) -> Iterator[Attacker]:
    attacker = Attacker(note="malformed chunk sizes and short chunks, 20/s")
    framings = iter(BAD_FRAMINGS * 1_000_000)

    def send() -> None:
        with tls_connection(server) as tls:
            status = exchange(
                tls, VALIDATE_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + next(framings)
            )
        if not status.startswith(b"HTTP/1.1 400"):
            raise OSError(f"answered {status!r}")

    yield from _running(attacker, [threading.Thread(target=_paced, args=(attacker, 20, send))])


@contextlib.contextmanager
def label_cardinality(server: Server) -> Iterator[Attacker]:
    before = len(server.probe("/metrics")[1])
    attacker = Attacker()
    tls = tls_connection(server)
    count = iter(range(10**9))

    def send() -> None:
        n = next(count)
        doc = review(pod())
        doc["request"]["kind"]["kind"] = f"Kind{n}" * 300
        doc["request"]["operation"] = f"OP{n}" * 300
        exchange(tls, _post(json.dumps(doc).encode()))

    yield from _running(attacker, [threading.Thread(target=_paced, args=(attacker, 400, send))])
    after = len(server.probe("/metrics")[1])
    attacker.note = (
        f"{len(attacker.answers):,} reviews with unique 2 KB kinds: /metrics {before:,} -> "
        f"{after:,} bytes"
    )


def _running(attacker: Attacker, threads: list[threading.Thread]) -> Iterator[Attacker]:
    for thread in threads:
        thread.start()
    try:
        yield attacker
    finally:
        attacker.stop.set()
        for thread in threads:
            thread.join(timeout=30)


ATTACKS: tuple[tuple[str, Callable[[Server], contextlib.AbstractContextManager[Attacker]]], ...] = (
    ("detection shapes", detection_shapes),
    ("costly review (budget)", costly_review),
    ("idle TLS flood", idle_tls_flood),
    ("raw TCP flood", raw_tcp_flood),
    ("slowloris", slowloris),
    ("bad framing", bad_framing),
    ("label cardinality", label_cardinality),
)


class Bystander:
    """The API server's stand-in, in a process of its own so that no attacker thread shares
    its interpreter lock: a kept-alive pool opened once, before any attack, spread over
    both workers, that it reviews on throughout (a reconnect counts as usual)."""

    def __init__(self, server: Server, body: bytes) -> None:
        self._pipe, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_bystander_process, args=(server, body, theirs), daemon=True
        )
        self._process.start()
        self._pipe.recv()  # ready: the pool is open

    def measure(self) -> open_loop.Latencies:
        self._pipe.send("measure")
        seconds, failed = self._pipe.recv()
        return open_loop.Latencies(seconds, failed)

    def close(self) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=30)


def _bystander_process(server: Server, body: bytes, pipe: Any) -> None:
    pool = kept_alive_pool(server)
    url = f"https://127.0.0.1:{server.port}/validate"
    pipe.send("ready")
    while pipe.recv() == "measure":
        measured = open_loop.run(url, body, server.ssl_context(), RATE, SECONDS, pool=pool)
        pipe.send((measured.seconds, measured.failed))


def kept_alive_pool(server: Server, per_worker: int = 4) -> list[http.client.HTTPSConnection]:
    """``per_worker`` kept-alive connections on each worker (the kernel picks the worker
    that accepts: connections are opened until each has its share)."""
    pool: list[http.client.HTTPSConnection] = []
    held: dict[int, int] = {}
    for _ in range(200):
        conn = http.client.HTTPSConnection(
            "localhost", server.port, context=server.ssl_context(), timeout=30
        )
        conn.connect()
        worker = _worker_of(server, conn)
        if held.get(worker, 0) < per_worker:
            held[worker] = held.get(worker, 0) + 1
            pool.append(conn)
        else:
            conn.close()
        if len(held) == 2 and all(n == per_worker for n in held.values()):
            return pool
    raise RuntimeError(f"could not spread the bystander's connections: {held}")


def _worker_of(server: Server, conn: http.client.HTTPSConnection) -> int:
    """The pid of the worker holding ``conn`` (its server side, from /proc)."""
    if conn.sock is None:
        raise RuntimeError("not connected")
    return connection_owner(server, conn.sock.getsockname()[1]) or 0


def log_volume(workdir: Path) -> str:
    """Bytes of decision log per allowed review, with and without GATEHOUSE_LOG_ALLOWED."""
    figures = []
    for setting in ("false", "true"):
        with serve(workdir / f"log-{setting}", env={"GATEHOUSE_LOG_ALLOWED": setting}) as server:
            before = len(server.log())
            body = json.dumps(review(pod())).encode()
            open_loop.run(
                f"https://127.0.0.1:{server.port}/validate", body, server.ssl_context(), 500, 4
            )
            time.sleep(0.5)
            figures.append(len(server.log()) - before)
    return f"{figures[0]:,} bytes of log for ~2,000 allowed reviews by default; {figures[1]:,} with GATEHOUSE_LOG_ALLOWED=true"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rows = []
        with serve(workdir / "server", workers=2) as server:
            bystander = Bystander(server, json.dumps(review(pod())).encode())
            bystander.measure()  # warm up: caches
            for name, attack in ATTACKS:
                # Normal is measured just before each attack: a shared machine's own
                # noise drifts over minutes, and the ratio should show the attack's.
                time.sleep(2.0)  # let the server settle after the attack before
                before = bystander.measure()
                print(f"before {name}: {before.summary()}", file=sys.stderr)
                with attack(server) as attacker:
                    time.sleep(1.0)  # the attack under way before the bystander measures
                    during = bystander.measure()
                print(f"{name}: {during.summary()}", file=sys.stderr)
                rows.append((name, attacker, before, during))
            bystander.close()
            alive = server.process.poll() is None
        volume = log_volume(workdir)
    lines = [
        f"Bystander: small Pod reviews at {RATE:g}/s, open loop, from a process of its own, "
        "8 kept-alive connections opened before the attacks (4 on each worker), "
        f"{SECONDS:g} s per measurement, just before each attack and during it; "
        "server: 2 workers, default options.",
        "",
        "| attack | attacker's answer, median ms | bystander p50 / p99 / max ms, just before | during the attack | p99 vs just before | failed | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, attacker, before, during in rows:
        lines.append(
            f"| {name} | {attacker.answer_ms()} | {_ms(before)} | {_ms(during)} | "
            f"{during.p99 / before.p99:.1f}x | {before.failed + during.failed} | {attacker.note} |"
        )
    lines += ["", f"Log volume: {volume}.", f"Server still up after every attack: {alive}."]
    report = "\n".join(lines)
    (OUT / "hostile.md").write_text(report + "\n")
    print(report)
    return 0 if alive else 1


def _ms(latencies: open_loop.Latencies) -> str:
    return f"{latencies.p50 * 1000:.1f} / {latencies.p99 * 1000:.1f} / {latencies.max * 1000:.0f}"


if __name__ == "__main__":
    sys.exit(main())
