"""A TCP relay from a test host's gateway address to the API server on loopback.

A pod reaches the API server at an address of the cluster; here the API server
listens on 127.0.0.1, which a process in a test host's network namespace cannot
reach (it has its own loopback). The relay listens on the gateway address, this
side of the host's veth pair, and copies bytes both ways: TLS passes through it
untouched, so the pod still verifies the API server's certificate.
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

    def listen(self, address: str) -> int:
        """The port on ``address`` that leads to the target (one listener per address)."""
        with self._lock:
            listener = self._listeners.get(address)
            if listener is None:
                listener = socket.create_server((address, 0))
                self._listeners[address] = listener
                threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
            return int(listener.getsockname()[1])

    def close(self) -> None:
        self._closed.set()
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
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._copy, args=(source, sink), daemon=True).start()

    def _copy(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                sink.sendall(data)
        except OSError:
            pass
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
