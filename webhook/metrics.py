"""Prometheus metrics, correct across gunicorn workers.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` is set (see gunicorn_conf) and
each worker writes its samples to files there; ``/metrics`` adds them up.
Without it (tests, a single process) the app's own registry is exposed.
"""

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from policies.engine import Finding
from policies.workloads import POD_SPEC_PATHS

# Decisions are fast; the API server's own webhook histogram starts at 5 ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REMEMBERED_CHILDREN = 512
# Label values come from a closed set, never from the request as sent: a caller naming
# a fresh 2 KB kind in every review would otherwise grow /metrics without end.
OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})
KINDS = frozenset(POD_SPEC_PATHS)
OTHER = "other"


def bounded(value: str, known: frozenset[str]) -> str:
    return value if value in known else OTHER


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
        self.over_budget = Counter(
            "gatehouse_review_budget_exceeded",
            "Reviews not judged within the review budget (denied where a policy enforces).",
            registry=self.registry,
        )
        self.exceptions = Counter(
            "gatehouse_exceptions_applied",
            "Findings an unexpired exception let through, by policy.",
            ["policy"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gatehouse_admission_duration_seconds",
            "Time to decide one admission review, from body read to response built.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        # labels() takes a lock and checks its arguments on every call: a review reuses the
        # children already made (a few dozen: operations x kinds x decisions; bounded all
        # the same, since a caller other than the API server could name any kind).
        self._children: dict[tuple[object, ...], Any] = {}

    def count_review(
        self,
        operation: str,
        kind: str,
        decision: str,
        findings: list[Finding],
        seconds: float,
        over_budget: bool = False,
    ) -> None:
        labels = (bounded(operation, OPERATIONS), bounded(kind, KINDS), decision)
        self._child(self.requests, *labels).inc()
        for finding in findings:
            self._child(self.violations, finding.violation.policy, finding.mode).inc()
        if over_budget:
            self.over_budget.inc()
        self.latency.observe(seconds)

    def count_exceptions(self, excepted: list[Finding]) -> None:
        for finding in excepted:
            self._child(self.exceptions, finding.violation.policy).inc()

    def count_error(self) -> None:
        self._child(self.requests, "unknown", "unknown", "error").inc()

    def _child(self, metric: Counter, *labels: str) -> Any:
        key = (metric, *labels)
        child = self._children.get(key)
        if child is None:
            child = metric.labels(*labels)
            if len(self._children) < REMEMBERED_CHILDREN:
                self._children[key] = child
        return child

    def exposition(self, states: Callable[[], Iterable[tuple[str, bool]]] = tuple) -> bytes:
        """Every worker's counts, and each policy's current state from ``states``
        (``(policy, enforced)`` pairs, worked out when scraped: a date passes between scrapes)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = CollectorRegistry()
            registry.register(_Everything(self.registry))
        registry.register(_PolicyStates(states))
        return generate_latest(registry)


class _Everything(Collector):
    """This process's own metrics, added to a registry made for one scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        return iter(self._registry.collect())


class _PolicyStates(Collector):
    def __init__(self, states: Callable[[], Iterable[tuple[str, bool]]]) -> None:
        self._states = states

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "gatehouse_policy_enforced",
            "1 where a policy denies now; 0 in dry-run, disabled, or before its enforceFrom.",
            labels=["policy"],
        )
        for policy, enforced in self._states():
            gauge.add_metric([policy], 1.0 if enforced else 0.0)
        yield gauge
