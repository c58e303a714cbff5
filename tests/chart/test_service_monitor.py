"""The optional ServiceMonitor scrapes /metrics over plain HTTP on the pods' probe port,
through a metrics Service of its own; the webhook's Service keeps only the admission port."""

from tests.chart.render import RELEASE, Obj, Rendered, render

MONITORED = {"serviceMonitor": {"enabled": True, "labels": {"release": "prom"}}}


def metrics_service(rendered: Rendered) -> Obj:
    return rendered.one("Service", f"{RELEASE}-metrics")


def test_off_by_default_with_no_metrics_service(default: Rendered) -> None:
    assert default.all("ServiceMonitor") == []
    assert [s["metadata"]["name"] for s in default.all("Service")] == [RELEASE]


def test_scrapes_plain_http_on_the_probe_port() -> None:
    rendered = render(MONITORED)
    monitor = rendered.one("ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prom"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert (endpoint["scheme"], endpoint["path"]) == ("http", "/metrics")
    assert "tlsConfig" not in endpoint
    # The endpoint's port, through the metrics Service, is the pods' probe port.
    (port,) = metrics_service(rendered)["spec"]["ports"]
    assert port["name"] == endpoint["port"]
    (container_port,) = [p for p in rendered.container["ports"] if p["name"] == port["targetPort"]]
    assert container_port["containerPort"] == 8080
    assert rendered.container["readinessProbe"]["httpGet"]["port"] == container_port["name"]


def test_it_selects_the_metrics_service_alone() -> None:
    rendered = render(MONITORED)
    selector = rendered.one("ServiceMonitor")["spec"]["selector"]["matchLabels"]
    selected = [
        s["metadata"]["name"]
        for s in rendered.all("Service")
        if selector.items() <= s["metadata"]["labels"].items()
    ]
    assert selected == [f"{RELEASE}-metrics"]


def test_the_metrics_service_backs_onto_the_webhook_pods() -> None:
    rendered = render(MONITORED)
    pod_labels = rendered.one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert metrics_service(rendered)["spec"]["selector"].items() <= pod_labels.items()
    assert (
        metrics_service(rendered)["spec"]["selector"]
        == (rendered.one("Service", RELEASE)["spec"]["selector"])
    )


def test_follows_the_probe_port() -> None:
    rendered = render({**MONITORED, "server": {"probePort": 9102}})
    (port,) = metrics_service(rendered)["spec"]["ports"]
    assert port["port"] == 9102
    (container_port,) = [p for p in rendered.container["ports"] if p["name"] == port["targetPort"]]
    assert container_port["containerPort"] == 9102
