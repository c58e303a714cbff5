"""``gatehouse audit --write-reports``: a PolicyReport per namespace, kept up to date in place."""

import json

import pytest

from gatehouse.owners import Judged
from gatehouse.policy_reports import NAME, NOT_INSTALLED, build
from policies.base import Violation
from policies.config import load_config
from policies.engine import Finding
from policies.workloads import MALFORMED_ID
from tests.gatehouse.fake_cluster import audit, cluster, deployment_tree
from tests.manifests import TOKEN_NAME, container, pod, shows_any_part, token_named_container

ROOT = container(securityContext={"runAsUser": 0})
NO_LIMITS = container(resources={})
REPORTS = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports"


def leaky_objects():
    return [
        *deployment_tree(ROOT, name="payments", namespace="shop", pods=2),
        pod(NO_LIMITS, name="debug", namespace="shop"),
        pod(name="fine", namespace="shop"),
        pod(name="ok", namespace="blog"),
    ]


def test_a_report_per_namespace_with_a_result_per_object_and_policy(tmp_path, capsys):
    api = cluster(*leaky_objects(), policy_reports=True)
    run = audit(api, tmp_path, capsys, "--write-reports")
    assert (run.code, run.err) == (1, "")
    shop = api.get("PolicyReport", "shop", NAME)
    blog = api.get("PolicyReport", "blog", NAME)
    assert shop is not None and blog is not None
    assert shop["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "gatehouse"}
    assert shop["scope"] == {"apiVersion": "v1", "kind": "Namespace", "name": "shop"}
    # 3 objects judged x 3 policies = 9 checks: 2 fail, 7 pass.
    assert shop["summary"] == {"pass": 7, "fail": 2, "warn": 0, "error": 0, "skip": 0}
    assert blog["summary"] == {"pass": 3, "fail": 0, "warn": 0, "error": 0, "skip": 0}
    assert blog["results"] == []
    root, limits = sorted(shop["results"], key=lambda r: r["policy"])
    deployment = api.get("Deployment", "shop", "payments")
    assert root == {
        "source": "gatehouse",
        "policy": "no-root-containers",
        "rule": "no-root-containers",
        "result": "fail",
        "severity": "high",
        "scored": True,
        "message": "container app: runs as root: runAsUser is 0 "
        "(spec.template.spec.containers[0].securityContext.runAsUser)",
        "resources": [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "namespace": "shop",
                "name": "payments",
                "uid": deployment["metadata"]["uid"],
            }
        ],
        "properties": {"mode": "enforce", "owned": "3", "pods": "2"},
        "timestamp": root["timestamp"],
    }
    assert set(root["timestamp"]) == {"seconds", "nanos"}
    assert limits["resources"][0]["name"] == "debug"
    assert limits["message"].count(";") == 1  # cpu and memory: one result, two messages
    assert limits["severity"] == "medium"


def test_the_next_run_updates_the_reports_in_place(tmp_path, capsys):
    api = cluster(*leaky_objects(), policy_reports=True)
    audit(api, tmp_path, capsys, "--write-reports")
    first = api.get("PolicyReport", "shop", NAME)
    api.add(pod(name="debug", namespace="shop"))  # fixed: same name, limits set
    api.requests.clear()
    run = audit(api, tmp_path, capsys, "--write-reports")
    assert run.code == 1  # the Deployment still runs as root
    second = api.get("PolicyReport", "shop", NAME)
    assert second["metadata"]["uid"] == first["metadata"]["uid"]
    assert second["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]
    assert [r["policy"] for r in second["results"]] == ["no-root-containers"]
    assert second["summary"]["fail"] == 1
    writes = [(r.method, r.path) for r in api.requests if r.method != "GET"]
    assert writes == [  # namespaces in order
        ("PUT", f"/apis/wgpolicyk8s.io/v1alpha2/namespaces/blog/policyreports/{NAME}"),
        ("PUT", f"{REPORTS}/{NAME}"),
    ]


def test_an_update_that_loses_a_race_is_tried_again(tmp_path, capsys):
    api = cluster(*leaky_objects(), policy_reports=True)
    audit(api, tmp_path, capsys, "--write-reports")
    api.fail(f"{REPORTS}/{NAME}", 409, times=1, method="PUT")
    run = audit(api, tmp_path, capsys, "--write-reports")
    assert (run.code, run.err) == (1, "")
    assert len([r for r in api.requests if r.method == "PUT" and "shop" in r.path]) == 2


def test_dry_run_findings_are_warnings(tmp_path, capsys):
    config = tmp_path / "gatehouse.yaml"
    config.write_text("mode: dry-run\n")
    api = cluster(*leaky_objects(), policy_reports=True)
    run = audit(api, tmp_path, capsys, "--write-reports", "--config", str(config))
    assert run.code == 0
    report = api.get("PolicyReport", "shop", NAME)
    assert {r["result"] for r in report["results"]} == {"warn"}
    assert report["summary"]["warn"] == 2


def test_without_the_crd_the_audit_says_so_and_writes_nothing(tmp_path, capsys):
    api = cluster(*leaky_objects())
    run = audit(api, tmp_path, capsys, "--write-reports")
    assert run.code == 1  # the findings decide, as without --write-reports
    assert run.err == f"gatehouse: {NOT_INSTALLED}\n"
    assert all(r.method == "GET" for r in api.requests)


def test_a_partial_listing_writes_no_reports(tmp_path, capsys):
    api = cluster(*leaky_objects(), policy_reports=True)
    api.fail("/apis/apps/v1/deployments", 403)
    run = audit(api, tmp_path, capsys, "--write-reports")
    assert run.code == 2
    assert "gatehouse: PolicyReports not written: the listing is partial" in run.err
    assert api.all("PolicyReport") == []


def test_a_refused_write_names_the_rbac_rule(tmp_path, capsys):
    api = cluster(*leaky_objects(), policy_reports=True)
    api.fail(REPORTS, 403, method="POST")
    run = audit(api, tmp_path, capsys, "--write-reports", "-n", "shop")
    assert run.code == 2
    assert (
        'forbidden: cannot create policyreports.wgpolicyk8s.io in namespace "shop": the '
        'audit needs RBAC "create" on "policyreports" in API group "wgpolicyk8s.io"'
    ) in run.err
    assert "Deployment shop/payments" in run.out  # the audit's own report is still printed


@pytest.mark.parametrize(("exempt", "passed"), [([], 5), (["shop"], 3)])
def test_passes_count_each_object_and_policy_that_applies(exempt, passed):
    config = load_config()
    if exempt:
        from policies.config import parse_config

        config = parse_config(
            {"policies": {"no-root-containers": {"exemptions": {"namespaces": exempt}}}}
        )
    malformed = Judged(
        "Pod",
        "v1",
        "shop",
        "bad",
        "u1",
        (
            Finding(
                Violation(MALFORMED_ID, "", None, "spec.containers", "expected a list", "fix"),
                "enforce",
            ),
        ),
    )
    limits = Judged(
        "Pod",
        "v1",
        "shop",
        "p",
        "u2",
        (
            Finding(
                Violation(
                    "require-resource-limits",
                    "app",
                    "container",
                    "spec.containers[0].resources.limits.cpu",
                    "sets no cpu limit",
                    "set it",
                ),
                "enforce",
            ),
        ),
    )
    # 3 objects judged: one clean, one malformed (checked by no policy), one without limits.
    report = build("shop", [malformed, limits], 3, config, 0)
    assert report["summary"] == {"pass": passed, "fail": 1, "warn": 0, "error": 1, "skip": 0}
    assert [r["result"] for r in report["results"]] == ["error", "fail"]


def test_a_credential_in_an_env_name_is_reported_but_never_shown(tmp_path, capsys):
    """Every audit output, PolicyReports included: the finding is there, the name is not."""
    objects = deployment_tree(token_named_container(), name="api", namespace="shop", pods=1)
    api = cluster(*objects, policy_reports=True)
    outputs = []
    for report in ("text", "json", "sarif"):
        run = audit(api, tmp_path, capsys, "--format", report, "--write-reports")
        assert (run.code, run.err) == (1, "")
        outputs.append(run.out)
    assert outputs[0].count("holds a literal GitHub token in its name") == 2
    shop = api.get("PolicyReport", "shop", NAME)
    assert shop is not None
    (result,) = [r for r in shop["results"] if r["policy"] == "no-plaintext-secrets"]
    assert result["message"].count("(name withheld)") == 3
    outputs.append(json.dumps(shop))
    for text in outputs:
        assert not shows_any_part(TOKEN_NAME, text)
