"""Only the API server may ask for a review: GATEHOUSE_CLIENT_CA, over real TLS.

The certificate is optional at the TLS layer, so the kubelet's HTTPS probes
(no client certificate) still reach /healthz and /readyz; /validate answers
403 unless the caller presented a certificate that verified against the CA;
one from another CA fails the handshake. /metrics stays open: scrapers present
no certificate either. TLS below 1.2 and plain HTTP are refused in
tests/webhook/test_server.py.
"""

import http.client
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.manifests import leaky_container, pod, review
from tests.server import Server, serve


@pytest.fixture(scope="module")
def api_server_ca() -> trustme.CA:
    return trustme.CA(organization_name="kube-apiserver client CA")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, api_server_ca: trustme.CA) -> Iterator[Server]:
    workdir = Path(tmp_path_factory.mktemp("mtls"))
    client_ca = workdir / "client-ca.pem"
    api_server_ca.cert_pem.write_to_path(str(client_ca))
    with serve(workdir, env={"GATEHOUSE_CLIENT_CA": str(client_ca)}) as running:
        yield running


def _connect(server: Server, issuer: trustme.CA | None) -> http.client.HTTPSConnection:
    context = server.ssl_context()
    if issuer is not None:
        issuer.issue_cert("kube-apiserver").configure_cert(context)
    return http.client.HTTPSConnection("localhost", server.port, context=context, timeout=10)


def _call(
    conn: http.client.HTTPSConnection, method: str, path: str, padding: int = 0
) -> tuple[int, bytes]:
    """``padding`` env vars added to the leaky pod: over 64 KiB, the judge process judges it."""
    leaky = leaky_container()
    leaky["env"] += [{"name": f"SETTING_{n}", "value": "x" * 40} for n in range(padding)]
    body = json.dumps(review(pod(leaky))).encode() if method == "POST" else None
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def test_without_a_client_certificate_the_handshake_fails(server: Server) -> None:
    """The admission port requires a certificate at the TLS layer: nothing reaches the app."""
    conn = _connect(server, None)
    # TLS 1.3 clients finish their side first: the refusal may surface on the first read.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _call(conn, "POST", "/validate")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_metrics_on_their_own_port_need_no_certificate(
    server: Server, path: str
) -> None:
    assert server.probe(path)[0] == 200


def test_a_certificate_from_the_client_ca_is_judged(
    server: Server, api_server_ca: trustme.CA
) -> None:
    status, body = _call(_connect(server, api_server_ca), "POST", "/validate")
    assert status == 200
    assert json.loads(body)["response"]["allowed"] is False  # judged: the leaky pod is denied


def test_a_large_review_from_a_certified_caller_is_judged_too(
    server: Server, api_server_ca: trustme.CA
) -> None:
    """Judged in the worker's judge process, which learns that the caller's
    certificate verified: the answer is a judgement, not a 403."""
    status, body = _call(_connect(server, api_server_ca), "POST", "/validate", padding=2000)
    assert status == 200
    response = json.loads(body)["response"]
    assert response["allowed"] is False
    assert "AWS access key" in response["status"]["message"]


def test_a_certificate_from_another_ca_fails_the_handshake(server: Server) -> None:
    conn = _connect(server, trustme.CA(organization_name="somebody else"))
    # TLS 1.3 clients finish their side first: the refusal may surface on the first read.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _call(conn, "POST", "/validate")
