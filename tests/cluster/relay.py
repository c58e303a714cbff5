"""A TCP relay from a test host's gateway address to the API server on loopback.

A pod reaches the API server at an address of the cluster; here the API server
listens on 127.0.0.1, which a process in a test host's network namespace cannot
reach (it has its own loopback). The relay listens on the gateway address, this
side of the host's veth pair, and copies bytes both ways: TLS passes through it
untouched, so the pod still verifies the API server's certificate.

A test can hold what pods send (``hold``) until several are waiting, then let them
all go at once (``release``): their first calls then reach the API server together.
"""

import socket
import threading
from contextlib import suppress

CHUNK = 64 * 1024


class Relay:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listeners: dict[str, socket.socket] = {}
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._open = threading.Event()
        self._open.set()
        self._held = 0  # connections whose next bytes wait for release()

    def listen(self, address: str) -> int:
        """The port on ``address`` that leads to the target (one listener per address)."""
        with self._lock:
            listener = self._listeners.get(address)
            if listener is None:
                listener = socket.create_server((address, 0))
                self._listeners[address] = listener
                threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
            return int(listener.getsockname()[1])

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def waiting(self) -> int:
        """How many connections have bytes held back."""
        with self._lock:
            return self._held

    def close(self) -> None:
        self._closed.set()
        self._open.set()
        with self._lock:
            for sock in [*self._listeners.values(), *self._sockets]:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._listeners.clear()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while not self._closed.is_set():
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                if self._closed.is_set():
                    return
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink, holdable in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._copy, args=(source, sink, holdable), daemon=True
                ).start()

    def _copy(self, source: socket.socket, sink: socket.socket, holdable: bool) -> None:
        try:
            while data := source.recv(CHUNK):
                if holdable and not self._open.is_set():
                    with self._lock:
                        self._held += 1
                    self._open.wait()
                    with self._lock:
                        self._held -= 1
                sink.sendall(data)
        except OSError:
            pass
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
