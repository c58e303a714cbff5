"""``gatehouse audit`` when the API says no: one clear line each, retries, partial reports."""

import json
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from gatehouse.cluster import RETRIES
from tests.chart.fake_apiserver import BEARER, WORKLOADS, FakeApiServer, kubeconfig
from tests.gatehouse.fake_cluster import audit, cluster, deployment_tree
from tests.gatehouse.test_scan_cli import assert_valid_sarif
from tests.manifests import container, pod

ROOT = container(securityContext={"runAsUser": 0})
DEPLOYMENTS = "/apis/apps/v1/deployments"
PODS = "/api/v1/pods"


def leaky_cluster():
    return cluster(
        *deployment_tree(ROOT, name="payments"), pod(ROOT, name="debug", namespace="shop")
    )


def test_forbidden_names_the_resource_and_the_missing_rbac_rule(tmp_path, capsys):
    api = leaky_cluster()
    api.fail(DEPLOYMENTS, 403)
    run = audit(api, tmp_path, capsys, "--format", "json")
    assert run.code == 2
    assert run.err.splitlines() == [
        "gatehouse: forbidden: cannot list deployments.apps in all namespaces: the audit needs "
        'RBAC "list" on "deployments" in API group "apps"',
        "gatehouse: the report is partial: 1 of 8 kinds could not be listed",
    ]
    # The other kinds were listed: without the Deployment its ReplicaSet answers.
    assert {(f["kind"], f["name"]) for f in json.loads(run.out)} == {
        ("ReplicaSet", "payments-5d9c8f7b6"),
        ("Pod", "debug"),
    }


def test_forbidden_in_a_namespace_names_it_and_the_core_group(tmp_path, capsys):
    api = leaky_cluster()
    api.fail("/api/v1/namespaces/shop/pods", 403)
    run = audit(api, tmp_path, capsys, "-n", "shop")
    assert run.err.splitlines()[0] == (
        'gatehouse: forbidden: cannot list pods in namespace "shop": the audit needs RBAC '
        '"list" on "pods" in the core API group ("")'
    )


def test_a_partial_text_report_says_so_at_its_end(tmp_path, capsys):
    api = leaky_cluster()
    api.fail(PODS, 500)
    run = audit(api, tmp_path, capsys)
    assert run.code == 2
    assert run.out.splitlines()[-1] == (
        "Incomplete report: cannot list pods in all namespaces: the API server answered 500 "
        "Internal Server Error"
    )
    assert "Deployment shop/payments" in run.out


def test_a_partial_sarif_run_is_not_successful(tmp_path, capsys):
    api = leaky_cluster()
    api.fail(DEPLOYMENTS, 403)
    run = audit(api, tmp_path, capsys, "--format", "sarif")
    log = json.loads(run.out)
    assert_valid_sarif(log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"].startswith("forbidden: cannot list deployments.apps")


def test_expired_credentials_stop_the_audit_at_the_first_request(tmp_path, capsys):
    api = leaky_cluster()
    api.fail("/apis/batch/v1/cronjobs", 401)
    run = audit(api, tmp_path, capsys, "--format", "json")
    assert (run.code, run.out) == (2, "")
    (line,) = run.err.splitlines()
    assert line.startswith("gatehouse: unauthorized: the API server at http://127.0.0.1:")
    assert "refused the credentials of fake (expired or revoked?)" in line
    assert len(api.requests) == 1


def test_an_unreachable_api_server_is_one_line(tmp_path, capsys):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig(f"http://127.0.0.1:{port}"))
    from gatehouse.cli import main

    code = main(["audit", "--kubeconfig", str(path)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "gatehouse: unreachable: cannot list cronjobs.batch in all namespaces: no answer from "
        f"the API server at http://127.0.0.1:{port} (connection refused)"
    ]


def test_throttling_is_retried_after_the_servers_delay(tmp_path, capsys):
    api = leaky_cluster()
    api.fail(PODS, 429, times=2, headers={"Retry-After": "0"})
    run = audit(api, tmp_path, capsys, "--format", "json")
    assert (run.code, run.err) == (1, "")
    assert len(api.lists(PODS)) == 3
    assert ("Pod", "debug") in {(f["kind"], f["name"]) for f in json.loads(run.out)}


def test_throttling_that_does_not_stop_fails_after_a_few_tries(tmp_path, capsys):
    api = leaky_cluster()
    api.fail(PODS, 429, headers={"Retry-After": "0"})
    run = audit(api, tmp_path, capsys)
    assert run.code == 2
    assert len(api.lists(PODS)) == RETRIES + 1
    assert run.err.splitlines()[0] == (
        f"gatehouse: throttled: cannot list pods in all namespaces: the API server still "
        f"answered 429 after {RETRIES} retries; try again later"
    )


def test_error_bodies_are_never_echoed(tmp_path, capsys):
    api = leaky_cluster()
    api.fail(DEPLOYMENTS, 422)  # its Status body says "injected 422"
    run = audit(api, tmp_path, capsys)
    assert "injected" not in run.out + run.err
    assert "the API server answered 422" in run.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kubeconfig", "/nonexistent/kubeconfig"], "cannot load the cluster configuration"),
        (["--context", "nope"], "cannot load the cluster configuration"),
    ],
)
def test_a_bad_kubeconfig_or_context_exits_2(tmp_path, capsys, argv, message):
    api = cluster()
    with api.serve() as config:
        path = tmp_path / "kubeconfig"
        path.write_text(config)
        from gatehouse.cli import main

        code = main(["audit", "--kubeconfig", str(path), *argv])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith(f"gatehouse: {message}")
    # The file it read is named: the last --kubeconfig given.
    read = argv[1] if argv[0] == "--kubeconfig" else str(path)
    assert f"from {read} (not in a pod either)" in err
    assert len(err.splitlines()) == 1


class NotAnApiServer(BaseHTTPRequestHandler):
    """A web server at the kubeconfig's address that is no API server: 404 to everything."""

    def do_GET(self) -> None:
        body = b"<html><body>404 page not found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_something_that_is_not_an_api_server_is_one_line(tmp_path, capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotAnApiServer)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host = f"http://127.0.0.1:{server.server_address[1]}"
        path = tmp_path / "kubeconfig"
        path.write_text(kubeconfig(host))
        from gatehouse.cli import main

        code = main(["audit", "--kubeconfig", str(path)])
    finally:
        server.shutdown()
        server.server_close()
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"gatehouse: not a Kubernetes API server: {host} answered 404 to GET "
        "/apis/batch/v1/cronjobs and has no API discovery at /api; check the server address "
        "of fake in the kubeconfig"
    ]


def test_a_kind_the_api_server_does_not_serve_leaves_a_partial_report(tmp_path, capsys):
    api = FakeApiServer(resources=[r for r in WORKLOADS if r.kind != "CronJob"], token=BEARER)
    api.add(*deployment_tree(ROOT, name="payments"))
    run = audit(api, tmp_path, capsys)
    assert run.code == 2
    assert run.err.splitlines() == [
        "gatehouse: cannot list cronjobs.batch: the API server does not serve batch/v1 "
        "CronJob (404)",
        "gatehouse: the report is partial: 1 of 8 kinds could not be listed",
    ]
    assert "Deployment/shop/payments: DENY no-root-containers" in run.out


def test_when_no_kind_can_be_listed_the_lines_end_with_a_summary(tmp_path, capsys):
    api = leaky_cluster()
    for resource in WORKLOADS:
        api.fail(f"{resource.prefix}/{resource.plural}", 403)
    run = audit(api, tmp_path, capsys)
    assert (run.code, run.out) == (2, "")
    lines = run.err.splitlines()
    assert len(lines) == 9
    assert all(line.startswith("gatehouse: forbidden: cannot list ") for line in lines[:8])
    assert lines[8] == "gatehouse: no report: none of the 8 kinds could be listed"


def test_insecure_skip_tls_verify_is_one_warning_not_one_per_request(tmp_path):
    """A subprocess: urllib3 warns through the warnings module, which pytest would capture."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    api = leaky_cluster()
    with api.serve(tls=context) as config:
        path = tmp_path / "kubeconfig"
        path.write_text(config)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gatehouse",
                "audit",
                "--kubeconfig",
                str(path),
                "--page-size",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert len(api.requests) > 8  # a warning per request, were they not silenced
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        "gatehouse: warning: the kubeconfig turns off TLS verification for https://127.0.0.1:"
    )
    assert "InsecureRequestWarning" not in done.stderr
    assert "Deployment/shop/payments: DENY no-root-containers" in done.stdout
