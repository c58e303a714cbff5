"""The server's options: every ``GATEHOUSE_*`` variable, read in one place, checked once.

``ServerOptions.from_environ`` is the one door settings come in by: gunicorn's
config module, the worker and the app each ask it (they run in different
processes) and are handed the same frozen object for the same environment. A
bad value stops the server at start-up naming the variable, never a default
silently used instead.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from policies.config import MODES, Mode
from webhook.tls import TlsFiles


class OptionsError(ValueError):
    """An environment variable has a value the server cannot use; the message names it."""


MAX_DAYS = 36500  # a century: past any certificate anyone means to issue
# A DNS name of a Service: lowercase labels of letters, digits and hyphens.
_DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*")


@dataclass(frozen=True)
class ManagedTlsOptions:
    """tls.mode=managed: where the shared certificate lives and how it is rotated.

    The chart sets the names; the timings below are the server's own defaults
    (docs/decisions/0004-managed-tls.md says why these).
    """

    namespace: str
    secret_name: str
    webhook: str  # the ValidatingWebhookConfiguration whose caBundle is kept
    dns_names: tuple[str, ...]  # the Service's, as the chart lists them
    ca_days: int = 1095
    cert_days: int = 90
    # Seconds between two checks of the Secret and the caBundle.
    check_interval: float = 60.0
    # Seconds a pod waits after a new CA reached the caBundle before serving from it.
    grace: float = 300.0
    # Seconds a replaced CA stays in the caBundle after the new one came in.
    overlap: float = 86400.0
    kubeconfig: str | None = None  # None: the pod's service account (in-cluster)


@dataclass(frozen=True)
class ServerOptions:
    # Where the API server calls: HTTPS, /validate only.
    bind: str = "0.0.0.0:8443"
    # Probes and metrics: plain HTTP on a port of its own, as Kyverno and Gatekeeper do.
    probe_bind: str = "0.0.0.0:8080"
    tls_cert_file: str = "/etc/gatehouse/tls/tls.crt"
    tls_key_file: str = "/etc/gatehouse/tls/tls.key"
    client_ca: str | None = None  # set: the TLS handshake requires a certificate it signed
    workers: int | None = None  # None: one per usable core
    config_path: str | None = None  # None: the shipped default config
    mode: Mode | None = None  # overrides the config file's global mode
    log_level: str = "info"
    log_allowed: bool = False  # a decision line for every allowed review, not only the rest
    # Seconds to judge one review, well inside the API server's timeout (the chart's 5 s).
    review_budget: float = 1.0
    # Seconds a request may take to arrive, and its answer to be read back.
    request_deadline: float = 10.0
    # Seconds a new connection has to make its TLS handshake and start a request.
    first_byte_deadline: float = 3.0
    # Seconds an idle kept-alive connection is kept: past the API server's 90 s idle pool.
    keepalive: float = 120.0
    max_connections: int = 1000  # per worker
    max_connections_per_peer: int = 0  # per worker and client address; 0: no cap
    # Set: the pods issue their own certificate into tls_cert_file/tls_key_file.
    managed_tls: ManagedTlsOptions | None = None

    @property
    def tls_files(self) -> TlsFiles:
        return TlsFiles(
            self.tls_cert_file,
            self.tls_key_file,
            self.client_ca,
            issued_in_pod=self.managed_tls is not None,
        )

    @property
    def probe_port(self) -> int:
        return _port(self.probe_bind)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "ServerOptions":
        env = os.environ if environ is None else environ
        read = _Reader(env)
        defaults = cls()
        options = cls(
            bind=read.text("GATEHOUSE_BIND", defaults.bind),
            probe_bind=read.text("GATEHOUSE_PROBE_BIND", defaults.probe_bind),
            tls_cert_file=read.text("GATEHOUSE_TLS_CERT", defaults.tls_cert_file),
            tls_key_file=read.text("GATEHOUSE_TLS_KEY", defaults.tls_key_file),
            client_ca=read.text("GATEHOUSE_CLIENT_CA", "") or None,
            workers=read.count("GATEHOUSE_WORKERS", 0, minimum=1) or None,
            config_path=read.text("GATEHOUSE_CONFIG", "") or None,
            mode=read.mode("GATEHOUSE_MODE"),
            log_level=read.choice(
                "GATEHOUSE_LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")
            ),
            log_allowed=read.boolean("GATEHOUSE_LOG_ALLOWED", defaults.log_allowed),
            review_budget=read.seconds("GATEHOUSE_REVIEW_BUDGET", defaults.review_budget),
            request_deadline=read.seconds("GATEHOUSE_REQUEST_DEADLINE", defaults.request_deadline),
            first_byte_deadline=read.seconds(
                "GATEHOUSE_FIRST_BYTE_DEADLINE", defaults.first_byte_deadline
            ),
            keepalive=read.seconds("GATEHOUSE_KEEPALIVE", defaults.keepalive),
            max_connections=read.count(
                "GATEHOUSE_MAX_CONNECTIONS", defaults.max_connections, minimum=8
            ),
            max_connections_per_peer=read.count(
                "GATEHOUSE_MAX_CONNECTIONS_PER_PEER", defaults.max_connections_per_peer, minimum=0
            ),
            managed_tls=_managed_tls(read),
        )
        if _port(options.bind) == options.probe_port:
            raise OptionsError(
                "GATEHOUSE_PROBE_BIND: must be another port than GATEHOUSE_BIND "
                f"({options.probe_bind} and {options.bind})"
            )
        return options


def _managed_tls(read: "_Reader") -> ManagedTlsOptions | None:
    mode = read.choice("GATEHOUSE_TLS_MODE", "files", ("files", "managed"))
    if mode == "files":
        return None
    names = tuple(n.strip() for n in read.text("GATEHOUSE_MANAGED_TLS_DNS_NAMES", "").split(","))
    if not all(_DNS_NAME.fullmatch(n) and len(n) <= 253 for n in names):
        raise OptionsError(
            f"GATEHOUSE_MANAGED_TLS_DNS_NAMES: expected DNS names separated by commas, "
            f"got {','.join(names)!r}"
        )
    defaults = ManagedTlsOptions("", "", "", ())
    options = ManagedTlsOptions(
        namespace=read.required("GATEHOUSE_MANAGED_TLS_NAMESPACE"),
        secret_name=read.required("GATEHOUSE_MANAGED_TLS_SECRET"),
        webhook=read.required("GATEHOUSE_MANAGED_TLS_WEBHOOK"),
        dns_names=names,
        ca_days=read.count(
            "GATEHOUSE_MANAGED_TLS_CA_DAYS", defaults.ca_days, minimum=1, maximum=MAX_DAYS
        ),
        cert_days=read.count(
            "GATEHOUSE_MANAGED_TLS_CERT_DAYS", defaults.cert_days, minimum=1, maximum=MAX_DAYS
        ),
        check_interval=read.seconds(
            "GATEHOUSE_MANAGED_TLS_CHECK_INTERVAL", defaults.check_interval
        ),
        grace=read.seconds("GATEHOUSE_MANAGED_TLS_GRACE", defaults.grace),
        overlap=read.seconds("GATEHOUSE_MANAGED_TLS_OVERLAP", defaults.overlap, maximum=30 * 86400),
        kubeconfig=read.text("GATEHOUSE_KUBECONFIG", "") or None,
    )
    if options.cert_days > options.ca_days:
        raise OptionsError(
            "GATEHOUSE_MANAGED_TLS_CERT_DAYS: must not exceed GATEHOUSE_MANAGED_TLS_CA_DAYS "
            f"({options.cert_days} > {options.ca_days})"
        )
    # A pod sees a new CA up to one check after it was published and moves to it a grace
    # later; until then the old CA must stay in the caBundle.
    if options.overlap <= options.grace + options.check_interval:
        raise OptionsError(
            "GATEHOUSE_MANAGED_TLS_OVERLAP: must be longer than GATEHOUSE_MANAGED_TLS_GRACE "
            f"plus GATEHOUSE_MANAGED_TLS_CHECK_INTERVAL ({options.grace + options.check_interval:.0f} s), "
            "or the old CA leaves the caBundle before every pod moved off it"
        )
    return options


def _port(address: str) -> int:
    """The port of ``host:port`` (``[::]:8443`` too)."""
    _, _, port = address.rpartition(":")
    return int(port)


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str, default: str) -> str:
        value = self.environ.get(name, "").strip()
        if name.endswith("BIND") and value:
            host, colon, port = value.rpartition(":")
            if not (colon and host and port.isdigit() and 0 < int(port) < 65536):
                raise OptionsError(f"{name}: expected HOST:PORT, got {value!r}")
        return value or default

    def count(self, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        # isascii: "²".isdigit() is true, and int() refuses it.
        in_range = raw.isascii() and raw.isdigit() and int(raw) >= minimum
        if not in_range or (maximum is not None and int(raw) > maximum):
            most = "" if maximum is None else f" and at most {maximum}"
            raise OptionsError(
                f"{name}: expected a whole number of at least {minimum}{most}, got {raw!r}"
            )
        return int(raw)

    def seconds(self, name: str, default: float, maximum: float = 3600) -> float:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 < value <= maximum:
            raise OptionsError(f"{name}: expected seconds between 0 and {maximum:.0f}, got {raw!r}")
        return value

    def required(self, name: str) -> str:
        value = self.environ.get(name, "").strip()
        if not value:
            raise OptionsError(f"{name}: must be set with GATEHOUSE_TLS_MODE=managed")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name, "").strip().lower()
        if not raw:
            return default
        if raw not in ("true", "false", "1", "0", "yes", "no"):
            raise OptionsError(f"{name}: expected true or false, got {raw!r}")
        return raw in ("true", "1", "yes")

    def mode(self, name: str) -> Mode | None:
        raw = self.environ.get(name, "")
        for mode in MODES:
            if raw == mode:
                return mode
        if raw:
            raise OptionsError(f"{name}: {raw!r} is not one of {', '.join(MODES)}")
        return None

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self.environ.get(name, "") or default
        if raw not in allowed:
            raise OptionsError(f"{name}: {raw!r} is not one of {', '.join(allowed)}")
        return raw
