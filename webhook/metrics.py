"""Prometheus metrics, correct across gunicorn workers.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` is set (see gunicorn_conf) and
each worker writes its samples to files there; ``/metrics`` adds them up.
Without it (tests, a single process) the app's own registry is exposed.
"""

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# Decisions are fast; the API server's own webhook histogram starts at 5 ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gatehouse_admission_requests",
            "Admission reviews answered, by operation, kind and decision.",
            ["operation", "kind", "decision"],
            registry=self.registry,
        )
        self.violations = Counter(
            "gatehouse_violations",
            "Policy violations found, by policy and the mode they were judged in.",
            ["policy", "mode"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gatehouse_admission_duration_seconds",
            "Time to decide one admission review, from body read to response built.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
