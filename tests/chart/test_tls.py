"""TLS, three ways. The chart-generated certificate is served by the real gunicorn and verified
the way the API server verifies it, so a wrong SAN or a CA mismatch fails here."""

import base64
import http.client
import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.chart.render import NAMESPACE, RELEASE, Obj, Rendered, ci_values, render
from tests.server import Server, serve
from webhook.selftest import BAD_CONTAINER, GOOD_CONTAINER, pod_review

SERVICE_HOST = f"{RELEASE}.{NAMESPACE}.svc"
DNS_NAMES = [RELEASE, f"{RELEASE}.{NAMESPACE}", SERVICE_HOST, f"{SERVICE_HOST}.cluster.local"]


def tls_secret(rendered: Rendered) -> Obj:
    return rendered.one("Secret", f"{RELEASE}-tls")


def decoded(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


# --- tls.mode=chart (the default) ---------------------------------------------------------


def test_chart_mode_secret_holds_a_ca_and_a_serving_pair(default: Rendered) -> None:
    secret = tls_secret(default)
    assert secret["type"] == "kubernetes.io/tls"
    assert set(secret["data"]) == {"ca.crt", "tls.crt", "tls.key"}
    assert decoded(secret["data"]["tls.key"]).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    annotations = secret["metadata"]["annotations"]
    assert annotations["gatehouse.io/tls-dns-names"] == ",".join(DNS_NAMES)


def test_chart_mode_ca_bundle_is_the_secrets_ca(default: Rendered) -> None:
    assert default.webhook["clientConfig"]["caBundle"] == tls_secret(default)["data"]["ca.crt"]
    assert "cert-manager.io/inject-ca-from" not in (
        default.one("ValidatingWebhookConfiguration")["metadata"].get("annotations") or {}
    )


@pytest.fixture(scope="module")
def chart_certs(default: Rendered, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The rendered CA bundle, certificate and key, as files."""
    directory = tmp_path_factory.mktemp("chart-tls")
    files = {
        "ca": directory / "ca-bundle.pem",
        "cert": directory / "tls.crt",
        "key": directory / "tls.key",
        "config": directory / "config.yaml",
    }
    files["ca"].write_bytes(decoded(default.webhook["clientConfig"]["caBundle"]))
    files["cert"].write_bytes(decoded(tls_secret(default)["data"]["tls.crt"]))
    files["key"].write_bytes(decoded(tls_secret(default)["data"]["tls.key"]))
    files["config"].write_text(default.config_text())
    return files


@pytest.fixture(scope="module")
def chart_server(
    chart_certs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """gunicorn serving the chart's certificate and config, as a Gatehouse pod would."""
    with serve(
        tmp_path_factory.mktemp("chart-server"),
        env={"GATEHOUSE_CONFIG": str(chart_certs["config"])},
        certs=(chart_certs["ca"], chart_certs["cert"], chart_certs["key"]),
        server_name=SERVICE_HOST,
    ) as server:
        yield server


def connect(server: Server, ca_file: Path, server_name: str) -> ssl.SSLSocket:
    """Like the API server: TCP to the Service's address, TLS verified for its DNS name."""
    context = ssl.create_default_context(cafile=str(ca_file))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        return context.wrap_socket(raw, server_hostname=server_name)
    except BaseException:
        raw.close()
        raise


def post_review(tls: ssl.SSLSocket, review: dict[str, Any]) -> dict[str, Any]:
    connection = http.client.HTTPConnection(SERVICE_HOST, 443)
    connection.sock = tls  # already connected and verified
    connection.request(
        "POST", "/validate", body=json.dumps(review), headers={"Content-Type": "application/json"}
    )
    reply = connection.getresponse()
    assert reply.status == 200
    response: dict[str, Any] = json.loads(reply.read())["response"]
    connection.close()
    return response


def test_api_server_style_call_verifies_and_gets_an_answer(
    chart_server: Server, chart_certs: dict[str, Path]
) -> None:
    with connect(chart_server, chart_certs["ca"], SERVICE_HOST) as tls:
        bad = post_review(tls, pod_review(BAD_CONTAINER, "default"))
    assert bad["allowed"] is True and bad["warnings"]  # the chart's default mode: dry-run
    with connect(chart_server, chart_certs["ca"], SERVICE_HOST) as tls:
        assert post_review(tls, pod_review(GOOD_CONTAINER, "default"))["allowed"] is True


@pytest.mark.parametrize("name", DNS_NAMES)
def test_certificate_names_every_form_of_the_service(
    chart_server: Server, chart_certs: dict[str, Path], name: str
) -> None:
    with connect(chart_server, chart_certs["ca"], name) as tls:
        peer = tls.getpeercert()
    assert peer is not None
    sans = {str(value) for kind, value in peer["subjectAltName"] if kind == "DNS"}
    assert sans == set(DNS_NAMES)


def test_wrong_server_name_is_refused(chart_server: Server, chart_certs: dict[str, Path]) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="match"):
        connect(chart_server, chart_certs["ca"], f"wrong.{NAMESPACE}.svc")


def test_another_ca_is_refused(chart_server: Server, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        connect(chart_server, stranger, SERVICE_HOST)


# --- tls.mode=cert-manager ----------------------------------------------------------------


def test_cert_manager_mode_issues_for_the_service_names_and_injects_the_ca() -> None:
    rendered = render(ci_values()["cert-manager"])
    certificate = rendered.one("Certificate", f"{RELEASE}-serving")
    assert certificate["spec"]["dnsNames"] == DNS_NAMES
    assert certificate["spec"]["issuerRef"]["name"] == f"{RELEASE}-ca"
    configuration = rendered.one("ValidatingWebhookConfiguration")
    assert configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == (
        f"{NAMESPACE}/{RELEASE}-serving"
    )
    assert "caBundle" not in rendered.webhook["clientConfig"]
    tls_volume = next(v for v in rendered.pod_spec["volumes"] if v["name"] == "tls")
    assert tls_volume["secret"]["secretName"] == certificate["spec"]["secretName"]
    assert rendered.all("Secret") == []


def test_cert_manager_mode_builds_a_self_signed_ca_chain() -> None:
    rendered = render(ci_values()["cert-manager"])
    issuers = {i["metadata"]["name"]: i["spec"] for i in rendered.all("Issuer")}
    assert issuers == {
        f"{RELEASE}-selfsigned": {"selfSigned": {}},
        f"{RELEASE}-ca": {"ca": {"secretName": f"{RELEASE}-ca"}},
    }
    ca = rendered.one("Certificate", f"{RELEASE}-ca")["spec"]
    assert ca["isCA"] is True and ca["secretName"] == f"{RELEASE}-ca"
    assert ca["issuerRef"]["name"] == f"{RELEASE}-selfsigned"


def test_cert_manager_mode_with_a_given_issuer_creates_none() -> None:
    rendered = render(ci_values()["cert-manager-issuer"])
    assert rendered.all("Issuer") == []
    (certificate,) = rendered.all("Certificate")
    assert certificate["spec"]["issuerRef"] == {
        "name": "cluster-ca",
        "kind": "ClusterIssuer",
        "group": "cert-manager.io",
    }


# --- tls.mode=secret ----------------------------------------------------------------------


def test_secret_mode_uses_the_given_secret_and_ca_bundle() -> None:
    values = ci_values()["secret-tls"]
    rendered = render(values)
    assert (
        decoded(rendered.webhook["clientConfig"]["caBundle"]).decode()
        == (values["tls"]["secret"]["caBundle"])
    )
    tls_volume = next(v for v in rendered.pod_spec["volumes"] if v["name"] == "tls")
    assert tls_volume["secret"]["secretName"] == "gatehouse-serving-cert"
    assert rendered.all("Secret") == [] and rendered.all("Certificate") == []
