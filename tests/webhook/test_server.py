"""The real thing: gunicorn with Gatehouse's own config, real TLS on loopback, real reviews."""

import http.client
import json
import os
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.manifests import (
    AWS_KEY_ID,
    OTHER_AWS_KEY_ID,
    TOKEN_NAME,
    container,
    debug_container,
    debugged,
    deployment,
    leaky_container,
    pod,
    review,
    shows_any_part,
    token_named_container,
)
from tests.server import VALIDATE_HEAD, Server, serve


def connect(server: Server) -> http.client.HTTPSConnection:
    return http.client.HTTPSConnection(
        "localhost", server.port, context=server.ssl_context(), timeout=10
    )


def post(
    conn: http.client.HTTPSConnection,
    body: bytes | dict[str, Any],
    content_type: str = "application/json",
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn.request("POST", "/validate?timeout=5s", body=data, headers={"Content-Type": content_type})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def test_certificate_verifies_against_the_ca_and_reviews_are_answered(server: Server) -> None:
    conn = connect(server)
    status, allowed = post(conn, review(pod()))
    assert status == 200 and allowed["response"]["allowed"] is True
    status, denied = post(conn, review(pod(leaky_container())))
    assert status == 200 and denied["response"]["allowed"] is False
    assert denied["response"]["status"]["code"] == 403


def test_v1beta1_is_answered_in_v1beta1(server: Server) -> None:
    status, answer = post(connect(server), review(pod(), api_version="admission.k8s.io/v1beta1"))
    assert status == 200 and answer["apiVersion"] == "admission.k8s.io/v1beta1"


def test_update_with_and_without_a_new_violation(server: Server) -> None:
    conn = connect(server)
    old = deployment(leaky_container(), replicas=1)
    _, scaled = post(conn, review(deployment(leaky_container(), replicas=3), "UPDATE", old=old))
    assert scaled["response"]["allowed"] is True
    clean_old = deployment()
    _, broken = post(conn, review(deployment(leaky_container()), "UPDATE", old=clean_old))
    assert broken["response"]["allowed"] is False


def test_the_policy_gaps_are_closed_over_the_wire(server: Server) -> None:
    """A root `kubectl debug`, a zero limit, a swapped key and a privileged container."""
    conn = connect(server)
    running = pod(container())
    debug = review(
        debugged(running, debug_container()),
        "UPDATE",
        old=running,
        sub_resource="ephemeralcontainers",
    )
    zero = pod(container(resources={"limits": {"cpu": "0", "memory": "0Mi"}}))
    with_key = deployment(container(env=[{"name": "AWS_ACCESS_KEY_ID", "value": AWS_KEY_ID}]))
    swapped = deployment(container(env=[{"name": "AWS_ACCESS_KEY_ID", "value": OTHER_AWS_KEY_ID}]))
    privileged = pod(container(securityContext={"runAsUser": 1000, "privileged": True}))
    expected = {
        "ephemeral:debugger: may run as root": debug,
        "app: sets a cpu limit of zero": review(zero),
        "app: env AWS_ACCESS_KEY_ID holds a literal AWS access key id": review(
            swapped, "UPDATE", old=with_key
        ),
        "app: is privileged": review(privileged),
    }
    for message, sent in expected.items():
        status, answer = post(conn, sent)
        assert status == 200
        assert answer["response"]["allowed"] is False, message
        assert message in answer["response"]["status"]["message"]
        assert OTHER_AWS_KEY_ID not in json.dumps(answer)


def test_keep_alive_one_connection_serves_many_reviews(server: Server) -> None:
    conn = connect(server)
    post(conn, review(pod()))
    first_socket = conn.sock
    for _ in range(20):
        status, _ = post(conn, review(pod()))
        assert status == 200
    assert conn.sock is first_socket  # no reconnect, no second TLS handshake


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b"[]", "application/json", 400),
        (
            json.dumps(
                {
                    "apiVersion": "admission.k8s.io/v1",
                    "kind": "AdmissionReview",
                    "request": {"operation": "CREATE"},
                }
            ).encode(),
            "application/json",
            400,
        ),
        (
            json.dumps(
                {"apiVersion": "v1", "kind": "AdmissionReview", "request": {"uid": "x"}}
            ).encode(),
            "application/json",
            400,
        ),
        (json.dumps(review(pod())).encode(), "text/plain", 415),
    ],
)
def test_bad_input_over_the_wire(
    server: Server, body: bytes, content_type: str, status: int
) -> None:
    conn = connect(server)
    got, answer = post(conn, body, content_type)
    assert got == status
    assert set(answer) == {"error"}
    assert post(conn, review(pod()))[0] == 200  # same connection, still serving


def test_oversized_body_is_refused_before_it_is_read(server: Server) -> None:
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        server.ssl_context().wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.settimeout(10)
        tls.sendall(VALIDATE_HEAD + b"Content-Length: 104857600\r\n\r\n" + b" " * 65536)
        started = time.monotonic()
        head = tls.recv(4096)
    assert head.startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < 5  # answered without waiting for 100 MiB


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_tls_below_1_2_is_refused(server: Server) -> None:
    context = server.ssl_context()
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("ALL:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", server.port)) as raw, pytest.raises(ssl.SSLError):
        context.wrap_socket(raw, server_hostname="localhost")


def test_plain_http_on_the_tls_port_is_told_to_use_https(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("POST", "/validate", body=json.dumps(review(pod())))
    answer = conn.getresponse()
    assert answer.status == 400
    assert json.loads(answer.read()) == {
        "error": "this port speaks HTTPS: use https://, not http:// (probes: the probe port)"
    }


def test_metrics_add_up_across_workers(tmp_path: Path) -> None:
    with serve(tmp_path, workers=2) as fresh:
        sent = 40
        for _ in range(sent // 4):
            conn = connect(fresh)  # new connections spread over both workers
            for _ in range(4):
                post(conn, review(pod(leaky_container())))
            conn.close()
        pids = fresh.worker_pids()
        status, exposition = fresh.probe("/metrics")
        text = exposition.decode()
    assert status == 200
    assert len(pids) == 2
    assert (
        f'gatehouse_admission_requests_total{{decision="deny",kind="Pod",operation="CREATE"}} {sent}.0'
        in text
    )
    assert (
        f'gatehouse_violations_total{{mode="enforce",policy="no-root-containers"}} {sent}.0' in text
    )
    assert AWS_KEY_ID not in text


def test_one_json_log_line_per_decision_without_secrets(tmp_path: Path) -> None:
    with serve(tmp_path) as fresh:
        sent = review(pod(leaky_container()), namespace="default")
        post(connect(fresh), sent)
        time.sleep(0.6)  # decision lines are flushed in batches every 0.2 s
        log = fresh.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    decisions = [line for line in lines if line.get("uid") == sent["request"]["uid"]]
    assert len(decisions) == 1
    entry = decisions[0]
    assert entry["decision"] == "deny" and entry["kind"] == "Pod" and entry["operation"] == "CREATE"
    assert entry["user"] == "alice@example.com"
    assert {v["policy"] for v in entry["violations"]} >= {
        "no-root-containers",
        "require-resource-limits",
    }
    assert AWS_KEY_ID not in log
    assert "object" not in entry


def _decision_lines(server: Server, *uids: str) -> dict[str, dict[str, Any]]:
    time.sleep(0.6)  # decision lines are flushed in batches every 0.2 s
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    return {line["uid"]: line for line in lines if line.get("uid") in uids}


@pytest.mark.parametrize("log_allowed", ["", "true"])
def test_allowed_decisions_are_logged_only_when_asked(tmp_path: Path, log_allowed: str) -> None:
    """Denials, would-denies and allowed updates of objects with old violations always are."""
    env = {"GATEHOUSE_LOG_ALLOWED": log_allowed} if log_allowed else {}
    with serve(tmp_path, env=env) as fresh:
        conn = connect(fresh)
        clean, denied = review(pod()), review(pod(leaky_container()))
        old = deployment(leaky_container())
        grandfathered = review(deployment(leaky_container(), replicas=5), "UPDATE", old=old)
        for sent in (clean, denied, grandfathered):
            post(conn, sent)
        uids = {
            name: sent["request"]["uid"]
            for name, sent in (
                ("clean", clean),
                ("denied", denied),
                ("grandfathered", grandfathered),
            )
        }
        logged = _decision_lines(fresh, *uids.values())
    assert logged[uids["denied"]]["decision"] == "deny"
    assert logged[uids["grandfathered"]]["existing"] == 4  # the key, root, two limits
    assert (uids["clean"] in logged) is bool(log_allowed)


def _admission_errors(server: Server) -> float:
    exposition = server.probe("/metrics")[1].decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith('gatehouse_admission_requests_total{decision="error"')
    )


def test_each_port_serves_only_its_own_paths(server: Server) -> None:
    errors_before = _admission_errors(server)
    conn = connect(server)
    for path in ("/healthz", "/readyz", "/metrics", "/", "/favicon.ico"):
        conn.request("GET", path)
        answer = conn.getresponse()
        assert answer.status == 404, path
        assert json.loads(answer.read())["error"].startswith("not found: this port serves POST")
    probes = http.client.HTTPConnection("127.0.0.1", server.probe_port, timeout=10)
    probes.request(
        "POST",
        "/validate",
        body=json.dumps(review(pod())),
        headers={"Content-Type": "application/json"},
    )
    answer = probes.getresponse()
    assert answer.status == 404
    assert b"reviews go to /validate on the HTTPS port" in answer.read()
    assert server.probe("/healthz") == (200, b"ok\n")
    assert server.probe("/readyz")[1].startswith(b"ready: mode enforce")
    # neither the stray GETs nor the misdirected POST count as admission errors
    assert _admission_errors(server) == errors_before


def test_dry_run_mode_from_the_environment(tmp_path: Path) -> None:
    with serve(tmp_path, env={"GATEHOUSE_MODE": "dry-run"}) as dry:
        _, answer = post(connect(dry), review(pod(leaky_container())))
        time.sleep(0.6)  # decision lines are flushed in batches every 0.2 s
        log = dry.log()
    assert answer["response"]["allowed"] is True
    assert answer["response"]["warnings"]
    assert '"msg":"would deny"' in log


def test_invalid_config_stops_start_up_with_the_key_named(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("policies:\n  no-root-containers:\n    enabeld: true\n")
    with (
        pytest.raises(RuntimeError, match=r"policies\.no-root-containers\.enabeld: unknown key"),
        serve(tmp_path, env={"GATEHOUSE_CONFIG": str(bad)}),
    ):
        pass


def test_certificate_swapped_on_disk_is_used_by_new_connections_without_failures(
    tmp_path: Path,
) -> None:
    ca = trustme.CA()
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "tls.crt", tmp_path / "tls.key"
    ca.cert_pem.write_to_path(str(ca_file))

    def install(cert: trustme.LeafCert) -> None:
        """Like the kubelet: write the new pair aside, then rename it into place."""
        for blob, target in (
            (cert.private_key_pem, key_file),
            (cert.cert_chain_pems[0], cert_file),
        ):
            staged = target.with_suffix(".new")
            blob.write_to_path(str(staged))
            os.replace(staged, target)

    first, second = ca.issue_cert("localhost"), ca.issue_cert("localhost")
    install(first)
    failures: list[str] = []
    seen: set[bytes] = set()
    stop = threading.Event()

    with serve(tmp_path, certs=(ca_file, cert_file, key_file)) as running:

        def load() -> None:
            while not stop.is_set():
                try:
                    conn = connect(running)
                    status, _ = post(conn, review(pod()))
                    assert conn.sock is not None
                    seen.add(conn.sock.getpeercert(binary_form=True) or b"")
                    conn.close()
                    if status != 200:
                        failures.append(f"HTTP {status}")
                except Exception as exc:
                    failures.append(repr(exc))

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(1)
        install(second)
        time.sleep(2)
        stop.set()
        for worker in workers:
            worker.join()
        conn = connect(running)
        post(conn, review(pod()))
        assert conn.sock is not None
        final = conn.sock.getpeercert(binary_form=True)

    assert failures == []
    assert final == _der(second)
    assert len(seen) == 2


def _der(cert: trustme.LeafCert) -> bytes:
    return ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())


def test_a_credential_in_an_env_name_reaches_no_answer_log_or_metric(tmp_path: Path) -> None:
    """Denial message, warnings, audit annotations, decision log, metrics: the name is withheld."""
    outputs = []
    for mode in ("enforce", "dry-run"):
        with serve(tmp_path, env={"GATEHOUSE_MODE": mode}) as fresh:
            conn = connect(fresh)
            _, answer = post(conn, review(pod(token_named_container()), namespace="default"))
            metrics = fresh.probe("/metrics")[1].decode()
            time.sleep(0.6)  # decision lines are flushed in batches every 0.2 s
            log = fresh.log()
        response = answer["response"]
        if mode == "enforce":
            assert response["allowed"] is False
            message = response["status"]["message"]
            assert message.count("holds a literal GitHub token in its name") == 2
            assert "env (name withheld) holds a literal URL with embedded credentials" in message
        else:
            assert response["allowed"] is True
            assert sum("in its name" in w for w in response["warnings"]) == 2
            notes = response["auditAnnotations"]["would-deny.no-plaintext-secrets"]
            assert "spec.containers[0].env[1].name" in notes
        counter = f'gatehouse_violations_total{{mode="{mode}",policy="no-plaintext-secrets"}}'
        assert counter in metrics
        assert '"policy":"no-plaintext-secrets"' in log
        outputs += [json.dumps(answer), metrics, log]
    for text in outputs:
        assert not shows_any_part(TOKEN_NAME, text)
