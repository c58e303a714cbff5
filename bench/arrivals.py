"""Latency at a steady rate with reviews arriving at random times, side by side.

The floor's fixed-rate mode (h2load ``--rps``) starts every connection's timer at
once, so its requests come in bursts, one per connection; pod creations in a cluster
arrive independently of each other. Here reviews are scheduled as a Poisson stream
at ``--rate`` and timed from their scheduled time (bench/open_loop.py: an open loop,
so a stall shows in every review it delays), and the servers take turns (A, B, A, B)
so drift hits both alike.

  python -m bench.arrivals BODY URL [URL ...] --ca CERT [--rate 500 --conns 32 --seconds 8]

Prints one line per server: reviews answered, failures, p50 / p99 / max / mean in ms.
"""

import argparse
import ssl
from pathlib import Path

from bench.open_loop import Latencies, run


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
    failed = dict.fromkeys(args.urls, 0)
    for _ in range(args.rounds):
        for url in args.urls:
            measured = run(url, body, context, args.rate, args.seconds, args.conns)
            latencies[url] += measured.seconds
            failed[url] += measured.failed
    for url in args.urls:
        print(f"{url} {Latencies(sorted(latencies[url]), failed[url]).summary()}")


if __name__ == "__main__":
    main()
