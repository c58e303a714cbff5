"""A sustained stream of mixed reviews: every answer right, keep-alive held, memory settles.

SOAK_REQUESTS sets the size: 3000 in make test, 100000 in make soak, which
also leaves the RSS curve and the counts in REPORT_DIR/soak.md.
"""

import os
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.reliability.load import Load, spread_clients
from tests.reliability.memory import SETTLED_GROWTH, RssCurve
from tests.reliability.procfs import owners
from tests.reliability.report import Ledger, table, write_report
from tests.reliability.traffic import review_mix
from tests.server import serve

CLIENTS = 4
SAMPLES = 20


@pytest.mark.soak
def test_soak_mixed_reviews_over_keep_alive_connections(tmp_path: Path, ledger: Ledger) -> None:
    count = int(os.environ.get("SOAK_REQUESTS", "3000"))
    every = max(count // SAMPLES, 50)
    with serve(tmp_path, workers=2) as server:
        pids = tuple(server.worker_pids())
        clients = spread_clients(server, CLIENTS)  # both workers serve, both curves mean something
        warm_up = review_mix()
        for client in clients:
            for case in warm_up:
                client.send(case)
        held = Counter(owners(server, [c.port for c in clients if c.port is not None]).values())
        curve = RssCurve(pids)

        def sample(answered: int) -> None:
            if answered % every == 0:
                curve.sample(answered)

        load = Load(server, clients, count=count, seconds=60 + count / 50, on_answer=sample)
        started = time.monotonic()
        tally = load.start().finish()
        seconds = time.monotonic() - started
        pids_after = tuple(server.worker_pids())

    ledger.add("requests", tally.answered)
    ledger.add("failures", tally.failure_count + len(tally.lost))
    write_report("soak.md", _report(count, seconds, tally.by_case, held, pids, curve))
    assert tally.failures == [] and tally.failure_count == 0
    assert tally.lost == []
    assert tally.answered == count
    assert set(tally.by_case) == {case.name for case in warm_up}
    assert tally.connections == len(clients)  # keep-alive held for the whole soak: no reconnect
    assert pids_after == pids  # no worker died or was recycled
    assert curve.unsettled() == []


def _report(
    count: int,
    seconds: float,
    by_case: Counter[str],
    held: Counter[int | None],
    pids: tuple[int, ...],
    curve: RssCurve,
) -> str:
    connections = ", ".join(f"worker {n + 1}: {held[pid]}" for n, pid in enumerate(pids))
    return (
        f"# Soak: {count} reviews, {sum(held.values())} keep-alive connections ({connections})\n\n"
        f"{seconds:.0f} s, {count / seconds:.0f} reviews/s, the client on the same machine. "
        f"Every answer checked (status, uid, allowed, warnings); failures: 0 is asserted.\n\n"
        + table(["review", "answered"], sorted(by_case.items()))
        + f"\nRSS per worker (VmRSS), sampled every {max(count // SAMPLES, 50)} answers; "
        f"asserted: the second half adds < {SETTLED_GROWTH:.0%} of the first sample.\n\n"
        + curve.markdown()
    )
