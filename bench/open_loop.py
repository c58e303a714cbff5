"""Latency with arrivals on a schedule: open loop, as the API server's traffic is.

Reviews arrive at random times (a Poisson stream at ``rate``) whether or not the
server has answered the ones before: each has a scheduled time, and its latency
counts from that time, not from when a free connection got round to sending it.
A server that stalls therefore shows the stall in every review scheduled during
it (a closed loop would send fewer and hide it). The API server keeps a pool of
connections; so does this, ``conns`` kept-alive HTTPS connections taking the
next scheduled review in turn.
"""

import http.client
import queue
import random
import ssl
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Latencies:
    """Seconds from each review's scheduled time to its whole answer, sorted; and failures."""

    seconds: list[float]
    failed: int = 0

    def at(self, share: float) -> float:
        if not self.seconds:
            return float("nan")
        return self.seconds[min(len(self.seconds) - 1, int(len(self.seconds) * share))]

    @property
    def p50(self) -> float:
        return self.at(0.5)

    @property
    def p99(self) -> float:
        return self.at(0.99)

    @property
    def max(self) -> float:
        return self.seconds[-1] if self.seconds else float("nan")

    def summary(self) -> str:
        mean = statistics.fmean(self.seconds) * 1000 if self.seconds else float("nan")
        return (
            f"answered={len(self.seconds)} failed={self.failed} p50_ms={self.p50 * 1000:.2f} "
            f"p99_ms={self.p99 * 1000:.2f} max_ms={self.max * 1000:.2f} mean_ms={mean:.2f}"
        )


def schedule(rate: float, seconds: float, start: float, seed: int = 7) -> list[float]:
    """Arrival times of a Poisson stream at ``rate`` per second, from ``start``."""
    pick = random.Random(seed)  # noqa: S311 - spacing, not secrecy
    times, at = [], start
    while True:
        at += pick.expovariate(rate)
        if at >= start + seconds:
            return times
        times.append(at)


def run(
    url: str,
    body: bytes | Callable[[], bytes],
    context: ssl.SSLContext,
    rate: float,
    seconds: float,
    conns: int = 8,
    pool: list[http.client.HTTPSConnection] | None = None,
) -> Latencies:
    """Send ``body`` (or a fresh one from the callable) at the scheduled times; time each.

    ``pool``: kept-alive connections to use (and keep) instead of ``conns`` new ones, as
    the API server keeps its pool across everything that happens to the webhook.
    """
    if pool is not None:
        conns = len(pool)
    parts = urlsplit(url)
    arrivals: queue.SimpleQueue[float | None] = queue.SimpleQueue()
    for at in schedule(rate, seconds, time.monotonic() + 0.2):
        arrivals.put(at)
    for _ in range(conns):
        arrivals.put(None)
    results: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def connection(index: int) -> None:
        conn = (
            pool[index]
            if pool is not None
            else http.client.HTTPSConnection(
                parts.hostname or "127.0.0.1", parts.port, context=context, timeout=30
            )
        )
        while (at := arrivals.get()) is not None:
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            data = body() if callable(body) else body
            try:
                conn.request(
                    "POST", parts.path, body=data, headers={"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()  # the next request reconnects
            with lock:
                if ok:
                    results.append(time.monotonic() - at)
                else:
                    failures[0] += 1
        if pool is None:
            conn.close()

    threads = [threading.Thread(target=connection, args=(i,)) for i in range(conns)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Latencies(sorted(results), failures[0])
