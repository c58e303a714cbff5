"""Faults under load: a worker killed, the config reloaded (good and bad), the server stopped.

A certificate replaced on disk under load is covered in tests/webhook/test_server.py
(test_certificate_swapped_on_disk_is_used_by_new_connections_without_failures).
SOAK_FAULT_ROUNDS repeats the kill and the reload (1 in make test, 5 in make soak).
"""

import ast
import http.client
import json
import os
import signal
import socket
import threading
import time
from collections import Counter
from itertools import cycle, islice
from pathlib import Path

import pytest

from policies.config import Mode
from tests.manifests import leaky_container, pod, review
from tests.reliability.load import Load, spread_clients
from tests.reliability.procfs import connection_owner, owners, wait_for_workers
from tests.reliability.report import Ledger
from tests.reliability.traffic import Client, check, review_mix
from tests.server import REPO, VALIDATE_HEAD, Server, serve

ROUNDS = int(os.environ.get("SOAK_FAULT_ROUNDS", "1"))
BETWEEN_FAULTS = 300  # answers the load must get between two faults, and after the last


def _gunicorn_number(name: str) -> float:
    """A number set in webhook/gunicorn_conf.py, read without running it (it sets up metrics)."""
    tree = ast.parse((REPO / "webhook" / "gunicorn_conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return float(ast.literal_eval(node.value))
    raise LookupError(name)


GRACEFUL_TIMEOUT = _gunicorn_number("graceful_timeout")


@pytest.mark.soak
def test_killed_worker_fails_only_its_own_connections_and_is_replaced(
    tmp_path: Path, ledger: Ledger
) -> None:
    lost_per_round: list[int] = []
    with serve(tmp_path, workers=2) as server:
        load = Load(server, spread_clients(server), seconds=60 + 30 * ROUNDS).start()
        for _ in range(ROUNDS):
            load.wait_answered(load.tally.answered + BETWEEN_FAULTS)
            held = owners(server, load.ports())
            victim = max(set(held.values()) - {None}, key=list(held.values()).count)
            assert victim is not None
            its_ports = {port for port, pid in held.items() if pid == victim}
            lost_before = len(load.tally.lost)
            before = set(server.worker_pids())
            os.kill(victim, signal.SIGKILL)
            (newest,) = set(wait_for_workers(server, 2, gone=[victim])) - before
            load.wait_answered(load.tally.answered + BETWEEN_FAULTS)
            lost = load.tally.lost[lost_before:]
            # Exactly the connections the killed worker held broke, once each; no other did.
            assert Counter(port for port, _ in lost) == Counter(its_ports), lost
            lost_per_round.append(len(lost))
        fresh = _client_held_by(server, newest)
        tally = load.stop()

    ledger.add("faults", ROUNDS)
    ledger.add("requests", tally.answered)
    ledger.add("lost", sum(lost_per_round))
    ledger.add("failures", tally.failure_count)
    assert tally.failures == [] and tally.failure_count == 0
    assert tally.retried == sum(lost_per_round)  # every lost request succeeded on a new connection
    assert all(lost_per_round)
    assert fresh is not None


def _client_held_by(server: Server, pid: int, tries: int = 40) -> Client | None:
    """A connection the worker ``pid`` accepted and answered right: the replacement serves."""
    case = review_mix()[1]
    for _ in range(tries):
        client = Client(server)
        status, raw = client.send(case)
        assert check(case, status, raw, "enforce") is None
        if client.port is not None and connection_owner(server, client.port) == pid:
            return client
        client.close()
    return None


def _write_config(path: Path, text: str) -> None:
    """Like a ConfigMap update: the new file appears whole, by rename."""
    staged = path.with_suffix(".new")
    staged.write_text(text)
    os.replace(staged, path)


def _enforcing_config(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A config file SIGHUP can change, and the environment that makes the server read it."""
    config = tmp_path / "gatehouse.yaml"
    _write_config(config, "mode: enforce\n")
    return config, {"GATEHOUSE_CONFIG": str(config), "GATEHOUSE_MODE": ""}


@pytest.mark.soak
def test_sighup_switches_mode_under_load_without_a_failed_request(
    tmp_path: Path, ledger: Ledger
) -> None:
    config, env = _enforcing_config(tmp_path)
    modes: list[Mode] = list(islice(cycle(("dry-run", "enforce")), ROUNDS))
    with serve(tmp_path, env=env) as server:
        load = Load(server, clients=4, seconds=60 + 30 * ROUNDS).start()
        current: Mode = "enforce"
        for mode in modes:
            load.wait_answered(load.tally.answered + BETWEEN_FAULTS)
            old = server.worker_pids()
            _write_config(config, f"mode: {mode}\n")
            load.expect(current, mode)  # old workers answer in the old mode until they drain
            server.process.send_signal(signal.SIGHUP)
            wait_for_workers(server, 2, gone=old)
            load.expect(mode)  # every old worker is gone: only the new mode from here on
            load.wait_answered(load.tally.answered + BETWEEN_FAULTS)
            current = mode
        tally = load.stop()

    ledger.add("faults", len(modes))
    ledger.add("requests", tally.answered)
    ledger.add("failures", tally.failure_count + len(tally.lost))
    assert tally.failures == [] and tally.failure_count == 0
    assert tally.lost == []  # a graceful reload closes keep-alive connections between requests


@pytest.mark.soak
def test_sighup_with_an_invalid_config_keeps_the_old_one_and_logs_why(
    tmp_path: Path, ledger: Ledger
) -> None:
    config, env = _enforcing_config(tmp_path)
    with serve(tmp_path, env=env) as server:
        load = Load(server, clients=4, seconds=90).start()
        load.wait_answered(BETWEEN_FAULTS)
        old = server.worker_pids()
        # Valid YAML asking for dry-run, with a typo: none of it may apply.
        _write_config(
            config, "mode: dry-run\npolicies:\n  no-root-containers:\n    enabeld: true\n"
        )
        server.process.send_signal(signal.SIGHUP)
        wait_for_workers(server, 2, gone=old)
        load.wait_answered(load.tally.answered + BETWEEN_FAULTS)  # still judged as enforce
        tally = load.stop()
        log = server.log()

    ledger.add("faults", 1)
    ledger.add("requests", tally.answered)
    ledger.add("failures", tally.failure_count + len(tally.lost))
    assert tally.failures == [] and tally.failure_count == 0 and tally.lost == []
    assert "keeping the previous config" in log
    assert "policies.no-root-containers.enabeld: unknown key" in log


class ThrottledPost(threading.Thread):
    """One review sent slowly, as a big object over a slow link, paused after its first piece.

    The head and the first 64 KiB go at once; then it waits for ``go`` (so the
    test can be sure it is in flight at the signal), then sends the rest in
    pieces with a pause between them, and reads the answer.
    """

    PIECE = 64 * 1024

    def __init__(self, server: Server, body: bytes, go: threading.Event) -> None:
        super().__init__(daemon=True)
        self._server, self._body, self._go = server, body, go
        self.started = threading.Event()  # head and first piece sent
        self.port = 0
        self.last_byte_at = 0.0
        self.status = 0
        self.answer: dict[str, object] = {}
        self.error = ""

    def run(self) -> None:
        try:
            raw = socket.create_connection(("127.0.0.1", self._server.port), timeout=30)
            with self._server.ssl_context().wrap_socket(raw, server_hostname="localhost") as tls:
                self.port = tls.getsockname()[1]
                tls.sendall(VALIDATE_HEAD + b"Content-Length: %d\r\n\r\n" % len(self._body))
                for at in range(0, len(self._body), self.PIECE):
                    tls.sendall(self._body[at : at + self.PIECE])
                    if not self.started.is_set():
                        self.started.set()
                        self._go.wait(30)
                    time.sleep(0.02)
                self.last_byte_at = time.monotonic()
                response = http.client.HTTPResponse(tls)
                response.begin()
                self.status = response.status
                self.answer = json.loads(response.read())
        except OSError as exc:
            self.error = repr(exc)
            self.started.set()


@pytest.mark.soak
def test_sigterm_drains_in_flight_reviews_before_exit(tmp_path: Path, ledger: Ledger) -> None:
    big = pod(leaky_container(), name="big")
    big["metadata"]["annotations"] = {"blob": "x" * (1024 * 1024)}
    # Four reviews still uploading when SIGTERM arrives, on whichever worker took each.
    reviews = [review(big) for _ in range(4)]
    go = threading.Event()
    with serve(tmp_path) as server:
        posts = [ThrottledPost(server, json.dumps(r).encode(), go) for r in reviews]
        for post in posts:
            post.start()
        for post in posts:
            assert post.started.wait(30) and not post.error, post.error
            assert connection_owner(server, post.port) is not None  # a worker holds it
        terminated_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        go.set()
        for post in posts:
            post.join(60)
        code = server.process.wait(timeout=GRACEFUL_TIMEOUT + 10)
        exited_after = time.monotonic() - terminated_at
        log = server.log()

    ledger.add("faults", 1)
    ledger.add("requests", sum(post.status == 200 for post in posts))
    assert [post.error for post in posts] == [""] * len(posts)
    assert [post.status for post in posts] == [200] * len(posts)
    for post, sent in zip(posts, reviews, strict=True):
        response = post.answer["response"]
        assert isinstance(response, dict)
        assert response["uid"] == sent["request"]["uid"] and response["allowed"] is False
        assert sent["request"]["uid"] in log  # the decision log was flushed on the way out
    assert code == 0
    assert exited_after < GRACEFUL_TIMEOUT  # drained, not killed at the timeout
