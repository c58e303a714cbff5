"""Client threads that keep the review mix flowing to the server and account for every request.

Each thread owns one keep-alive connection. A request that dies with its
connection is *lost* (its port is kept, so a test can tell whose connection
it was) and is sent again on a new connection; a wrong answer, or a retry
that fails too, is a *failure*. Loops stop at a request count, on ``stop()``
or at a time budget, whichever comes first.
"""

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from policies.config import Mode
from tests.reliability.procfs import owners
from tests.reliability.traffic import CONNECTION_ERRORS, Case, Client, check_any, review_mix
from tests.server import Server

MAX_KEPT_FAILURES = 20  # the first few explain a failure; all of them are counted


@dataclass
class Tally:
    answered: int = 0
    by_case: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    failure_count: int = 0
    lost: list[tuple[int | None, str]] = field(default_factory=list)  # (local port, error)
    retried: int = 0  # lost requests answered right on a new connection
    connections: int = 0  # connections opened, first ones included


class Load:
    def __init__(
        self,
        server: Server,
        clients: int | Sequence[Client] = 4,
        count: int | None = None,
        modes: tuple[Mode, ...] = ("enforce",),
        seconds: float = 120.0,
        on_answer: Callable[[int], None] | None = None,
        cases: Sequence[Case] | None = None,
    ) -> None:
        self.clients = (
            [Client(server) for _ in range(clients)] if isinstance(clients, int) else list(clients)
        )
        self.cases = tuple(cases or review_mix())
        self.tally = Tally()
        self._count = count
        self._modes = modes
        self._seconds = seconds
        self._deadline = 0.0  # set by start()
        self._on_answer = on_answer
        self._indices = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(c,), daemon=True) for c in self.clients
        ]

    def start(self) -> "Load":
        self._deadline = time.monotonic() + self._seconds
        for thread in self._threads:
            thread.start()
        return self

    def expect(self, *modes: Mode) -> None:
        """Judge requests sent from now on by ``modes``."""
        self._modes = modes

    def ports(self) -> list[int]:
        return [port for client in self.clients if (port := client.port) is not None]

    def wait_answered(self, answered: int, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while self.tally.answered < answered and time.monotonic() < deadline:
            if not any(thread.is_alive() for thread in self._threads):
                break
            time.sleep(0.02)
        assert self.tally.answered >= answered, f"only {self.tally.answered} answers: {self.tally}"

    def finish(self, seconds: float | None = None) -> Tally:
        """Wait for the count (or the time budget), then stop."""
        for thread in self._threads:
            thread.join(seconds if seconds is not None else self._seconds)
        return self.stop()

    def stop(self) -> Tally:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
        for client in self.clients:
            client.close()
        self.tally.connections = sum(client.connections for client in self.clients)
        return self.tally

    def _next(self) -> int | None:
        if self._stop.is_set() or time.monotonic() > self._deadline:
            return None
        index = next(self._indices)
        return index if self._count is None or index < self._count else None

    def _run(self, client: Client) -> None:
        while (index := self._next()) is not None:
            case = self.cases[index % len(self.cases)]
            modes = self._modes
            port = client.port
            try:
                status, raw = client.send(case)
            except CONNECTION_ERRORS as exc:
                self._lost(client, case, modes, port, exc)
                continue
            self._judge(case, check_any(case, status, raw, modes))

    def _lost(
        self,
        client: Client,
        case: Case,
        modes: tuple[Mode, ...],
        port: int | None,
        exc: BaseException,
    ) -> None:
        with self._lock:
            self.tally.lost.append((port, repr(exc)))
        try:
            client.reconnect()
            status, raw = client.send(case)
        except CONNECTION_ERRORS as again:
            self._judge(case, f"{case.name}: the retry on a new connection failed: {again!r}")
            return
        reason = check_any(case, status, raw, modes)
        with self._lock:
            self.tally.retried += reason is None
        self._judge(case, reason)

    def _judge(self, case: Case, reason: str | None) -> None:
        with self._lock:
            if reason is None:
                self.tally.answered += 1
                self.tally.by_case[case.name] += 1
                answered = self.tally.answered
            else:
                self.tally.failure_count += 1
                if len(self.tally.failures) < MAX_KEPT_FAILURES:
                    self.tally.failures.append(reason)
                return
        if self._on_answer is not None:
            self._on_answer(answered)


def spread_clients(server: Server, count: int = 6, limit: int = 40) -> list[Client]:
    """``count`` or more connections, each answered once, with every worker holding one."""
    clients: list[Client] = []
    probe = review_mix()[0]
    while len(clients) < limit:
        client = Client(server)
        client.send(probe)
        clients.append(client)
        held = set(owners(server, [c.port for c in clients if c.port is not None]).values())
        if len(clients) >= count and held >= set(server.worker_pids()):
            return clients
    raise AssertionError(f"{limit} connections and a worker still holds none")
