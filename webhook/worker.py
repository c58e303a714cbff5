"""gunicorn's gthread worker, made safe against slow clients.

A thread is the scarce thing: 2 workers x 4 threads serve the whole cluster.
Stock gthread gives each new connection a thread and lets it wait 5 s for the
first byte, then blocks without limit while the TLS handshake and the request
trickle in; a handful of slowloris connections would starve every pod
creation. Here a new connection gets a thread only once it has sent
something (else it waits in the poller, which costs no thread), and no
connection may hold a thread past ``REQUEST_DEADLINE`` seconds: the API
server has long given up on it by then, so its socket is shut down.
"""

import os
import socket
import time
from typing import Any

from gunicorn.workers import gthread

from webhook.audit_log import emit

FIRST_BYTE_WAIT = 0.25
# The API server waits at most 30 s for a webhook (the chart asks for 5 s).
REQUEST_DEADLINE = float(os.environ.get("GATEHOUSE_REQUEST_DEADLINE", "10"))


class GatehouseWorker(gthread.ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Single dict operations are atomic under the GIL; the reaper works on a copy.
        self._busy: dict[Any, float] = {}
        self._next_reap = 0.0

    def handle(self, conn: Any) -> Any:
        if not conn.initialized and not conn.data_ready and not conn.wait_for_data(FIRST_BYTE_WAIT):
            return gthread._DEFER  # type: ignore[attr-defined]  # back to the poller until it speaks
        self._busy[conn] = time.monotonic() + REQUEST_DEADLINE
        try:
            return super().handle(conn)
        finally:
            self._busy.pop(conn, None)

    def wait_for_and_dispatch_events(self, timeout: float | None) -> None:
        super().wait_for_and_dispatch_events(timeout)
        self._shut_overdue()

    def _shut_overdue(self) -> None:
        now = time.monotonic()
        if now < self._next_reap:
            return  # the poll loop spins per event under load; a look each second will do
        self._next_reap = now + 1.0
        overdue = [conn for conn, deadline in self._busy.copy().items() if deadline < now]
        for conn in overdue:
            self._busy.pop(conn, None)
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                continue
            emit(
                "warning",
                "slow client cut off",
                remote=str(conn.client[0]),
                seconds=REQUEST_DEADLINE,
            )
