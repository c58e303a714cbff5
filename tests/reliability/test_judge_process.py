"""Each worker's judge process, over real gunicorn: it judges the large reviews, a
worker whose judge died judges them itself, and no judge outlives its worker."""

import http.client
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.manifests import leaky_container, pod, review
from tests.server import Server, serve


def _large_leaky_review() -> bytes:
    leaky = leaky_container()
    leaky["env"] += [{"name": f"SETTING_{n}", "value": "x" * 40} for n in range(2000)]
    body = json.dumps(review(pod(leaky))).encode()
    assert len(body) > 64 * 1024  # judged by the judge process
    return body


def _post(server: Server, body: bytes) -> dict[str, Any]:
    conn = http.client.HTTPSConnection(
        "localhost", server.port, context=server.ssl_context(), timeout=30
    )
    try:
        conn.request("POST", "/validate", body=body, headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        assert answer.status == 200
        return dict(json.loads(answer.read())["response"])
    finally:
        conn.close()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(child) for child in out.stdout.split()]


def _judges(server: Server) -> dict[int, list[int]]:
    return {worker: _children(worker) for worker in server.worker_pids()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _wait(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return bool(condition())


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    with serve(tmp_path, workers=1) as running:
        yield running


def _denied_for_the_key(answer: dict[str, Any]) -> bool:
    return answer["allowed"] is False and "AWS access key" in answer["status"]["message"]


def test_each_worker_has_one_judge_and_large_reviews_are_judged(server: Server) -> None:
    assert _wait(lambda: all(len(j) == 1 for j in _judges(server).values()))
    assert _denied_for_the_key(_post(server, _large_leaky_review()))
    assert "The judge process is gone" not in server.log()


def test_a_worker_whose_judge_died_judges_large_reviews_itself(server: Server) -> None:
    assert _wait(lambda: all(len(j) == 1 for j in _judges(server).values()))
    (worker,) = server.worker_pids()
    (judge,) = _children(worker)
    os.kill(judge, signal.SIGKILL)
    assert _denied_for_the_key(_post(server, _large_leaky_review()))
    assert "The judge process is gone" in server.log()  # it was asked, and did not answer
    assert server.worker_pids() == [worker]  # nothing else was lost
    assert _denied_for_the_key(_post(server, _large_leaky_review()))


def test_no_judge_outlives_its_worker(tmp_path: Path) -> None:
    with serve(tmp_path / "killed", workers=1) as server:
        assert _wait(lambda: all(len(j) == 1 for j in _judges(server).values()))
        (worker,) = server.worker_pids()
        (judge,) = _children(worker)
        os.kill(worker, signal.SIGKILL)  # the judge sees its channel close
        assert _wait(lambda: not _alive(judge))
        assert _wait(lambda: len(server.worker_pids()) == 1 and server.worker_pids() != [worker])
        assert _wait(lambda: all(len(j) == 1 for j in _judges(server).values()))
        judges = _judges(server)
    stopped = [pid for pids in judges.values() for pid in pids]
    assert stopped  # the replacement worker had its own
    assert _wait(lambda: not any(_alive(pid) for pid in stopped))  # a clean stop takes them too
