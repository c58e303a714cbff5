"""Real gunicorn in tls.mode=managed against a fake API server: it issues its certificate,
serves it for the Service's names once the caBundle holds its CA, says so on /readyz, and
moves to a new CA's certificate without a restart and without a failed handshake."""

import base64
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.chart.fake_apiserver import BEARER, SECRETS, VALIDATING_WEBHOOKS, FakeApiServer
from tests.manifests import pod, review
from tests.server import Server, serve
from tests.webhook.managed_tls.test_controller import (
    NAMES,
    NAMESPACE,
    SECRET,
    WEBHOOK,
    webhook_configuration,
)
from webhook.managed_tls import certs
from webhook.tls import RotatingContext, TlsFiles

SERVICE_HOST = NAMES[2]


@dataclass
class Managed:
    api: FakeApiServer
    pod_dir: Path
    server: Server = field(init=False)

    def ca_bundle(self) -> bytes:
        found = self.api.get("ValidatingWebhookConfiguration", "", WEBHOOK)
        assert found is not None
        return base64.b64decode(found["webhooks"][0]["clientConfig"].get("caBundle", ""))

    def handshake(self, name: str = SERVICE_HOST) -> bytes:
        """As the API server does: verify against the caBundle for the Service's name."""
        context = ssl.create_default_context(cadata=self.ca_bundle().decode())
        with (
            socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=name) as tls,
        ):
            return tls.getpeercert(binary_form=True) or b""

    def review(self) -> int:
        context = ssl.create_default_context(cadata=self.ca_bundle().decode())
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=context)
        context.check_hostname = False  # the name is checked by handshake(); this counts answers
        conn.request(
            "POST", "/validate", json.dumps(review(pod())), {"Content-Type": "application/json"}
        )
        status = conn.getresponse().status
        conn.close()
        return status


def managed_env(kubeconfig: Path, **extra: str) -> dict[str, str]:
    return {
        "GATEHOUSE_TLS_MODE": "managed",
        "GATEHOUSE_MANAGED_TLS_NAMESPACE": NAMESPACE,
        "GATEHOUSE_MANAGED_TLS_SECRET": SECRET,
        "GATEHOUSE_MANAGED_TLS_WEBHOOK": WEBHOOK,
        "GATEHOUSE_MANAGED_TLS_DNS_NAMES": ",".join(NAMES),
        "GATEHOUSE_KUBECONFIG": str(kubeconfig),
        **extra,
    }


@contextmanager
def running(tmp_path: Path, **extra_env: str) -> Iterator[Managed]:
    """Gunicorn in managed mode, with a fake API server holding the webhook configuration."""
    api = FakeApiServer(resources=[SECRETS, VALIDATING_WEBHOOKS], token=BEARER)
    api.add(webhook_configuration())
    pod_dir = tmp_path / "pod"
    pod_dir.mkdir()
    with api.serve() as kubeconfig:
        config = tmp_path / "kubeconfig"
        config.write_text(kubeconfig)
        managed = Managed(api, pod_dir)
        with serve(
            tmp_path,
            env=managed_env(config, **extra_env),
            certs=(tmp_path / "ca.pem", pod_dir / "tls.crt", pod_dir / "tls.key"),
            server_name=SERVICE_HOST,
            ca_when_ready=managed.ca_bundle,
        ) as server:
            managed.server = server
            yield managed


def test_it_issues_its_certificate_and_serves_it_for_every_name(tmp_path: Path) -> None:
    with running(tmp_path) as managed:
        for name in NAMES:
            assert managed.handshake(name)
        assert managed.review() == 200
        status, body = managed.server.probe("/readyz")
        assert status == 200
        served = certs.load_certs((managed.pod_dir / "tls.crt").read_bytes())[0]
        assert f"certificate {certs.fingerprint(served)[:16]} trusted" in body.decode()
        assert "PRIVATE KEY" not in managed.server.log()
    assert len(managed.api.all("Secret")) == 1


def test_a_new_ca_is_served_after_the_grace_without_a_failed_review(tmp_path: Path) -> None:
    with running(
        tmp_path,
        GATEHOUSE_MANAGED_TLS_CHECK_INTERVAL="0.3",
        GATEHOUSE_MANAGED_TLS_GRACE="1",
    ) as managed:
        first = managed.handshake()
        failures: list[str] = []
        seen: set[bytes] = set()
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                try:
                    seen.add(managed.handshake())
                    if managed.review() != 200:
                        failures.append("not 200")
                except Exception as exc:
                    failures.append(repr(exc))

        clients = [threading.Thread(target=load) for _ in range(3)]
        for client in clients:
            client.start()
        time.sleep(0.5)
        managed.api.remove("Secret", NAMESPACE, SECRET)  # an operator forcing a rotation
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and managed.handshake() == first:
            time.sleep(0.2)
        time.sleep(0.5)
        stop.set()
        for client in clients:
            client.join()
        assert failures == []
        assert managed.handshake() != first
        assert len(seen) == 2
        assert len(certs.load_certs(managed.ca_bundle())) == 2  # both CAs, for the overlap
        assert managed.server.probe("/readyz")[0] == 200


def test_without_the_pods_service_account_it_stops_saying_why(tmp_path: Path) -> None:
    env = {
        **managed_env(tmp_path / "unused"),
        "GATEHOUSE_KUBECONFIG": "",
        "KUBERNETES_SERVICE_HOST": "",
    }
    with (
        pytest.raises(RuntimeError, match="managed TLS cannot reach the API server"),
        serve(tmp_path, env=env, certs=(tmp_path / "ca", tmp_path / "crt", tmp_path / "key")),
    ):
        pass


def test_until_a_certificate_is_issued_handshakes_are_refused(tmp_path: Path) -> None:
    files = TlsFiles(str(tmp_path / "tls.crt"), str(tmp_path / "tls.key"), issued_in_pod=True)
    context = RotatingContext(files)
    with pytest.raises(ssl.SSLError, match="no certificate issued yet"):
        context.get()
    with pytest.raises(OSError):  # as it would be without issued_in_pod: fail at start-up
        RotatingContext(TlsFiles(files.cert, files.key))
    now = datetime.now(UTC)
    ca = certs.new_ca("test", now, timedelta(days=1))
    serving = certs.new_serving(ca, ["localhost"], now, timedelta(days=1))
    (tmp_path / "tls.key").write_bytes(serving.key_pem)
    (tmp_path / "tls.crt").write_bytes(serving.cert_pem)
    assert isinstance(context.get(), ssl.SSLContext)
