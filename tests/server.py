"""Start the real thing for tests: gunicorn with Gatehouse's own config, over TLS on loopback."""

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

REPO = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
# The image's CMD is exactly this (tests/chart/test_dockerfile.py holds them together).
# A raw /validate request head as a client writes it, up to (not including) its framing
# field and the blank line: tests that speak HTTP byte by byte add what they test.
VALIDATE_HEAD = b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
GUNICORN_ARGS = ("-c", "python:webhook.gunicorn_conf", "webhook.app:create_app()")


@dataclass
class Server:
    url: str  # the admission port, HTTPS: /validate
    port: int
    process: subprocess.Popen[bytes]
    ca_file: Path
    log_file: Path
    probe_port: int  # plain HTTP: /healthz, /readyz, /metrics
    host: str = "127.0.0.1"

    @property
    def probe_url(self) -> str:
        return f"http://{self.host}:{self.probe_port}"

    def probe(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        """GET ``path`` on the probe port: the status and the body."""
        conn = http.client.HTTPConnection(self.host, self.probe_port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def ssl_context(self, server_hostname_check: bool = True) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.check_hostname = server_hostname_check
        return context

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_certs(directory: Path, *names: str) -> tuple[Path, Path, Path]:
    """A fresh CA and a server certificate for ``names``: (ca, cert, key) files."""
    ca = trustme.CA()
    cert = ca.issue_cert(*(names or ("localhost", "127.0.0.1")))
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = (
        directory / "ca.pem",
        directory / "tls.crt",
        directory / "tls.key",
    )
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    return ca_file, cert_file, key_file


@contextmanager
def serve(
    workdir: Path,
    env: Mapping[str, str] | None = None,
    certs: tuple[Path, Path, Path] | None = None,
    workers: int = 2,
    server_name: str = "localhost",
    preexec_fn: Callable[[], None] | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    probe_port: int | None = None,
    command_prefix: Sequence[str] = (),
    ca_when_ready: Callable[[], bytes] | None = None,
) -> Iterator[Server]:
    """gunicorn -c python:webhook.gunicorn_conf 'webhook.app:create_app()', as the image runs it.

    ``command_prefix`` runs it elsewhere (in a network namespace, listening on ``host``).
    ``ca_when_ready``: with managed TLS the server makes its own CA, so the CA to verify
    it with is asked for once /readyz says ready, and written to the CA file.
    """
    ca_file, cert_file, key_file = certs or write_certs(workdir / "certs")
    port = port or free_port()
    probe_port = probe_port or free_port()
    while probe_port == port:
        probe_port = free_port()
    log_file = workdir / f"gunicorn-{port}.log"
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")},
        "GATEHOUSE_BIND": f"{host}:{port}",
        "GATEHOUSE_PROBE_BIND": f"{host}:{probe_port}",
        "GATEHOUSE_TLS_CERT": str(cert_file),
        "GATEHOUSE_TLS_KEY": str(key_file),
        "GATEHOUSE_WORKERS": str(workers),
        **(env or {}),
    }
    full_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [*command_prefix, str(GUNICORN), *GUNICORN_ARGS],
            cwd=REPO,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec_fn,  # a test's resource limit, nothing threaded
        )
    server = Server(f"https://{host}:{port}", port, process, ca_file, log_file, probe_port, host)
    try:
        _wait_ready(server, server_name, ca_when_ready)
        _wait_for_workers(server, workers)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_workers(server: Server, count: int, seconds: float = 20.0) -> None:
    """Readiness means one worker answers; tests that count workers need them all forked."""
    deadline = time.monotonic() + seconds
    while len(server.worker_pids()) != count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn has {server.worker_pids()} workers, not {count}")
        time.sleep(0.05)


def _wait_ready(
    server: Server,
    server_name: str,
    ca_when_ready: Callable[[], bytes] | None = None,
    seconds: float = 20.0,
) -> None:
    """Ready on the probe port, and the admission port completes a TLS handshake."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
        try:
            if server.probe("/readyz", timeout=1)[0] == 200:
                if ca_when_ready is not None:
                    server.ca_file.write_bytes(ca_when_ready())
                context = server.ssl_context()
                with (
                    socket.create_connection((server.host, server.port), timeout=1) as raw,
                    context.wrap_socket(raw, server_hostname=server_name),
                ):
                    return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not become ready:\n{server.log()}")


def tls_connection(server: Server, timeout: float = 30) -> ssl.SSLSocket:
    """A raw TLS connection to the admission port, for tests that speak HTTP byte by byte."""
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return server.ssl_context().wrap_socket(raw, server_hostname="localhost")


def exchange(tls: ssl.SSLSocket, request: bytes) -> bytes:
    """Send one request on ``tls`` and read its whole answer (framed by Content-Length):
    the status line. Raises OSError when the server has closed the connection."""
    tls.sendall(request)
    with tls.makefile("rb") as answers:
        status = answers.readline()
        length = 0
        while (line := answers.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        answers.read(length)
    return status
