"""1. Gatehouse registered from the chart's own ValidatingWebhookConfiguration, reached
two ways: by URL (a Gatehouse on loopback), and through the chart's Service, where
the API server itself checks the chart-generated certificate for
<service>.<namespace>.svc against the rendered caBundle."""

import base64
from pathlib import Path

import pytest
import trustme
from kubernetes.client import ApiException, CoreV1Api, V1Pod

from tests.cluster.gatehouse import ClusterGatehouse, decision_lines, read, service_host
from tests.e2e.kube import policies_named, refusal, status_message, wait_for
from tests.e2e.workloads import POLICIES, leaky, runnable
from tests.manifests import AWS_KEY_ID, pod
from tests.server import serve

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("enforcing")]


def judged(core: CoreV1Api, namespace: str, gatehouse: ClusterGatehouse) -> None:
    """A compliant Pod is admitted and the leaky one refused, by this registration."""
    core.create_namespaced_pod(
        namespace, V1Pod.model_validate(pod(runnable(), name="compliant", namespace=namespace))
    )
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_pod(
            namespace, V1Pod.model_validate(pod(leaky(), name="leaky", namespace=namespace))
        )
    message = status_message(caught.value)
    assert caught.value.status == 403, message
    assert message.startswith(refusal(gatehouse.webhook().name, "Pod", namespace, "leaky"))
    assert policies_named(message) == set(POLICIES)
    assert AWS_KEY_ID not in (caught.value.body or "")


def test_through_the_charts_service_and_its_generated_certificate(
    gatehouse: ClusterGatehouse, core: CoreV1Api, namespace: str
) -> None:
    webhook = gatehouse.webhook()
    assert webhook.client_config.service is not None and webhook.client_config.url is None
    assert gatehouse.rendered is not None
    configuration = read(gatehouse.api, gatehouse.rendered.one("ValidatingWebhookConfiguration"))
    secret = read(gatehouse.api, gatehouse.rendered.one("Secret"))
    # The API server trusts the CA the chart put in the Secret Gatehouse serves from.
    assert configuration["webhooks"][0]["clientConfig"]["caBundle"] == secret["data"]["ca.crt"]
    judged(core, namespace, gatehouse)
    gatehouse.wait_decisions("the refusal in the log", namespace=namespace, decision="deny")


def test_by_url_to_a_gatehouse_on_loopback(
    gatehouse: ClusterGatehouse, core: CoreV1Api, namespace: str, tmp_path: Path
) -> None:
    # The chart's container settings, but listening where serve() puts it: loopback.
    env = {k: v for k, v in gatehouse.env().items() if not k.endswith("_BIND")}
    with serve(tmp_path, env=env) as local:
        gatehouse.register(
            {
                "url": f"{local.url}/validate",
                "caBundle": base64.b64encode(local.ca_file.read_bytes()).decode(),
            }
        )
        assert gatehouse.webhook().client_config.url == f"{local.url}/validate"
        judged(core, namespace, gatehouse)
        wait_for(
            "the refusal in the loopback Gatehouse's log",
            lambda: decision_lines(local.log(), namespace=namespace, decision="deny"),
            timeout=30,
        )


def test_the_api_server_refuses_a_certificate_the_ca_bundle_does_not_sign(
    gatehouse: ClusterGatehouse, core: CoreV1Api, namespace: str
) -> None:
    """The check above is real: a caBundle of another CA fails the call (Fail: refused)."""
    assert gatehouse.rendered is not None
    host = service_host(gatehouse.rendered)
    other_ca = trustme.CA()
    client_config = {
        **gatehouse.rendered.webhook["clientConfig"],
        "caBundle": base64.b64encode(other_ca.cert_pem.bytes()).decode(),
    }
    gatehouse.register(client_config)
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_pod(
            namespace, V1Pod.model_validate(pod(runnable(), name="any", namespace=namespace))
        )
    message = status_message(caught.value)
    assert caught.value.status == 500, message
    assert f"https://{host}:443/validate" in message
    assert "x509" in message or "certificate" in message, message
