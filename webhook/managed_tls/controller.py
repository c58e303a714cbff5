"""The certificate controller of tls.mode=managed: one per pod, a thread in the gunicorn master.

Each round it brings the shared Secret and the webhook's caBundle to what
``plan`` says (cluster.py does the conditional writes), then installs the
Secret's serving pair where the workers' ``RotatingContext`` reads it, and
records for /readyz whether the API server trusts what is served (status.py).

When the pod starts serving a new pair is decided here:

- only once its CA is in the webhook's caBundle, as read back from the API server;
- at once when the pod has nothing usable (a new pod is not ready anyway, so the
  API server is not calling it), or when the new pair comes from the same CA (a
  serving renewal: trusted exactly as much as the old one);
- otherwise (a new CA) only ``grace`` after this pod first saw that CA in the
  caBundle: each API server learns of a changed webhook configuration from its
  own watch, a moment later, and must not be handed a certificate it cannot
  verify yet. The old CA stays in the bundle far longer (plan.py's overlap).

Log lines name certificates by fingerprint and expiry; key material never leaves
the Secret and the pod-local key file.
"""

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from webhook import audit_log
from webhook.managed_tls import certs
from webhook.managed_tls.certs import Pair
from webhook.managed_tls.cluster import ClusterApi, Conflict, StoredWebhook
from webhook.managed_tls.plan import Lifetimes, TlsState, decode, encode, plan
from webhook.managed_tls.status import Status, write_atomically, write_status
from webhook.options import ManagedTlsOptions
from webhook.tls import TlsFiles

# Rounds of read-plan-write one sync may take when other replicas keep writing first.
ATTEMPTS = 5
# After a failed round, or one that left the pod serving an untrusted certificate, the next
# comes this soon, doubling up to the check interval: soon enough to become ready quickly,
# never a steady stream of API calls from a pod that cannot get there.
FIRST_RETRY = 1.0


class Pace:
    """Seconds to wait before the next round."""

    def __init__(self, check_interval: float) -> None:
        self.check_interval = check_interval
        self._retry = FIRST_RETRY

    def next_wait(self, settled: bool) -> float:
        if settled:
            self._retry = FIRST_RETRY
            return self.check_interval
        wait = min(self._retry, self.check_interval)
        self._retry = min(self._retry * 2, self.check_interval)
        return wait


Clock = Callable[[], datetime]


class SyncError(Exception):
    """A round could not finish: the message says why (never what the Secret holds)."""


@dataclass(frozen=True)
class Synced:
    state: TlsState
    webhook: StoredWebhook
    changes: tuple[str, ...]


def lifetimes(options: ManagedTlsOptions) -> Lifetimes:
    return Lifetimes(
        ca=timedelta(days=options.ca_days),
        serving=timedelta(days=options.cert_days),
        overlap=timedelta(seconds=options.overlap),
    )


def sync(api: ClusterApi, options: ManagedTlsOptions, now: datetime) -> Synced:
    """The Secret as ``plan`` wants it and every caBundle holding its bundle.

    First writer wins: a create that finds the Secret made, or a write that finds it
    (or the webhook configuration) changed since it was read, starts over from a
    fresh read, so every replica ends up with the one Secret that was written.
    """
    for _ in range(ATTEMPTS):
        try:
            webhook = api.read_webhook()
            stored = api.read_secret()
            current = decode(stored.data, stored.annotations) if stored else None
            planned = plan(
                current, trusted_cas(webhook), options.dns_names, now, lifetimes(options)
            )
            if planned.changes:
                data, annotations = encode(planned.state)
                if stored is None:
                    api.create_secret(data, annotations, owner=webhook)
                else:
                    api.replace_secret(data, annotations, stored)
                _log_written(planned.state, planned.changes)
            wanted = planned.state.bundle_pem
            if any(bundle != wanted for bundle in webhook.bundles.values()):
                webhook = api.set_ca_bundle(wanted, webhook)
            return Synced(planned.state, webhook, planned.changes)
        except Conflict:
            continue
    raise SyncError(f"other writers kept changing the Secret or webhook for {ATTEMPTS} rounds")


def _log_written(state: TlsState, changes: tuple[str, ...]) -> None:
    audit_log.emit(
        "info",
        "managed tls: Secret written",
        changes=list(changes),
        ca=certs.fingerprint(state.bundle[0]),
        cas=len(state.bundle),
        serving=certs.fingerprint(state.serving.cert),
        serving_not_after=state.serving.cert.not_valid_after_utc.isoformat(),
    )


def trusted_cas(webhook: StoredWebhook) -> list[x509.Certificate]:
    """The CAs every entry of the webhook configuration trusts (unreadable PEM: none)."""
    found: list[list[x509.Certificate]] = []
    for pem in webhook.bundles.values():
        try:
            found.append(certs.load_certs(pem) if pem else [])
        except certs.CertificateError:
            found.append([])
    if not found:
        return []
    common = set.intersection(*({certs.fingerprint(c) for c in cas} for cas in found))
    return [c for c in found[0] if certs.fingerprint(c) in common]


def issuer_among(
    cert: x509.Certificate, cas: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    return next((ca for ca in cas if certs.signed_by(cert, ca)), None)


def choose(
    offered: Pair,
    local: Pair | None,
    trusted: Sequence[x509.Certificate],
    trusted_since: dict[str, datetime],
    dns_names: Sequence[str],
    now: datetime,
    grace: timedelta,
) -> Pair | None:
    """The pair to install now instead of ``local``, or None to keep serving ``local``."""
    new_ca = issuer_among(offered.cert, trusted)
    if new_ca is None or (local is not None and local.cert_pem == offered.cert_pem):
        return None
    if local is None:
        return offered
    served = local.cert
    old_ca = issuer_among(served, trusted)
    if (
        old_ca is None
        or not certs.valid_at(served, now)
        or sorted(certs.dns_names(served)) != sorted(dns_names)
        or certs.fingerprint(old_ca) == certs.fingerprint(new_ca)
    ):
        return offered
    if now >= trusted_since.get(certs.fingerprint(new_ca), now) + grace:
        return offered
    return None


class CertController:
    """The loop; ``sync_once`` is one round (the tests drive it directly)."""

    def __init__(
        self,
        options: ManagedTlsOptions,
        files: TlsFiles,
        api: ClusterApi,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.options = options
        self.files = files
        self.api = api
        self.clock = clock
        self.trusted_since: dict[str, datetime] = {}  # CA fingerprint -> first seen trusted
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._between_rounds = threading.Lock()  # held by a round; a fork waits for it (start)

    def sync_once(self) -> Status:
        now = self.clock()
        synced = sync(self.api, self.options, now)
        trusted = trusted_cas(synced.webhook)
        seen = {certs.fingerprint(ca) for ca in trusted}
        self.trusted_since = {fp: self.trusted_since.get(fp, now) for fp in seen}
        local = self._local_pair()
        install = choose(
            synced.state.serving,
            local,
            trusted,
            self.trusted_since,
            self.options.dns_names,
            now,
            timedelta(seconds=self.options.grace),
        )
        if install is not None:
            self._install(install)
            audit_log.emit(
                "info",
                "managed tls: serving a new certificate",
                serving=certs.fingerprint(install.cert),
                not_after=install.cert.not_valid_after_utc.isoformat(),
            )
            local = install
        status = self._status(local, trusted)
        write_status(self.files, status)
        return status

    def start(self) -> None:
        # gunicorn forks its workers from this process while the thread runs. A fork in
        # the middle of a round would copy whatever lock the round holds at that moment
        # (an import's, OpenSSL's, a connection pool's) into the worker, held by a thread
        # the worker does not have: the worker would hang on it. So a fork waits for the
        # round under way to end, and a round waits for the fork.
        os.register_at_fork(
            before=self._between_rounds.acquire,
            after_in_parent=self._between_rounds.release,
            after_in_child=self._between_rounds.release,
        )
        self._thread = threading.Thread(target=self._run, name="managed-tls", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=20)

    def _run(self) -> None:
        pace = Pace(self.options.check_interval)
        while not self._stop.is_set():
            try:
                with self._between_rounds:
                    settled = self.sync_once().trusted
            except Exception as error:
                audit_log.emit("warning", "managed tls: round failed", **_describe(error))
                settled = False
            self._stop.wait(pace.next_wait(settled))

    def _local_pair(self) -> Pair | None:
        try:
            pair = Pair(Path(self.files.cert).read_bytes(), Path(self.files.key).read_bytes())
            pair.cert  # noqa: B018 - unreadable: as if there were none
        except (OSError, ValueError):
            return None
        return pair if certs.key_matches(pair.cert, pair.key_pem) else None

    def _install(self, pair: Pair) -> None:
        # Key first, then certificate: in between the two do not match, the workers'
        # RotatingContext fails to load them and keeps the previous pair until both are in.
        write_atomically(Path(self.files.key), pair.key_pem, 0o600)
        write_atomically(Path(self.files.cert), pair.cert_pem, 0o644)

    def _status(self, local: Pair | None, trusted: Sequence[x509.Certificate]) -> Status:
        where = f"ValidatingWebhookConfiguration {self.options.webhook}"
        if local is None:
            return Status("", False, f"waiting for the caBundle of {where} to hold the CA")
        served = local.cert
        if issuer_among(served, trusted) is None:
            return Status(
                certs.fingerprint(served),
                False,
                f"the caBundle of {where} does not hold the CA of the served certificate",
            )
        return Status(certs.fingerprint(served), True, "")


def _describe(error: Exception) -> dict[str, object]:
    """What failed, never a response body or message that could quote the Secret."""
    status = getattr(error, "status", None)
    described: dict[str, object] = {"type": type(error).__name__}
    if status is not None:
        described["status"] = status
        described["reason"] = getattr(error, "reason", None)
    elif isinstance(error, SyncError):
        described["reason"] = str(error)
    return described
