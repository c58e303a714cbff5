"""A review too costly to judge in time ends at the budget, over real gunicorn.

A legal 5 MB Pod of 100,000 literal passwords takes seconds to judge in full;
with a budget on one worker it is denied once the budget is spent, the worker
is never killed, and a small review on another connection of the same worker
is answered while the large one is still being judged (on the side thread).
"""

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.manifests import container, pod, review
from tests.reliability.report import Ledger
from tests.server import Server, serve

BUDGET = 1.5


def _costly() -> bytes:
    env = [{"name": f"DB_PASSWORD_{n}", "value": f"pw{n}"} for n in range(100_000)]
    return json.dumps(review(pod(container(env=env)))).encode()


def _post(server: Server, body: bytes) -> tuple[float, dict[str, Any]]:
    conn = http.client.HTTPSConnection(
        "localhost", server.port, context=server.ssl_context(), timeout=30
    )
    started = time.monotonic()
    conn.request("POST", "/validate", body=body, headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    data = json.loads(answer.read())
    conn.close()
    return time.monotonic() - started, data


@pytest.fixture(scope="module")
def budgeted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"GATEHOUSE_REVIEW_BUDGET": str(BUDGET)}
    with serve(Path(tmp_path_factory.mktemp("budget")), env=env, workers=1) as server:
        yield server


def test_a_costly_review_is_denied_at_the_budget(budgeted: Server, ledger: Ledger) -> None:
    worker = budgeted.worker_pids()
    seconds, answer = _post(budgeted, _costly())
    ledger.add("faults", 1)
    response = answer["response"]
    assert response["allowed"] is False
    assert "could not judge within the budget of 1.5 s" in response["status"]["message"]
    assert budgeted.worker_pids() == worker  # the same worker: nothing was killed
    assert seconds < 10  # the whole judgement would take seconds more; see the bystander test
    assert "budgetExceeded" in _wait_for(budgeted, '"budgetExceeded":true')
    assert "gatehouse_review_budget_exceeded_total 1.0" in budgeted.probe("/metrics")[1].decode()


def test_a_bystander_is_answered_while_the_costly_review_is_judged(
    budgeted: Server, ledger: Ledger
) -> None:
    costly = _costly()
    small = json.dumps(review(pod())).encode()
    _post(budgeted, small)  # warm: the worker's caches, a TLS session
    done: dict[str, float] = {}

    def send_small_while_the_costly_one_is_judged() -> None:
        time.sleep(0.5)  # the costly body is uploaded and being judged by then
        _post(budgeted, small)
        done["small"] = time.monotonic()

    thread = threading.Thread(target=send_small_while_the_costly_one_is_judged)
    thread.start()
    _, answer = _post(budgeted, costly)
    done["costly"] = time.monotonic()
    thread.join()
    ledger.add("requests", 2)
    assert answer["response"]["allowed"] is False  # judged for the whole budget, then denied
    # One worker: the small review was answered before the large one, whose judging went
    # on for the budget; on the loop it would have waited for all of it.
    assert done["small"] < done["costly"], done


def _wait_for(server: Server, text: str, seconds: float = 5.0) -> str:
    deadline = time.monotonic() + seconds
    while text not in (log := server.log()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return log
