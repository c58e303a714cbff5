"""What the shared Secret should hold: a pure function of what it holds now, the time and the
Service's names. Every replica runs it; the first write wins and the others re-plan from it.

The Secret (``kubernetes.io/tls``) holds:

- ``ca.crt``: the CA bundle the webhook's caBundle must hold, newest CA first. The
  first is the signer; the others are CAs it replaced (or found in the caBundle when
  the Secret was first made, e.g. tls.mode=chart's), kept for ``overlap`` so that
  pods still serving a certificate they signed stay trusted.
- ``ca.key``: the signer's key. ``tls.crt`` / ``tls.key``: the serving pair.
- annotation ``gatehouse.io/ca-published-at``: when the signer entered the bundle.

Rules, each decided here only:

- no Secret, or one that cannot be read: a new CA and serving certificate; the
  bundle also keeps every unexpired CA the caBundle already holds.
- the signer past two thirds of its lifetime: a new CA becomes the signer and the
  old one stays in the bundle (the overlap); the serving certificate is re-issued.
- ``overlap`` after the signer was published, the other CAs leave the bundle;
  expired CAs leave it at once.
- the serving certificate is re-issued when it is missing, not the signer's, not
  for exactly the Service's names, or past two thirds of its lifetime.

When a pod starts serving a new certificate is the controller's business: a pod
that serves a trusted certificate switches to one from a new CA only ``grace``
after that CA reached the caBundle (controller.py).
"""

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509

from webhook.managed_tls import certs
from webhook.managed_tls.certs import CertificateError, Pair

PUBLISHED_AT = "gatehouse.io/ca-published-at"
KEYS = ("ca.crt", "ca.key", "tls.crt", "tls.key")


@dataclass(frozen=True)
class Lifetimes:
    ca: timedelta
    serving: timedelta
    # How long CAs replaced by a new one stay in the bundle.
    overlap: timedelta


@dataclass(frozen=True)
class TlsState:
    bundle: tuple[x509.Certificate, ...]  # newest first; the first is the signer
    ca_key_pem: bytes = field(repr=False)
    serving: Pair
    published_at: datetime  # when the signer entered the bundle

    @property
    def signer(self) -> Pair:
        return Pair(certs.bundle_pem(self.bundle[:1]), self.ca_key_pem)

    @property
    def bundle_pem(self) -> bytes:
        return certs.bundle_pem(self.bundle)


@dataclass(frozen=True)
class Plan:
    state: TlsState
    changes: tuple[str, ...]  # why the Secret must be written; empty: it is right as it is


def plan(
    current: TlsState | None,
    ca_bundle: Sequence[x509.Certificate],
    dns_names: Sequence[str],
    now: datetime,
    lifetimes: Lifetimes,
) -> Plan:
    """The Secret's next content. ``ca_bundle``: the CAs the webhook's caBundle holds now."""
    if current is None:
        ca = _new_ca(now, lifetimes)
        kept = [c for c in ca_bundle if certs.is_ca(c) and certs.valid_at(c, now)]
        state = TlsState(
            (ca.cert, *_unique(kept)),
            ca.key_pem,
            certs.new_serving(ca, dns_names, now, lifetimes.serving),
            now,
        )
        return Plan(state, ("a new CA and serving certificate",))
    changes: list[str] = []
    signer, *others = current.bundle
    key, published = current.ca_key_pem, current.published_at
    valid = [c for c in others if certs.valid_at(c, now)]
    if len(valid) < len(others):
        changes.append("expired CA left the bundle")
    if certs.renewal_due(signer, now) or not certs.valid_at(signer, now):
        ca = _new_ca(now, lifetimes)
        valid = [signer, *valid] if certs.valid_at(signer, now) else valid
        signer, key, published = ca.cert, ca.key_pem, now
        changes.append("CA renewed, the old one kept in the bundle for the overlap")
    if valid and now >= published + lifetimes.overlap:
        valid = []
        changes.append("replaced CAs left the bundle after the overlap")
    serving = current.serving
    problem = serving_problem(serving, signer, dns_names, now)
    if problem:
        serving = certs.new_serving(
            Pair(certs.bundle_pem([signer]), key), dns_names, now, lifetimes.serving
        )
        changes.append(f"serving certificate re-issued: {problem}")
    if not changes:
        return Plan(current, ())
    return Plan(TlsState((signer, *valid), key, serving, published), tuple(changes))


def serving_problem(
    serving: Pair, signer: x509.Certificate, dns_names: Sequence[str], now: datetime
) -> str:
    """Why ``serving`` must be replaced, or "" when it is fine."""
    try:
        cert = serving.cert
    except ValueError:
        return "unreadable"
    if not certs.key_matches(cert, serving.key_pem):
        return "its key does not match"
    if not certs.signed_by(cert, signer):
        return "not signed by the current CA"
    if sorted(certs.dns_names(cert)) != sorted(dns_names):
        return "the Service's DNS names changed"
    if not certs.valid_at(cert, now):
        return "not valid now"
    if certs.renewal_due(cert, now):
        return "two thirds of its lifetime passed"
    return ""


def _new_ca(now: datetime, lifetimes: Lifetimes) -> Pair:
    # A name per CA, so that an operator can tell the CAs of a bundle apart.
    return certs.new_ca(f"gatehouse CA {now:%Y-%m-%dT%H:%M:%SZ}", now, lifetimes.ca)


def _unique(found: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[str] = set()
    unique = []
    for cert in found:
        if certs.fingerprint(cert) not in seen:
            seen.add(certs.fingerprint(cert))
            unique.append(cert)
    return unique


# --- the Secret's data and annotations ------------------------------------------------


def encode(state: TlsState) -> tuple[dict[str, str], dict[str, str]]:
    """Secret ``data`` (base64) and annotations for ``state``."""
    raw = {
        "ca.crt": state.bundle_pem,
        "ca.key": state.ca_key_pem,
        "tls.crt": state.serving.cert_pem,
        "tls.key": state.serving.key_pem,
    }
    data = {k: base64.b64encode(v).decode() for k, v in raw.items()}
    return data, {PUBLISHED_AT: state.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def decode(data: Mapping[str, str], annotations: Mapping[str, str]) -> TlsState | None:
    """The state a Secret holds, or None when it is incomplete or inconsistent."""
    try:
        raw = {k: base64.b64decode(data[k], validate=True) for k in KEYS}
        bundle = tuple(certs.load_certs(raw["ca.crt"]))
        published = datetime.strptime(annotations[PUBLISHED_AT], "%Y-%m-%dT%H:%M:%S%z")
    except (KeyError, ValueError, CertificateError):
        return None
    if not certs.is_ca(bundle[0]) or not certs.key_matches(bundle[0], raw["ca.key"]):
        return None
    return TlsState(bundle, raw["ca.key"], Pair(raw["tls.crt"], raw["tls.key"]), published)
