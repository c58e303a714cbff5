"""`gatehouse audit` reports what already runs in a namespace: each workload once,
at the object a person wrote (a Deployment, not its ReplicaSet or Pods)."""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from kubernetes.client import AppsV1Api, CoreV1Api, V1Deployment, V1Pod

from tests.e2e.kube import wait_pods
from tests.e2e.workloads import breaking
from tests.manifests import deployment, pod

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("dry_run")]

GATEHOUSE = Path(sys.executable).with_name("gatehouse")


def test_audit_reports_each_running_workload_once_at_its_owner(
    new_namespace: Callable[[], str], apps: AppsV1Api, core: CoreV1Api
) -> None:
    namespace = new_namespace()  # its own: every object in it is one of these two
    apps.create_namespaced_deployment(
        namespace,
        V1Deployment.model_validate(
            deployment(
                breaking("no-root-containers"), name="runs-as-root", namespace=namespace, replicas=2
            )
        ),
    )
    core.create_namespaced_pod(
        namespace,
        V1Pod.model_validate(
            pod(breaking("require-resource-limits"), name="no-limits", namespace=namespace)
        ),
    )
    wait_pods(core, namespace, "app=runs-as-root", 2)  # its ReplicaSet and Pods exist too

    # The same kubeconfig and current context as this suite (checked by the fixtures).
    audit = subprocess.run(
        [str(GATEHOUSE), "audit", "-n", namespace, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert audit.returncode == 1, f"exit 1 when something would be denied:\n{audit.stderr}"
    findings = json.loads(audit.stdout)

    assert {(f["kind"], f["namespace"], f["name"]) for f in findings} == {
        ("Deployment", namespace, "runs-as-root"),
        ("Pod", namespace, "no-limits"),
    }
    by_kind = {
        kind: [f["policy"] for f in findings if f["kind"] == kind] for kind in ("Deployment", "Pod")
    }
    assert by_kind["Deployment"] == ["no-root-containers"]
    assert set(by_kind["Pod"]) == {"require-resource-limits"}
