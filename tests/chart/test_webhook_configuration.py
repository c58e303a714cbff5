"""How the API server calls Gatehouse: what is sent, what happens when Gatehouse cannot answer."""

import re

import pytest

from tests.chart.render import NAMESPACE, RELEASE, Obj, Rendered, render

CONTROLLERS = {
    "apps": {"deployments", "statefulsets", "daemonsets", "replicasets"},
    "batch": {"jobs", "cronjobs"},
    "": {"pods", "pods/ephemeralcontainers", "replicationcontrollers"},
}


def test_rules_cover_pods_debug_containers_and_every_pod_controller(default: Rendered) -> None:
    covered: dict[str, set[str]] = {}
    for rule in default.webhook["rules"]:
        assert rule["operations"] == ["CREATE", "UPDATE"]
        assert rule["apiVersions"] == ["v1"]
        assert rule["scope"] == "Namespaced"
        (group,) = rule["apiGroups"]
        covered.setdefault(group, set()).update(rule["resources"])
    assert covered == CONTROLLERS


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "Ignore"),  # the default mode is dry-run: a report never blocks
        ({"mode": "dry-run"}, "Ignore"),
        ({"mode": "enforce"}, "Fail"),
        ({"mode": "enforce", "webhook": {"failurePolicy": "Ignore"}}, "Ignore"),
        ({"mode": "dry-run", "webhook": {"failurePolicy": "Fail"}}, "Fail"),
    ],
)
def test_failure_policy_follows_the_mode_unless_set(values: Obj, expected: str) -> None:
    assert render(values).webhook["failurePolicy"] == expected


def excluded(rendered: Rendered) -> list[str]:
    (expression, *_) = rendered.webhook["namespaceSelector"]["matchExpressions"]
    assert expression["key"] == "kubernetes.io/metadata.name"
    assert expression["operator"] == "NotIn"
    return list(expression["values"])


def test_namespace_selector_leaves_out_release_namespace_and_kube_system(default: Rendered) -> None:
    assert excluded(default) == [NAMESPACE, "kube-system"]
    assert excluded(render(namespace="policy")) == ["policy", "kube-system"]


def test_user_exclusions_add_to_the_fixed_ones_never_replace_them() -> None:
    rendered = render(
        {
            "webhook": {
                "namespaceSelector": {
                    "excludeNamespaces": ["monitoring", "kube-system", "gatehouse"],
                    "matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}],
                }
            }
        }
    )
    assert excluded(rendered) == [NAMESPACE, "kube-system", "monitoring"]
    assert rendered.webhook["namespaceSelector"]["matchExpressions"][1] == {
        "key": "team",
        "operator": "In",
        "values": ["a"],
    }


def test_object_selector_is_optional(default: Rendered) -> None:
    assert "objectSelector" not in default.webhook
    selector = {"matchLabels": {"gatehouse.io/judge": "yes"}}
    assert render({"webhook": {"objectSelector": selector}}).webhook["objectSelector"] == selector


def test_timeout_defaults_to_5_seconds_and_is_configurable(default: Rendered) -> None:
    assert default.webhook["timeoutSeconds"] == 5
    assert render({"webhook": {"timeoutSeconds": 3}}).webhook["timeoutSeconds"] == 3


def test_match_policy_is_equivalent(default: Rendered) -> None:
    assert default.webhook["matchPolicy"] == "Equivalent"


def test_side_effects_none_and_only_v1_reviews(default: Rendered) -> None:
    assert default.webhook["sideEffects"] == "None"
    assert default.webhook["admissionReviewVersions"] == ["v1"]


def test_webhook_name_is_fully_qualified(default: Rendered) -> None:
    assert default.webhook["name"] == "validate.gatehouse.io"
    assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+){2,}", default.webhook["name"])


def test_client_config_points_at_the_service_https_port(default: Rendered) -> None:
    service = default.one("Service")
    assert default.webhook["clientConfig"]["service"] == {
        "name": service["metadata"]["name"],
        "namespace": NAMESPACE,
        "path": "/validate",
        "port": 443,
    }
    # The admission port alone: metrics have a Service of their own.
    (port,) = service["spec"]["ports"]
    assert (port["port"], port["targetPort"]) == (443, "https")
    container_ports = {p["name"]: p["containerPort"] for p in default.container["ports"]}
    assert container_ports[port["targetPort"]] == 8443
    assert service["spec"]["selector"].items() <= (
        default.one("Deployment")["spec"]["template"]["metadata"]["labels"].items()
    )
    assert service["metadata"]["name"] == RELEASE


def test_the_api_server_reaches_the_https_port_in_every_setup(ci: Rendered) -> None:
    """Whatever else is on (metrics, NetworkPolicy), the webhook's Service is 443 -> https."""
    service = ci.one("Service", ci.webhook["clientConfig"]["service"]["name"])
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [
        ("https", 443, "https")
    ]
    (https,) = [p for p in ci.container["ports"] if p["name"] == "https"]
    assert https["containerPort"] == 8443
