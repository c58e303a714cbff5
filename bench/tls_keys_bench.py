"""Key type for tls.mode=managed: ECDSA P-256 next to RSA-2048.

What the choice costs: making a key (in the gunicorn master, at every rotation) and
the server's CPU for one TLS handshake (on every new connection the API server
opens), each the median of several runs on loopback with Python's ssl, as the
worker serves. Figures in docs/decisions/0004-managed-tls.md.

    make bench-tls-keys      # or: python -m bench.tls_keys_bench
"""

import socket
import ssl
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

KEYS = 20
HANDSHAKES = 300
RUNS = 5
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
KINDS: dict[str, Callable[[], PrivateKey]] = {
    "ECDSA P-256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "RSA-2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


def key_ms(make: Callable[[], PrivateKey]) -> float:
    times = []
    for _ in range(KEYS):
        started = time.perf_counter()
        make()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def write_pair(key: PrivateKey, directory: Path) -> tuple[Path, Path]:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "tls.crt", directory / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def handshake_us(cert_file: Path, key_file: Path, version: ssl.TLSVersion) -> float:
    """Server CPU (thread time) per completed handshake."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    client.minimum_version = client.maximum_version = version
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    cpu = 0.0

    def serve() -> None:
        nonlocal cpu
        for _ in range(HANDSHAKES):
            conn, _ = listener.accept()
            started = time.thread_time()
            with server.wrap_socket(conn, server_side=True):
                cpu += time.thread_time() - started

    thread = threading.Thread(target=serve)
    thread.start()
    for _ in range(HANDSHAKES):
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            client.wrap_socket(raw, server_hostname="localhost"),
        ):
            pass
    thread.join()
    listener.close()
    return cpu / HANDSHAKES * 1e6


def main() -> None:
    print(f"{'key':<12} {'make a key':>11} {'TLS 1.3 handshake':>18} {'TLS 1.2 handshake':>18}")
    with tempfile.TemporaryDirectory() as scratch:
        for label, make in KINDS.items():
            cert_file, key_file = write_pair(make(), Path(scratch))
            tls13 = statistics.median(
                handshake_us(cert_file, key_file, ssl.TLSVersion.TLSv1_3) for _ in range(RUNS)
            )
            tls12 = statistics.median(
                handshake_us(cert_file, key_file, ssl.TLSVersion.TLSv1_2) for _ in range(RUNS)
            )
            print(
                f"{label:<12} {key_ms(make):>8.2f} ms {tls13:>15.0f} us {tls12:>15.0f} us"
                " (server CPU)"
            )


if __name__ == "__main__":
    main()
