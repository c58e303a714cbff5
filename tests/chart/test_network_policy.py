"""The optional NetworkPolicy lets in what chart/values.yaml and the chart README say, and no more.

Each test asks the rendered policy what a cluster would: may this pod, or this
address, open a connection to that port of a webhook pod? (tests/chart/netpol.py
applies the NetworkPolicy rules.)
"""

import pytest

from tests.chart.netpol import Source, admits, selects
from tests.chart.render import NAMESPACE, Obj, Rendered, ci_values, render

ADMISSION_PORT = 8443
PROBE_PORT = 8080
UNUSED_PORT = 9999

API_SERVER_NODE = Source(ip="10.0.0.7")  # a host-network API server on a control-plane node
ELSEWHERE = Source(ip="192.0.2.10")
SOME_POD = Source("default", {"app": "shop"})
PROMETHEUS = Source("monitoring", {"app.kubernetes.io/name": "prometheus"})
OTHER_MONITORING_POD = Source("monitoring", {"app.kubernetes.io/name": "grafana"})
AKS_KONNECTIVITY = Source("kube-system", {"app": "konnectivity-agent"})
GKE_KONNECTIVITY = Source("kube-system", {"k8s-app": "konnectivity-agent"})
KUBE_DNS = Source("kube-system", {"k8s-app": "kube-dns"})

MONITORING = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
CONTROL_PLANE = {"ipBlock": {"cidr": "10.0.0.0/24"}}


def enabled(**network_policy: object) -> Rendered:
    return render({"networkPolicy": {"enabled": True, **network_policy}})


def policy(rendered: Rendered) -> Obj:
    return rendered.one("NetworkPolicy")


def webhook_pod_labels(rendered: Rendered) -> dict[str, str]:
    return dict(rendered.one("Deployment")["spec"]["template"]["metadata"]["labels"])


def allowed(rendered: Rendered, source: Source, port: int) -> bool:
    return admits(
        policy(rendered),
        source,
        port,
        webhook_pod_labels(rendered),
        {p["name"]: p["containerPort"] for p in rendered.container["ports"]},
    )


def helm_test_pod(rendered: Rendered) -> Source:
    (pod,) = [o for o in rendered.hooks() if o["kind"] == "Pod"]
    return Source(pod["metadata"]["namespace"], pod["metadata"]["labels"])


def test_off_by_default(default: Rendered) -> None:
    assert default.all("NetworkPolicy") == []


def test_it_selects_the_webhook_pods_and_nothing_else_of_the_chart() -> None:
    rendered = enabled()
    selector = policy(rendered)["spec"]["podSelector"]
    assert selects(selector, webhook_pod_labels(rendered))
    assert not selects(selector, helm_test_pod(rendered).labels)
    assert policy(rendered)["metadata"]["namespace"] == NAMESPACE


def test_by_default_anyone_reaches_the_admission_port_and_nobody_the_probe_port() -> None:
    """Empty admission.from: any source (the API server's differs per cluster). Empty
    metrics.from: no rule, so only the node itself (the kubelet), which no policy blocks."""
    rendered = enabled()
    for source in (API_SERVER_NODE, ELSEWHERE, SOME_POD, PROMETHEUS):
        assert allowed(rendered, source, ADMISSION_PORT), source
        assert not allowed(rendered, source, PROBE_PORT), source
        assert not allowed(rendered, source, UNUSED_PORT), source


def test_admission_peers_restrict_the_admission_port_and_open_nothing_else() -> None:
    rendered = enabled(admission={"from": [CONTROL_PLANE]})
    assert allowed(rendered, API_SERVER_NODE, ADMISSION_PORT)
    assert not allowed(rendered, API_SERVER_NODE, PROBE_PORT)
    for source in (ELSEWHERE, SOME_POD, PROMETHEUS):
        assert not allowed(rendered, source, ADMISSION_PORT), source


def test_the_helm_test_pod_is_let_in_only_where_the_admission_port_is_restricted() -> None:
    restricted = enabled(admission={"from": [CONTROL_PLANE]})
    assert allowed(restricted, helm_test_pod(restricted), ADMISSION_PORT)
    assert not allowed(restricted, helm_test_pod(restricted), PROBE_PORT)
    # The same labels in another namespace are somebody else's pod.
    impostor = Source("default", helm_test_pod(restricted).labels)
    assert not allowed(restricted, impostor, ADMISSION_PORT)
    without_tests = render(
        {
            "networkPolicy": {"enabled": True, "admission": {"from": [CONTROL_PLANE]}},
            "tests": {"enabled": False},
        }
    )
    assert len(policy(without_tests)["spec"]["ingress"][0]["from"]) == 1


def test_metrics_peers_reach_the_probe_port_only() -> None:
    rendered = enabled(admission={"from": [CONTROL_PLANE]}, metrics={"from": [MONITORING]})
    assert allowed(rendered, PROMETHEUS, PROBE_PORT)
    assert not allowed(rendered, PROMETHEUS, ADMISSION_PORT)
    assert not allowed(rendered, SOME_POD, PROBE_PORT)
    assert not allowed(rendered, API_SERVER_NODE, PROBE_PORT)


def test_the_probe_port_rule_follows_server_probe_port() -> None:
    rendered = render(
        {
            "server": {"probePort": 9090},
            "networkPolicy": {"enabled": True, "metrics": {"from": [MONITORING]}},
        }
    )
    assert allowed(rendered, PROMETHEUS, 9090)
    assert not allowed(rendered, PROMETHEUS, PROBE_PORT)


def test_ports_are_the_pods_own_not_the_services() -> None:
    """A NetworkPolicy sees the pod's port, after the Service's 443 -> 8443."""
    rendered = enabled(admission={"from": [CONTROL_PLANE]}, metrics={"from": [MONITORING]})
    ports = {p["name"]: p["containerPort"] for p in rendered.container["ports"]}
    ruled = [port["port"] for rule in policy(rendered)["spec"]["ingress"] for port in rule["ports"]]
    assert sorted(ruled) == sorted(ports.values()) == [PROBE_PORT, ADMISSION_PORT]


def test_the_example_values_let_in_what_their_comments_promise() -> None:
    """chart/ci/network-policy-values.yaml: a control-plane range, AKS's and GKE's
    konnectivity agents, and Prometheus in the monitoring namespace."""
    rendered = render(ci_values()["network-policy"])
    for source in (API_SERVER_NODE, AKS_KONNECTIVITY, GKE_KONNECTIVITY, helm_test_pod(rendered)):
        assert allowed(rendered, source, ADMISSION_PORT), source
    for source in (ELSEWHERE, SOME_POD, KUBE_DNS, PROMETHEUS):
        assert not allowed(rendered, source, ADMISSION_PORT), source
    assert allowed(rendered, PROMETHEUS, PROBE_PORT)
    for source in (OTHER_MONITORING_POD, AKS_KONNECTIVITY, API_SERVER_NODE):
        assert not allowed(rendered, source, PROBE_PORT), source
    assert "WARNING" not in rendered.notes


def test_scraping_blocked_by_the_policy_is_warned_about() -> None:
    notes = render({"networkPolicy": {"enabled": True}, "serviceMonitor": {"enabled": True}}).notes
    assert "WARNING: networkPolicy is enabled with serviceMonitor" in notes
    scraped = render(
        {
            "networkPolicy": {"enabled": True, "metrics": {"from": [MONITORING]}},
            "serviceMonitor": {"enabled": True},
        }
    )
    assert "WARNING" not in scraped.notes


# The evaluator itself, on policies written by hand: the tests above are only as
# good as its answers.


def hand_written(ingress: list[Obj]) -> Obj:
    return {
        "metadata": {"namespace": "ns"},
        "spec": {"podSelector": {"matchLabels": {"app": "x"}}, "ingress": ingress},
    }


@pytest.mark.parametrize(
    ("ingress", "source", "port", "expected"),
    [
        ([], SOME_POD, 80, False),  # selected, no rule: isolated
        ([{}], SOME_POD, 80, True),  # an empty rule: everything
        ([{"ports": [{"port": 80}]}], ELSEWHERE, 80, True),
        ([{"ports": [{"port": 80}]}], ELSEWHERE, 81, False),
        ([{"ports": [{"port": 80, "endPort": 90}]}], ELSEWHERE, 85, True),
        ([{"ports": [{"port": "web"}]}], ELSEWHERE, 8000, True),
        ([{"ports": [{"port": "web"}]}], ELSEWHERE, 80, False),
        ([{"from": [{"podSelector": {}}]}], Source("ns", {"a": "b"}), 80, True),
        ([{"from": [{"podSelector": {}}]}], Source("other", {"a": "b"}), 80, False),
        ([{"from": [{"namespaceSelector": {}}]}], Source("other", {}), 80, True),
        ([{"from": [{"namespaceSelector": {}}]}], ELSEWHERE, 80, False),
        ([{"from": [{"ipBlock": {"cidr": "192.0.2.0/24"}}]}], ELSEWHERE, 80, True),
        (
            [{"from": [{"ipBlock": {"cidr": "192.0.2.0/24", "except": ["192.0.2.0/28"]}}]}],
            ELSEWHERE,
            80,
            False,
        ),
        (
            [
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchExpressions": [{"key": "app", "operator": "Exists"}]
                            }
                        }
                    ]
                }
            ],
            Source("ns", {"app": "y"}),
            80,
            True,
        ),
        (
            [
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchExpressions": [
                                    {"key": "app", "operator": "NotIn", "values": ["y"]}
                                ]
                            }
                        }
                    ]
                }
            ],
            Source("ns", {"app": "y"}),
            80,
            False,
        ),
    ],
)
def test_the_evaluator(ingress: list[Obj], source: Source, port: int, expected: bool) -> None:
    assert admits(hand_written(ingress), source, port, {"app": "x"}, {"web": 8000}) is expected


def test_the_evaluator_leaves_unselected_pods_alone() -> None:
    assert admits(hand_written([]), SOME_POD, 80, {"app": "not-x"})
