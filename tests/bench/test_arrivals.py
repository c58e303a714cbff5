"""bench/open_loop.py: the open-loop latency probe, against the real server."""

import json
import time

from bench.open_loop import Latencies, run, schedule
from tests.manifests import pod, review
from tests.server import Server


def test_reviews_are_sent_on_schedule_and_timed_from_it(server: Server) -> None:
    body = json.dumps(review(pod())).encode()
    url = f"https://127.0.0.1:{server.port}/validate"
    measured = run(url, body, server.ssl_context(), 40.0, 1.5, conns=4)
    assert measured.failed == 0
    assert 20 <= len(measured.seconds) <= 120  # about 40/s for 1.5 s; arrivals are random
    assert measured.seconds == sorted(measured.seconds) and measured.seconds[0] > 0


def test_a_stall_shows_in_every_review_scheduled_during_it(server: Server) -> None:
    """One connection and a body that takes 0.3 s to make: the later reviews wait in line."""
    url = f"https://127.0.0.1:{server.port}/validate"
    body = json.dumps(review(pod())).encode()

    def slow_body() -> bytes:
        time.sleep(0.3)
        return body

    measured = run(url, slow_body, server.ssl_context(), 10.0, 0.8, conns=1)
    # about 8 scheduled in 0.8 s, 0.3 s each on one connection: the last waits over a second
    assert len(measured.seconds) >= 4 and measured.max > 1.0


def test_the_schedule_is_a_poisson_stream_at_the_rate() -> None:
    times = schedule(1000.0, 10.0, start=100.0)
    assert 9_500 <= len(times) <= 10_500
    assert times == sorted(times) and times[0] > 100.0 and times[-1] < 110.0


def test_summary_reads_percentiles_and_the_max_off_the_sorted_latencies() -> None:
    latencies = Latencies([n / 1000 for n in range(1, 101)], failed=2)  # 1 ms to 100 ms
    assert latencies.summary() == (
        "answered=100 failed=2 p50_ms=51.00 p99_ms=100.00 max_ms=100.00 mean_ms=50.50"
    )
