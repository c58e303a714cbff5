"""Latency at a steady rate with reviews arriving at random times, side by side.

The floor's fixed-rate mode (h2load ``--rps``) starts every connection's timer at
once, so its requests come in bursts, one per connection; pod creations in a cluster
arrive independently of each other. Here each kept-alive connection sends its next
review after an exponentially distributed pause (together: a Poisson stream at
``--rate``), and the servers take turns (A, B, A, B) so drift hits both alike.

  python -m bench.arrivals BODY URL [URL ...] --ca CERT [--rate 500 --conns 32 --seconds 8]

Prints one line per server: reviews answered, p50 / p90 / p99 / mean latency in ms.
"""

import argparse
import http.client
import random
import ssl
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit


def _connection_latencies(
    url: str, body: bytes, context: ssl.SSLContext, pause: float, until: float
) -> list[float]:
    parts = urlsplit(url)
    conn = http.client.HTTPSConnection(
        parts.hostname or "127.0.0.1", parts.port, context=context, timeout=10
    )
    headers = {"Content-Type": "application/json"}
    latencies = []
    time.sleep(random.uniform(0, pause))  # noqa: S311 - spacing, not secrecy
    while time.monotonic() < until:
        started = time.perf_counter()
        conn.request("POST", parts.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        time.sleep(random.expovariate(1 / pause))
    conn.close()
    return latencies


def run(
    url: str, body: bytes, context: ssl.SSLContext, rate: float, conns: int, seconds: float
) -> list[float]:
    """Every latency, in seconds, of ``conns`` connections reviewing at ``rate`` in all."""
    until = time.monotonic() + seconds
    results: list[list[float]] = [[] for _ in range(conns)]

    def connection(index: int) -> None:
        results[index] = _connection_latencies(url, body, context, conns / rate, until)

    threads = [threading.Thread(target=connection, args=(i,)) for i in range(conns)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latency for latencies in results for latency in latencies)


def summary(latencies: list[float]) -> str:
    def at(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))] * 1000

    mean = statistics.fmean(latencies) * 1000
    return (
        f"answered={len(latencies)} p50_ms={at(0.5):.2f} p90_ms={at(0.9):.2f} "
        f"p99_ms={at(0.99):.2f} mean_ms={mean:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("body", type=Path)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--ca", type=Path, required=True, help="the servers' certificate or CA")
    parser.add_argument("--rate", type=float, default=500.0, help="reviews per second, in all")
    parser.add_argument("--conns", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0, help="per server and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    body = args.body.read_bytes()
    context = ssl.create_default_context(cafile=str(args.ca))
    latencies: dict[str, list[float]] = {url: [] for url in args.urls}
    for _ in range(args.rounds):
        for url in args.urls:
            latencies[url] += run(url, body, context, args.rate, args.conns, args.seconds)
    for url in args.urls:
        print(f"{url} {summary(sorted(latencies[url]))}")


if __name__ == "__main__":
    main()
