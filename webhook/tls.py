"""TLS for gunicorn: TLS 1.2 or newer, and certificates that rotate without a restart.

gunicorn asks for an SSL context for every new connection. Handing back a
cached context keeps that cheap; checking the files' identity on each ask
means a certificate that cert-manager (or the chart) replaces on disk is used
by the very next connection. A half-written pair (new cert, old key) fails to
load and the previous context stays in service until the pair is whole.

With a client CA, the handshake *requires* a caller certificate that CA
signed: the TLS port serves only the API server (probes and metrics have a
plain HTTP port of their own). The app checks ``peer_verified`` as well, so a
listener set up without the CA can never answer /validate to a stranger.

With tls.mode=managed the pod issues its own pair (webhook/managed_tls), so the
files may not exist yet when a worker starts: until they do, every handshake is
refused (an ``ssl.SSLError``, which the worker answers by closing the connection)
and /readyz says why.
"""

import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TlsFiles:
    cert: str
    key: str
    client_ca: str | None = None  # when set, /validate needs a caller certificate it signed
    issued_in_pod: bool = False  # tls.mode=managed: the pair appears (and changes) at run time


class RotatingContext:
    def __init__(self, files: TlsFiles) -> None:
        self.files = files
        self._lock = threading.Lock()
        self._stamp: tuple[object, ...] = ()
        self._context: ssl.SSLContext | None = None
        if not files.issued_in_pod:
            self._context = self._load()  # fail at start-up, not on the first connection
            self._stamp = self._identity()

    def get(self) -> ssl.SSLContext:
        stamp = self._identity()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    try:
                        self._context = self._load()
                        self._stamp = stamp
                    except (OSError, ssl.SSLError, ValueError):
                        pass  # mid-rotation: keep serving with the last good pair
        if self._context is None:
            raise ssl.SSLError("no certificate issued yet")
        return self._context

    def _identity(self) -> tuple[object, ...]:
        stamp: list[object] = []
        for path in (self.files.cert, self.files.key, self.files.client_ca):
            if path is None:
                continue
            try:
                st = os.stat(path)
            except OSError:
                return self._stamp  # a file briefly missing during a swap: no change yet
            stamp.append((path, st.st_ino, st.st_mtime_ns, st.st_size))
        return tuple(stamp)

    def _load(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.files.cert, self.files.key)
        if self.files.client_ca:
            context.load_verify_locations(cafile=self.files.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
        return context


def peer_verified(environ: Mapping[str, object]) -> bool:
    """Whether the TLS peer of this WSGI request presented a certificate that verified.

    Every certificate a handshake accepted has verified, and ``getpeercert()`` is
    empty when none was presented. A request that did not come over a TLS socket
    has no verified peer.
    """
    getpeercert = getattr(environ.get("gunicorn.socket"), "getpeercert", None)
    if getpeercert is None:
        return False
    try:
        return bool(getpeercert())
    except (OSError, ValueError):  # the socket is already closed
        return False
