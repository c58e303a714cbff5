"""`helm test` runs webhook.selftest from the Gatehouse image against the Service, TLS verified."""

from tests.chart.render import NAMESPACE, Obj, Rendered, ci_values, render


def selftest_pod(rendered: Rendered) -> Obj:
    pods = [o for o in rendered.hooks() if o["kind"] == "Pod"]
    assert len(pods) == 1
    return pods[0]


def test_helm_test_pod_is_a_test_hook(default: Rendered) -> None:
    pod = selftest_pod(default)
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"


def test_it_runs_the_selftest_with_the_mode_and_service_name(default: Rendered) -> None:
    (container,) = selftest_pod(default)["spec"]["containers"]
    assert container["image"] == default.container["image"]
    assert container["command"] == [
        "python",
        "-m",
        "webhook.selftest",
        "--url",
        f"https://gatehouse.{NAMESPACE}.svc/validate",
        "--ca",
        "/etc/gatehouse/tls/ca.crt",
        "--mode",
        "dry-run",
    ]
    (container,) = selftest_pod(render({"mode": "enforce"}))["spec"]["containers"]
    assert container["command"][-2:] == ["--mode", "enforce"]


def test_it_mounts_the_ca_and_never_the_serving_key(default: Rendered) -> None:
    (volume,) = selftest_pod(default)["spec"]["volumes"]
    assert volume["secret"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}]


def test_with_a_user_secret_it_trusts_the_configured_ca_bundle() -> None:
    values = ci_values()["secret-tls"]
    rendered = render(values)
    (volume,) = selftest_pod(rendered)["spec"]["volumes"]
    config_map = rendered.one("ConfigMap", volume["configMap"]["name"])
    assert config_map["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert config_map["data"]["ca.crt"].strip() == values["tls"]["secret"]["caBundle"].strip()


def test_tests_can_be_turned_off() -> None:
    assert render({"tests": {"enabled": False}}).hooks() == []


def test_with_a_client_ca_it_checks_that_callers_without_a_certificate_are_refused() -> None:
    """The test Pod has no certificate from the API server's client CA: it cannot get a
    review judged, so it checks the handshake refusal instead (webhook.selftest)."""
    (container,) = selftest_pod(render(ci_values()["client-ca"]))["spec"]["containers"]
    assert container["command"][-1] == "--client-certificate-required"
    (container,) = selftest_pod(render({}))["spec"]["containers"]
    assert "--client-certificate-required" not in container["command"]
