"""Whether the certificate a pod serves is one the API server trusts: the controller (in the
gunicorn master) writes what it checked; /readyz (in a worker) reads it.

The file sits next to the serving pair it speaks of. /readyz compares the
fingerprint recorded there with the certificate on disk, which is what the next
TLS handshake serves (webhook/tls.py): a pair installed but not yet checked, or
checked against a caBundle that no longer holds its CA, is not ready.
"""

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography import x509

from webhook.managed_tls import certs
from webhook.tls import TlsFiles

STATUS_FILE = "managed-tls-status.json"


@dataclass(frozen=True)
class Status:
    serving: str  # fingerprint of the installed serving certificate; "" when none yet
    trusted: bool  # its CA is in the webhook's caBundle, as last read from the API server
    reason: str  # why not, for /readyz and the log


def status_path(files: TlsFiles) -> Path:
    return Path(files.cert).with_name(STATUS_FILE)


def write_status(files: TlsFiles, status: Status) -> None:
    write_atomically(status_path(files), json.dumps(asdict(status)).encode(), 0o644)


def write_atomically(path: Path, content: bytes, mode: int) -> None:
    """``content`` replaces ``path`` whole: a reader sees the old file or the new one.

    The temporary file is removed whatever fails (a full volume): it may hold a key.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:  # write() all of it: os.write may write less
            os.fchmod(file.fileno(), mode)
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def readiness(files: TlsFiles) -> tuple[bool, str]:
    """(ready, why) for /readyz."""
    try:
        recorded = json.loads(status_path(files).read_text())
        status = Status(
            str(recorded["serving"]), bool(recorded["trusted"]), str(recorded["reason"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False, "managed TLS: no certificate yet"
    if not status.trusted:
        return False, f"managed TLS: {status.reason}"
    try:
        served = certs.fingerprint(x509.load_pem_x509_certificate(Path(files.cert).read_bytes()))
    except (OSError, ValueError):
        return False, "managed TLS: the serving certificate cannot be read"
    if served != status.serving:
        return False, "managed TLS: serving a certificate not yet checked against the caBundle"
    return True, f"certificate {served[:16]} trusted by the caBundle"
