"""``gatehouse audit`` against a fake API server through the real kubernetes client.

Each finding once, at the top-most owner Gatehouse checks; exemptions as the
webhook applies them; paging; every report format; exit codes; no secret value
anywhere. API errors: test_audit_errors.py; PolicyReports: test_audit_reports.py.
"""

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from gatehouse.audit import Progress
from gatehouse.cluster import AUDITED
from gatehouse.owners import Tally
from policies import no_plaintext_secrets
from policies.config import load_config
from tests.gatehouse.fake_cluster import (
    Obj,
    audit,
    cluster,
    cronjob_tree,
    deployment_tree,
    owned_by,
    pod_of,
    with_uid,
)
from tests.gatehouse.test_scan_cli import SECRETS, assert_valid_sarif
from tests.manifests import DB_URL, container, deployment, leaky_container, pod

ROOT = container(securityContext={"runAsUser": 0})  # breaks no-root-containers alone
NO_LIMITS = container(resources={})  # breaks require-resource-limits alone


def findings(run_out: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(run_out)
    return found


def reported(run_out: str) -> set[tuple[str, str, str]]:
    return {(f["kind"], f["namespace"], f["name"]) for f in findings(run_out)}


# --- one finding, one place -----------------------------------------------------


def test_deployment_replicaset_and_pods_are_reported_once_at_the_deployment(tmp_path, capsys):
    api = cluster(*deployment_tree(ROOT, name="payments", pods=3))
    run = audit(api, tmp_path, capsys, "--format", "json")
    assert run.code == 1
    (finding,) = findings(run.out)
    assert (finding["kind"], finding["namespace"], finding["name"]) == (
        "Deployment",
        "shop",
        "payments",
    )
    assert finding["policy"] == "no-root-containers"
    assert (finding["owned"], finding["pods"]) == (4, 3)  # the ReplicaSet and its 3 pods
    assert finding["file"] == "cluster:fake"


def test_cronjob_job_and_pod_are_reported_at_the_cronjob(tmp_path, capsys):
    api = cluster(*cronjob_tree(NO_LIMITS, name="nightly"))
    run = audit(api, tmp_path, capsys, "--format", "json")
    assert reported(run.out) == {("CronJob", "shop", "nightly")}
    assert {(f["owned"], f["pods"]) for f in findings(run.out)} == {(2, 1)}


def test_a_pod_whose_controller_gatehouse_does_not_check_is_judged_itself(tmp_path, capsys):
    rollout = with_uid(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "canary", "namespace": "shop"},
        }
    )
    made = owned_by(rollout, pod(ROOT, name="canary-abc"))
    run = audit(cluster(made), tmp_path, capsys, "--format", "json")
    assert reported(run.out) == {("Pod", "shop", "canary-abc")}
    assert "owned" not in findings(run.out)[0]


def test_an_orphan_whose_owner_is_gone_is_judged_itself(tmp_path, capsys):
    *_, pods = deployment_tree(ROOT, name="gone", pods=1)  # its owners are gone
    bare = pod(NO_LIMITS, name="debug", namespace="shop")
    run = audit(cluster(pods, bare), tmp_path, capsys, "--format", "json")
    assert reported(run.out) == {("Pod", "shop", "gone-5d9c8f7b6-0"), ("Pod", "shop", "debug")}


def test_a_replicaset_without_its_deployment_answers_for_its_pods(tmp_path, capsys):
    _, replica_set, *pods = deployment_tree(ROOT, name="left", pods=2)
    run = audit(cluster(replica_set, *pods), tmp_path, capsys, "--format", "json")
    assert reported(run.out) == {("ReplicaSet", "shop", "left-5d9c8f7b6")}
    assert findings(run.out)[0]["pods"] == 2


def test_a_reference_that_is_not_the_controller_does_not_make_an_owner(tmp_path, capsys):
    top = with_uid(deployment(name="web", namespace="shop"))
    tagged = owned_by(top, pod(ROOT, name="tagged"), controller=False)
    run = audit(cluster(top, tagged), tmp_path, capsys, "--format", "json")
    assert reported(run.out) == {("Pod", "shop", "tagged")}


def test_what_a_judged_owner_made_is_not_judged_again(tmp_path, capsys):
    """A pod that differs from its template (a mutating webhook) is its owner's business."""
    top, replica_set, _ = deployment_tree(name="clean", pods=1)
    mutated = pod_of(replica_set, 0, template={"spec": {"containers": [ROOT]}})
    run = audit(cluster(top, replica_set, mutated), tmp_path, capsys, "--format", "json")
    assert (run.code, findings(run.out)) == (0, [])


def test_a_debug_container_added_to_an_owned_pod_is_judged_at_the_pod(tmp_path, capsys):
    """Ephemeral containers come from no template: the pod answers for them itself."""
    top, replica_set, running = deployment_tree(ROOT, name="payments", pods=1)
    debugged = {
        **running,
        "spec": {
            **running["spec"],
            "ephemeralContainers": [{"name": "debugger", "image": "busybox"}],
        },
    }
    run = audit(cluster(top, replica_set, debugged), tmp_path, capsys, "--format", "json")
    found = {(f["kind"], f["name"], f["policy"], f["container"]) for f in findings(run.out)}
    assert found == {
        ("Deployment", "payments", "no-root-containers", "app"),
        ("Pod", running["metadata"]["name"], "no-root-containers", "debugger"),
    }
    deployment_finding = next(f for f in findings(run.out) if f["kind"] == "Deployment")
    assert (deployment_finding["owned"], deployment_finding["pods"]) == (2, 1)
    text = audit(cluster(top, replica_set, debugged), tmp_path, capsys)
    assert "3 objects listed" in text.out and "2 judged, 1 counted under their owners" in text.out


def test_zero_limits_and_privileged_containers_are_reported(tmp_path, capsys):
    zero = container(resources={"limits": {"cpu": 0, "memory": "0Mi"}})
    privileged = container("agent", securityContext={"runAsUser": 1000, "privileged": True})
    api = cluster(*deployment_tree(zero, privileged, name="node-agent", pods=1))
    run = audit(api, tmp_path, capsys, "--format", "json")
    assert run.code == 1
    assert sorted(
        (f["container"], f["path"].rsplit(".", 2)[-2:][-1], f["message"]) for f in findings(run.out)
    ) == [
        ("agent", "privileged", "is privileged: it has root on the node"),
        ("app", "cpu", "sets a cpu limit of zero, which is no limit at all"),
        ("app", "memory", "sets a memory limit of zero, which is no limit at all"),
    ]


def test_every_controller_kind_answers_for_its_pods(tmp_path, capsys):
    objects: list[Obj] = []
    for kind in ("StatefulSet", "DaemonSet", "ReplicationController", "Job"):
        top = deployment(ROOT, name=kind.lower(), namespace="shop")
        top["kind"] = kind
        top["apiVersion"] = (
            "v1"
            if kind == "ReplicationController"
            else ("batch/v1" if kind == "Job" else "apps/v1")
        )
        objects += [with_uid(top), pod_of(top)]
    run = audit(cluster(*objects), tmp_path, capsys, "--format", "json")
    assert reported(run.out) == {
        (kind, "shop", kind.lower())
        for kind in ("StatefulSet", "DaemonSet", "ReplicationController", "Job")
    }
    assert {f["pods"] for f in findings(run.out)} == {1}


# --- exemptions -----------------------------------------------------------------


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(text)
    return str(path)


def test_exempt_namespaces_are_passed_over(tmp_path, capsys):
    api = cluster(
        *deployment_tree(ROOT, namespace="kube-system"), pod(ROOT, name="mine", namespace="shop")
    )
    run = audit(api, tmp_path, capsys, "--format", "json")
    assert reported(run.out) == {("Pod", "shop", "mine")}
    run = audit(api, tmp_path, capsys)
    assert "3 counted under their owners" not in run.out
    assert "4 in exempt namespaces passed over" in run.out


def test_the_config_files_exemptions_apply_as_in_the_webhook(tmp_path, capsys):
    legacy = container(image="registry.example.com/legacy/app:1", securityContext={"runAsUser": 0})
    public_key = container(env=[{"name": "SIGNING_PUBLIC_KEY", "value": DB_URL}])
    api = cluster(
        pod(ROOT, name="in-batch", namespace="batch"),
        pod(legacy, name="legacy", namespace="shop"),
        pod(public_key, name="keys", namespace="shop"),
        pod(
            container(env=[{"name": "DATABASE_URL", "value": DB_URL}]),
            name="leak",
            namespace="shop",
        ),
    )
    path = config(
        tmp_path,
        """\
exemptNamespaces: [kube-system]
policies:
  no-root-containers:
    exemptions:
      namespaces: [batch]
      images: ["registry.example.com/legacy/*"]
  no-plaintext-secrets:
    exemptions:
      envNames: ["*_PUBLIC_KEY"]
""",
    )
    run = audit(api, tmp_path, capsys, "--config", path, "--format", "json")
    assert reported(run.out) == {("Pod", "shop", "leak")}


def test_a_config_error_exits_2_before_any_request(tmp_path, capsys):
    api = cluster()
    run = audit(api, tmp_path, capsys, "--config", config(tmp_path, "mode: audit\n"))
    assert run.code == 2
    assert "mode: 'audit' is not one of enforce, dry-run" in run.err
    assert api.requests == []


# --- scope and paging -----------------------------------------------------------


def test_namespace_narrows_every_list_to_it(tmp_path, capsys):
    api = cluster(
        *deployment_tree(ROOT, namespace="shop"), *deployment_tree(ROOT, namespace="blog")
    )
    run = audit(api, tmp_path, capsys, "-n", "blog", "--format", "json")
    assert reported(run.out) == {("Deployment", "blog", "web")}
    assert {r.path for r in api.requests} == {
        "/apis/batch/v1/namespaces/blog/cronjobs",
        "/apis/apps/v1/namespaces/blog/deployments",
        "/apis/apps/v1/namespaces/blog/statefulsets",
        "/apis/apps/v1/namespaces/blog/daemonsets",
        "/api/v1/namespaces/blog/replicationcontrollers",
        "/apis/apps/v1/namespaces/blog/replicasets",
        "/apis/batch/v1/namespaces/blog/jobs",
        "/api/v1/namespaces/blog/pods",
    }


def test_lists_are_paged_and_each_object_is_fetched_once(tmp_path, capsys):
    trees = [deployment_tree(ROOT, name=f"app-{i}", pods=3) for i in range(4)]
    bare = [pod(NO_LIMITS, name=f"bare-{i}", namespace="shop") for i in range(3)]
    api = cluster(*(o for tree in trees for o in tree), *bare)
    run = audit(api, tmp_path, capsys, "--page-size", "2", "--format", "json")
    pod_pages = api.lists("/api/v1/pods")
    assert len(pod_pages) == 8  # 15 pods, 2 a page
    assert [r.query.get("limit") for r in pod_pages] == ["2"] * 8
    assert len({r.query.get("continue") for r in pod_pages}) == 8  # a new token every page
    assert len(api.lists("/apis/apps/v1/deployments")) == 2
    # Nothing but the lists: no object fetched again on its own.
    assert {(r.method, r.path) for r in api.requests} == {("GET", k.path(None)) for k in AUDITED}
    assert len(api.requests) == 8 + 2 + 2 + 5  # pods, deployments, replicasets, 5 empty kinds
    assert reported(run.out) == {
        *(("Deployment", "shop", f"app-{i}") for i in range(4)),
        *(("Pod", "shop", f"bare-{i}") for i in range(3)),
    }


def test_the_summary_counts_every_listed_object_once(tmp_path, capsys):
    trees = [deployment_tree(ROOT, name=f"app-{i}", pods=3) for i in range(4)]
    api = cluster(
        *(o for tree in trees for o in tree),
        *(pod(NO_LIMITS, name=f"bare-{i}", namespace="shop") for i in range(3)),
    )
    run = audit(api, tmp_path, capsys, "--page-size", "2")
    assert "23 objects listed" in run.out
    assert "7 judged, 16 counted under their owners, 0 in exempt namespaces" in run.out


def test_the_index_of_owners_holds_uids_and_slots_never_objects():
    """Memory: pods are never indexed, and a controller costs a uid and an int."""
    tally = Tally(load_config())
    tree = deployment_tree(ROOT, pods=500)
    for obj in tree:
        tally.see(obj)
    index = tally._answers
    assert set(index) == {tree[0]["metadata"]["uid"], tree[1]["metadata"]["uid"]}
    assert all(type(k) is str and type(v) is int for k, v in index.items())
    (judged,) = tally.judged
    assert all(type(getattr(judged, f)) in (str, int, tuple) for f in judged.__slots__)


# --- formats --------------------------------------------------------------------


def mixed_cluster() -> list[Obj]:
    return [
        *deployment_tree(leaky_container(), name="payments", namespace="shop", pods=2),
        *deployment_tree(NO_LIMITS, name="blog", namespace="web", pods=1),
        *cronjob_tree(name="report", namespace="shop"),
        pod(ROOT, name="debug", namespace="shop"),
        pod(name="fine", namespace="web"),
    ]


def test_text_report_has_blocks_and_a_summary_per_policy_namespace_and_offender(tmp_path, capsys):
    run = audit(cluster(*mixed_cluster()), tmp_path, capsys)
    assert run.code == 1
    assert run.err == ""
    lines = run.out.splitlines()
    assert lines[:4] == [
        "Deployment/shop/payments: DENY no-plaintext-secrets: env AWS_ACCESS_KEY_ID holds a "
        "literal AWS access key id",
        "    in    container app (owned: 3, pods: 2)",
        "    path  spec.template.spec.containers[0].env[1].value",
        f"    fix   {no_plaintext_secrets.HINT}",
    ]
    assert "Pod/shop/debug: DENY no-root-containers: runs as root: runAsUser is 0" in lines
    assert "    in    container app (owned: 2, pods: 1)" in lines  # web/blog's
    assert any(
        line.startswith("Deployment/web/blog: DENY require-resource-limits: ") for line in lines
    )
    summary = run.out[run.out.index("Audit of cluster:fake") :]
    assert re.fullmatch(
        r"Audit of cluster:fake: 12 objects listed in \d+\.\d s; 5 judged, "
        r"7 counted under their owners, 0 in exempt namespaces passed over\.",
        summary.splitlines()[0],
    )
    table = [line.split() for line in summary.splitlines()]
    assert ["no-plaintext-secrets", "1", "2"] in table  # workloads, pods
    assert ["no-root-containers", "2", "3"] in table
    assert ["require-resource-limits", "2", "3"] in table
    assert ["shop", "3", "2", "0"] in table  # judged, denied, dry-run only
    assert ["web", "2", "1", "0"] in table
    offenders = summary[summary.index("Worst offenders") :].splitlines()
    assert [o.split()[:2] for o in offenders[1:4]] == [
        ["Deployment", "shop/payments"],
        ["Deployment", "web/blog"],
        ["Pod", "shop/debug"],
    ]
    assert lines[-1] == "5 workloads scanned, 3 would be denied"


def test_text_report_of_a_clean_cluster(tmp_path, capsys):
    run = audit(cluster(*deployment_tree(name="ok")), tmp_path, capsys)
    assert run.code == 0
    assert run.out.splitlines()[-2:] == ["No findings.", "1 workload scanned, 0 would be denied"]


def test_json_is_scans_list_of_findings_with_the_owned_counts(tmp_path, capsys):
    run = audit(cluster(*mixed_cluster()), tmp_path, capsys, "--format", "json")
    found = findings(run.out)
    assert reported(run.out) == {
        ("Deployment", "shop", "payments"),
        ("Deployment", "web", "blog"),
        ("Pod", "shop", "debug"),
    }
    first = found[0]
    assert set(first) == {
        "file",
        "line",
        "objectLine",
        "kind",
        "namespace",
        "name",
        "policy",
        "container",
        "containerType",
        "path",
        "message",
        "hint",
        "mode",
        "owned",
        "pods",
    }
    assert (first["line"], first["objectLine"], first["mode"]) == (None, None, "enforce")
    assert first["path"].startswith("spec.template.spec.containers[0]")
    debug = [f for f in found if f["name"] == "debug"]
    assert all("owned" not in f for f in debug)


def test_sarif_is_valid_with_logical_locations_and_owned_counts(tmp_path, capsys):
    run = audit(cluster(*mixed_cluster()), tmp_path, capsys, "--format", "sarif")
    log = json.loads(run.out)
    assert_valid_sarif(log)
    (sarif_run,) = log["runs"]
    assert "invocations" not in sarif_run  # complete: as scan writes it
    results = sarif_run["results"]
    assert {r["ruleId"] for r in results} == {
        "no-plaintext-secrets",
        "no-root-containers",
        "require-resource-limits",
    }
    payments = [r for r in results if "Deployment/shop/payments" in r["message"]["text"]]
    assert payments and all(r["properties"]["owned"] == 3 for r in payments)
    assert all("physicalLocation" not in r["locations"][0] for r in results)


def test_output_file_gets_the_report(tmp_path, capsys):
    target = tmp_path / "audit.json"
    run = audit(cluster(*mixed_cluster()), tmp_path, capsys, "-f", "json", "-o", str(target))
    assert (run.code, run.out, run.err) == (1, "", "")
    assert len(findings(target.read_text())) > 0


def test_unwritable_output_file_exits_2(tmp_path, capsys):
    run = audit(cluster(), tmp_path, capsys, "-o", str(tmp_path / "no" / "such" / "file"))
    assert run.code == 2
    assert "cannot write" in run.err


# --- exit status ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "argv", "code"),
    [
        ("enforce", (), 1),
        ("dry-run", (), 0),
        ("enforce", ("--exit-zero",), 0),
    ],
)
def test_exit_status(tmp_path, capsys, mode, argv, code):
    path = config(tmp_path, f"mode: {mode}\n")
    run = audit(cluster(pod(ROOT, namespace="shop")), tmp_path, capsys, "--config", path, *argv)
    assert run.code == code
    assert ("WARN" if mode == "dry-run" else "DENY") in run.out


def test_usage_errors_exit_2(tmp_path, capsys):
    run = audit(cluster(), tmp_path, capsys, "--page-size", "0")
    assert run.code == 2
    assert "--page-size" in run.err


# --- secrets and progress -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_a_detected_secret_never_appears_in_any_output(tmp_path, capsys, fmt):
    api = cluster(
        *mixed_cluster(),
        pod(
            container(env=[{"name": "DATABASE_URL", "value": DB_URL}]), name="db", namespace="shop"
        ),
        policy_reports=True,
    )
    run = audit(api, tmp_path, capsys, "--format", fmt, "--write-reports")
    assert "AWS_ACCESS_KEY_ID" in run.out and "DATABASE_URL" in run.out
    written = json.dumps(api.all("PolicyReport"))
    assert "AWS_ACCESS_KEY_ID" in written
    for secret in SECRETS:
        assert secret not in run.out + run.err + written


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_and_cleared():
    stream = Terminal()
    progress = Progress(stream, interval=0)
    progress.tick("pods", 12345)
    progress.clear()
    assert stream.getvalue() == ("\r\033[Kgatehouse: listing pods, 12,345 objects so far\r\033[K")


def test_progress_is_silent_otherwise(tmp_path, capsys):
    stream = io.StringIO()
    progress = Progress(stream, interval=0)
    progress.tick("pods", 1)
    progress.clear()
    assert stream.getvalue() == ""
    run = audit(cluster(*mixed_cluster()), tmp_path, capsys)
    assert run.err == ""


def test_in_a_pod_without_a_kubeconfig_the_service_account_is_used(tmp_path, monkeypatch):
    from kubernetes.config import incluster_config

    from gatehouse.cluster import connect

    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("service-account-jwt")
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    connected = connect(None, None)
    assert (connected.name, connected.host) == ("in-cluster", "https://10.96.0.1:443")
    assert connected.api.configuration.api_key["BearerToken"] == "bearer service-account-jwt"


def test_equal_findings_are_kept_once_without_what_no_report_shows():
    """Memory grows with what is found, not with copies of it: 100k pods from one leaky
    manifest share one tuple of findings, and no finding keeps its secret's fingerprint."""
    tally = Tally(load_config())
    for n in range(3):
        tally.see(pod(leaky_container(), name=f"copy-{n}", namespace="shop"))
    first, second, third = tally.judged
    assert first.findings is second.findings is third.findings
    assert {f.violation.policy for f in first.findings} >= {"no-plaintext-secrets"}
    assert all(f.violation.fingerprint == b"" for f in first.findings)
    assert [j.name for j in tally.judged] == ["copy-0", "copy-1", "copy-2"]
