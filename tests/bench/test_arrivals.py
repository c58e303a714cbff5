"""bench/arrivals.py: the steady-rate latency probe, against the real server."""

import json

from bench.arrivals import run, summary
from tests.manifests import pod, review
from tests.server import Server


def test_every_connection_reviews_at_its_share_of_the_rate(server: Server) -> None:
    body = json.dumps(review(pod())).encode()
    latencies = run(
        f"https://127.0.0.1:{server.port}/validate", body, server.ssl_context(), 40.0, 4, 1.5
    )
    assert 20 <= len(latencies) <= 120  # about 40/s for 1.5 s; sleeps are random
    assert latencies == sorted(latencies) and latencies[0] > 0


def test_summary_reads_percentiles_off_the_sorted_latencies() -> None:
    latencies = [n / 1000 for n in range(1, 101)]  # 1 ms to 100 ms
    assert summary(latencies) == (
        "answered=100 p50_ms=51.00 p90_ms=91.00 p99_ms=100.00 mean_ms=50.50"
    )
