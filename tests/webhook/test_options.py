"""The server's options: every GATEHOUSE_* variable, read once, and the config they name."""

from pathlib import Path

import pytest

from policies.config import DEFAULT_CONFIG, ConfigError, PolicyConfig
from webhook import active_config
from webhook.options import ManagedTlsOptions, OptionsError, ServerOptions


def options(**env: str) -> ServerOptions:
    return ServerOptions.from_environ(env)


def by_id(policies: tuple[PolicyConfig, ...], policy_id: str) -> PolicyConfig:
    (found,) = [p for p in policies if p.policy.id == policy_id]
    return found


def test_defaults() -> None:
    defaults = options()
    assert defaults == ServerOptions()
    assert (defaults.bind, defaults.probe_bind) == ("0.0.0.0:8443", "0.0.0.0:8080")
    assert (defaults.review_budget, defaults.log_allowed, defaults.client_ca) == (1.0, False, None)
    assert defaults.probe_port == 8080


def test_every_variable_is_read() -> None:
    read = options(
        GATEHOUSE_BIND="127.0.0.1:9443",
        GATEHOUSE_PROBE_BIND="[::1]:9080",
        GATEHOUSE_TLS_CERT="/certs/tls.crt",
        GATEHOUSE_TLS_KEY="/certs/tls.key",
        GATEHOUSE_CLIENT_CA="/certs/ca.crt",
        GATEHOUSE_WORKERS="3",
        GATEHOUSE_CONFIG="/etc/gatehouse/config.yaml",
        GATEHOUSE_MODE="dry-run",
        GATEHOUSE_LOG_LEVEL="warning",
        GATEHOUSE_LOG_ALLOWED="true",
        GATEHOUSE_REVIEW_BUDGET="0.25",
        GATEHOUSE_REQUEST_DEADLINE="4",
        GATEHOUSE_FIRST_BYTE_DEADLINE="1.5",
        GATEHOUSE_KEEPALIVE="30",
        GATEHOUSE_MAX_CONNECTIONS="200",
        GATEHOUSE_MAX_CONNECTIONS_PER_PEER="50",
    )
    assert read == ServerOptions(
        bind="127.0.0.1:9443",
        probe_bind="[::1]:9080",
        tls_cert_file="/certs/tls.crt",
        tls_key_file="/certs/tls.key",
        client_ca="/certs/ca.crt",
        workers=3,
        config_path="/etc/gatehouse/config.yaml",
        mode="dry-run",
        log_level="warning",
        log_allowed=True,
        review_budget=0.25,
        request_deadline=4.0,
        first_byte_deadline=1.5,
        keepalive=30.0,
        max_connections=200,
        max_connections_per_peer=50,
    )
    assert read.probe_port == 9080
    assert read.tls_files.client_ca == "/certs/ca.crt"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GATEHOUSE_BIND", "8443", "GATEHOUSE_BIND: expected HOST:PORT, got '8443'"),
        ("GATEHOUSE_PROBE_BIND", "0.0.0.0:99999", "expected HOST:PORT"),
        ("GATEHOUSE_PROBE_BIND", "0.0.0.0:8443", "must be another port than GATEHOUSE_BIND"),
        ("GATEHOUSE_WORKERS", "two", "GATEHOUSE_WORKERS: expected a whole number of at least 1"),
        ("GATEHOUSE_WORKERS", "0", "at least 1"),
        ("GATEHOUSE_MODE", "audit", "GATEHOUSE_MODE: 'audit' is not one of enforce, dry-run"),
        ("GATEHOUSE_MODE", "DRY-RUN", "is not one of enforce, dry-run"),
        ("GATEHOUSE_MODE", " enforce", "is not one of enforce, dry-run"),
        ("GATEHOUSE_LOG_LEVEL", "loud", "GATEHOUSE_LOG_LEVEL: 'loud' is not one of"),
        ("GATEHOUSE_LOG_ALLOWED", "sometimes", "GATEHOUSE_LOG_ALLOWED: expected true or false"),
        ("GATEHOUSE_REVIEW_BUDGET", "0", "GATEHOUSE_REVIEW_BUDGET: expected seconds between 0"),
        ("GATEHOUSE_REVIEW_BUDGET", "-1", "expected seconds"),
        ("GATEHOUSE_REVIEW_BUDGET", "1s", "expected seconds"),
        ("GATEHOUSE_REVIEW_BUDGET", "nan", "expected seconds"),
        ("GATEHOUSE_REQUEST_DEADLINE", "inf", "expected seconds"),
        ("GATEHOUSE_MAX_CONNECTIONS", "4", "at least 8"),
        ("GATEHOUSE_MAX_CONNECTIONS_PER_PEER", "-1", "at least 0"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(OptionsError) as caught:
        options(**{name: value})
    assert message in str(caught.value)
    assert str(caught.value).startswith(name)


def test_empty_values_are_unset() -> None:
    assert options(GATEHOUSE_MODE="", GATEHOUSE_WORKERS="", GATEHOUSE_CLIENT_CA="") == options()


# --- the policy config the options name -----------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_variable_loads_the_shipped_default() -> None:
    config = active_config.load(options())
    assert (config.source, config.mode) == (str(DEFAULT_CONFIG), "enforce")


@pytest.mark.parametrize("mode", ["dry-run", "enforce"])
def test_gatehouse_mode_overrides_the_global_mode(tmp_path: Path, mode: str) -> None:
    other = "enforce" if mode == "dry-run" else "dry-run"
    path = write(tmp_path, f"mode: {other}\n")
    assert active_config.load(options(GATEHOUSE_CONFIG=str(path), GATEHOUSE_MODE=mode)).mode == mode


def test_gatehouse_mode_does_not_override_per_policy_modes(tmp_path: Path) -> None:
    path = write(tmp_path, "policies:\n  no-root-containers:\n    mode: enforce\n")
    config = active_config.load(options(GATEHOUSE_CONFIG=str(path), GATEHOUSE_MODE="dry-run"))
    assert config.mode_of(by_id(config.policies, "no-root-containers")) == "enforce"
    assert config.mode_of(by_id(config.policies, "require-resource-limits")) == "dry-run"


def test_gatehouse_config_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "mode: dry-run\nexemptNamespaces: [ci]\n")
    config = active_config.load(options(GATEHOUSE_CONFIG=str(path)))
    assert (config.source, config.mode, config.exempt_namespaces) == (
        str(path),
        "dry-run",
        frozenset({"ci"}),
    )


def test_config_errors_name_the_file_and_keep_the_last_good_config(tmp_path: Path) -> None:
    good = active_config.load(options())
    path = write(tmp_path, "policies:\n  no-root-containers:\n    enabled: yes please\n")
    with pytest.raises(ConfigError) as caught:
        active_config.load(options(GATEHOUSE_CONFIG=str(path)))
    assert str(caught.value).startswith(f"{path}: policies.no-root-containers.enabled: ")
    assert active_config.current(options()) is good
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read"):
        active_config.load(options(GATEHOUSE_CONFIG=str(tmp_path / "nope.yaml")))


MANAGED = {
    "GATEHOUSE_TLS_MODE": "managed",
    "GATEHOUSE_MANAGED_TLS_NAMESPACE": "gatehouse",
    "GATEHOUSE_MANAGED_TLS_SECRET": "gatehouse-managed-tls",
    "GATEHOUSE_MANAGED_TLS_WEBHOOK": "gatehouse",
    "GATEHOUSE_MANAGED_TLS_DNS_NAMES": "gatehouse,gatehouse.gatehouse,gatehouse.gatehouse.svc",
}


def test_managed_tls_is_off_unless_asked_and_its_variables_are_read() -> None:
    assert options().managed_tls is None
    assert not options().tls_files.issued_in_pod
    read = options(
        **MANAGED,
        GATEHOUSE_MANAGED_TLS_CA_DAYS="365",
        GATEHOUSE_MANAGED_TLS_CERT_DAYS="30",
        GATEHOUSE_MANAGED_TLS_CHECK_INTERVAL="10",
        GATEHOUSE_MANAGED_TLS_GRACE="20",
        GATEHOUSE_MANAGED_TLS_OVERLAP="7200",
        GATEHOUSE_KUBECONFIG="/etc/kubeconfig",
    )
    assert read.managed_tls == ManagedTlsOptions(
        namespace="gatehouse",
        secret_name="gatehouse-managed-tls",
        webhook="gatehouse",
        dns_names=("gatehouse", "gatehouse.gatehouse", "gatehouse.gatehouse.svc"),
        ca_days=365,
        cert_days=30,
        check_interval=10.0,
        grace=20.0,
        overlap=7200.0,
        kubeconfig="/etc/kubeconfig",
    )
    assert read.tls_files.issued_in_pod
    defaults = options(**MANAGED).managed_tls
    assert defaults is not None
    assert (defaults.ca_days, defaults.cert_days, defaults.grace, defaults.overlap) == (
        1095,
        90,
        300.0,
        86400.0,
    )
    assert defaults.kubeconfig is None  # the pod's own service account


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GATEHOUSE_TLS_MODE", "cert-manager", "GATEHOUSE_TLS_MODE: 'cert-manager' is not one of"),
        ("GATEHOUSE_MANAGED_TLS_SECRET", "", "must be set with GATEHOUSE_TLS_MODE=managed"),
        ("GATEHOUSE_MANAGED_TLS_DNS_NAMES", "", "expected DNS names separated by commas"),
        ("GATEHOUSE_MANAGED_TLS_DNS_NAMES", "a,,b", "expected DNS names"),
        ("GATEHOUSE_MANAGED_TLS_DNS_NAMES", "Gatehouse.svc", "expected DNS names"),
        ("GATEHOUSE_MANAGED_TLS_DNS_NAMES", "*.svc", "expected DNS names"),
        ("GATEHOUSE_MANAGED_TLS_CA_DAYS", "0", "at least 1"),
        ("GATEHOUSE_MANAGED_TLS_CA_DAYS", "99999999999", "at most 36500"),
        ("GATEHOUSE_MANAGED_TLS_CERT_DAYS", "²", "expected a whole number"),
        (
            "GATEHOUSE_MANAGED_TLS_CERT_DAYS",
            "2000",
            "must not exceed GATEHOUSE_MANAGED_TLS_CA_DAYS",
        ),
        ("GATEHOUSE_MANAGED_TLS_OVERLAP", "300", "must be longer than GATEHOUSE_MANAGED_TLS_GRACE"),
        # Past the grace (300 s) but not the grace plus a check (60 s): a pod that saw the
        # new CA a check late would still serve the old one's certificate.
        (
            "GATEHOUSE_MANAGED_TLS_OVERLAP",
            "330",
            "plus GATEHOUSE_MANAGED_TLS_CHECK_INTERVAL (360 s)",
        ),
        ("GATEHOUSE_MANAGED_TLS_OVERLAP", "9999999", "expected seconds between 0 and 2592000"),
    ],
)
def test_a_bad_managed_tls_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(OptionsError) as caught:
        options(**{**MANAGED, name: value})
    assert message in str(caught.value)
    assert str(caught.value).startswith(name)
