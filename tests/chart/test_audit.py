"""The optional audit CronJob: off by default, read-only RBAC, hardened like the webhook."""

from pathlib import Path

import helm_python
import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from gatehouse.cli import main
from tests.chart.render import CHART_DIR, NAMESPACE, RELEASE, Obj, Rendered, render, to_yaml
from tests.chart.test_lint_and_schemas import KUBE_VERSION, WARNING

AUDIT = {"audit": {"enabled": True}}
WITH_REPORTS = {"audit": {"enabled": True, "writeReports": True}}
NAME = f"{RELEASE}-audit"
READ = ["get", "list"]
RULES = [
    {"apiGroups": [""], "resources": ["pods", "replicationcontrollers"], "verbs": READ},
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
        "verbs": READ,
    },
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": READ},
]
REPORT_RULE = {
    "apiGroups": ["wgpolicyk8s.io"],
    "resources": ["policyreports"],
    "verbs": ["get", "list", "create", "update"],
}


@pytest.fixture(scope="module")
def audit() -> Rendered:
    return render(AUDIT)


def pod_spec(rendered: Rendered) -> Obj:
    cronjob = rendered.one("CronJob", NAME)
    return dict(cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"])


def audit_objects(rendered: Rendered) -> list[Obj]:
    return [
        o
        for o in rendered.objects
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "audit"
    ]


def test_disabled_by_default_renders_nothing(default: Rendered) -> None:
    assert audit_objects(default) == []
    assert default.all("CronJob") == default.all("ClusterRole") == []


@pytest.mark.parametrize("values", [AUDIT, WITH_REPORTS], ids=["audit", "with-reports"])
def test_lints_clean_and_every_object_is_valid_kubernetes(values: Obj) -> None:
    report = helm_python.lint(
        CHART_DIR, values, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}.0"
    )
    assert not [m for m in report["messages"] if m["severity"] >= WARNING]
    assert not report["errors"]
    rendered = audit_objects(render(values))
    assert sorted(o["kind"] for o in rendered) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "CronJob",
        "ServiceAccount",
    ]
    for obj in rendered:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_cluster_role_reads_exactly_the_checked_kinds(audit: Rendered) -> None:
    assert audit.one("ClusterRole", NAME)["rules"] == RULES


def test_writing_reports_adds_exactly_the_policyreport_writes() -> None:
    rendered = render(WITH_REPORTS)
    assert rendered.one("ClusterRole", NAME)["rules"] == [*RULES, REPORT_RULE]
    assert "--write-reports" in pod_spec(rendered)["containers"][0]["command"]


def test_the_binding_gives_the_role_to_the_pods_account(audit: Rendered) -> None:
    binding = audit.one("ClusterRoleBinding", NAME)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": NAME,
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]
    assert pod_spec(audit)["serviceAccountName"] == NAME


def test_only_the_audit_pod_mounts_a_token(audit: Rendered) -> None:
    assert pod_spec(audit)["automountServiceAccountToken"] is True
    assert audit.one("ServiceAccount", NAME)["automountServiceAccountToken"] is False
    assert audit.pod_spec["automountServiceAccountToken"] is False  # the webhook's


def test_runs_the_audit_with_the_webhooks_image_and_config(audit: Rendered) -> None:
    spec = pod_spec(audit)
    (container,) = spec["containers"]
    assert container["image"] == audit.container["image"]
    assert container["command"] == [
        "gatehouse",
        "audit",
        "--config=/etc/gatehouse/config/config.yaml",
        "--format=text",
        "--exit-zero",
    ]
    (mount,) = container["volumeMounts"]
    assert (mount["mountPath"], mount["readOnly"]) == ("/etc/gatehouse/config", True)
    (volume,) = spec["volumes"]
    assert volume["configMap"]["name"] == f"{RELEASE}-config"
    assert spec["restartPolicy"] == "Never"
    cronjob = audit.one("CronJob", NAME)["spec"]
    assert (cronjob["schedule"], cronjob["concurrencyPolicy"]) == ("17 * * * *", "Forbid")


def test_pod_is_hardened_like_the_webhooks(audit: Rendered) -> None:
    spec = pod_spec(audit)
    (container,) = spec["containers"]
    assert spec["securityContext"] == audit.pod_spec["securityContext"]
    assert container["securityContext"] == audit.container["securityContext"]
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = container["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}


def test_a_long_release_name_still_fits_a_cronjobs_52_characters() -> None:
    rendered = render({**AUDIT, "fullnameOverride": "g" * 63})
    (cronjob,) = rendered.all("CronJob")
    assert cronjob["metadata"]["name"] == "g" * 46 + "-audit"
    account = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"]
    assert account == cronjob["metadata"]["name"]


def test_the_cronjob_passes_gatehouses_own_policies(
    audit: Rendered, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.yaml"
    path.write_text(to_yaml(audit_objects(audit)))
    assert main(["scan", str(path)]) == 0, capsys.readouterr().out
    assert "1 workload scanned" in capsys.readouterr().out
    weakened = render({**AUDIT, "securityContext": {"runAsUser": 0}})
    path.write_text(to_yaml(audit_objects(weakened)))
    assert main(["scan", str(path)]) == 1  # control: the scan above is not vacuous


@pytest.mark.parametrize(
    "values",
    [
        {"audit": {"enable": True}},
        {"audit": {"format": "yaml"}},
        {"audit": {"schedule": "hourly"}},
        {"audit": {"resources": {"limits": {"memory": None}}}},
        {"audit": {"activeDeadlineSeconds": 0}},
    ],
    ids=["typo", "format", "schedule", "no memory limit", "deadline"],
)
def test_schema_rejects(values: Obj) -> None:
    with pytest.raises(helm_python.HelmValuesError):
        render(values)
