"""``gatehouse audit`` when the API says no: one clear line each, retries, partial reports."""

import json
import socket

import pytest

from gatehouse.cluster import RETRIES
from tests.chart.fake_apiserver import kubeconfig
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
    assert len(err.splitlines()) == 1
