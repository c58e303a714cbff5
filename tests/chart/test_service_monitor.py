"""The optional ServiceMonitor scrapes /metrics over HTTPS, verified unless told otherwise."""

from tests.chart.render import NAMESPACE, RELEASE, Rendered, render


def test_off_by_default(default: Rendered) -> None:
    assert default.all("ServiceMonitor") == []


def test_scrapes_https_verifying_with_the_tls_secrets_ca(default: Rendered) -> None:
    monitor = render({"serviceMonitor": {"enabled": True, "labels": {"release": "prom"}}})
    service_monitor = monitor.one("ServiceMonitor")
    assert service_monitor["metadata"]["labels"]["release"] == "prom"
    assert (
        service_monitor["spec"]["selector"]["matchLabels"]
        == (default.one("Service")["spec"]["selector"])
    )
    (endpoint,) = service_monitor["spec"]["endpoints"]
    assert endpoint["port"] == endpoint["scheme"] == "https"
    assert endpoint["path"] == "/metrics"
    assert endpoint["tlsConfig"] == {
        "serverName": f"{RELEASE}.{NAMESPACE}.svc",
        "ca": {"secret": {"name": f"{RELEASE}-tls", "key": "ca.crt"}},
    }


def test_insecure_skip_verify_is_an_explicit_choice() -> None:
    monitor = render({"serviceMonitor": {"enabled": True, "insecureSkipVerify": True}})
    (endpoint,) = monitor.one("ServiceMonitor")["spec"]["endpoints"]
    assert endpoint["tlsConfig"] == {"insecureSkipVerify": True}
    assert "WARNING: serviceMonitor.insecureSkipVerify is true" in monitor.notes
