"""``make audit-demo``: ``gatehouse audit`` against a small shop, served by the tests' API stand-in.

The README's audit example is this command's output, so anyone can reproduce it
without a cluster. The stand-in (tests/chart/fake_apiserver.py) serves the
objects as the API server lists them; the audit is the real command, run as a
subprocess with a kubeconfig for the stand-in. Arguments after the options go
to ``gatehouse audit``; ``--forbid deployments`` answers 403 to that list, as a
cluster without the RBAC rule would.

    python -m hack.audit_demo [--forbid PLURAL] [AUDIT ARGUMENTS ...]
"""

import argparse
import copy
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.chart.fake_apiserver import BEARER, WORKLOADS, FakeApiServer
from tests.gatehouse.fake_cluster import (
    cronjob_tree,
    deployment_tree,
    owned_by,
    pod_of,
    with_uid,
)
from tests.manifests import AWS_KEY_ID, container

CONTEXT = "kind-gatehouse-dev"  # what the stand-in's kubeconfig calls the cluster
LIMITS = {"limits": {"cpu": "500m", "memory": "256Mi"}}
ROOT = {"runAsUser": 0}

Obj = dict[str, Any]


def shop() -> list[Obj]:
    """A shop and a blog as a cluster would hold them, owners first."""
    api = container(
        "api",
        image="registry.example.com/shop/payments:2.3.1",
        env=[
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "AWS_ACCESS_KEY_ID", "value": AWS_KEY_ID},
        ],
        securityContext=ROOT,
    )
    ghost = container("ghost", image="ghost:5", resources={"limits": {"memory": "512Mi"}})
    report = container("report", image="registry.example.com/shop/report:1", resources={})
    postgres = container("postgres", image="postgres:16", securityContext={})
    exporter = container("node-exporter", image="prom/node-exporter:v1.8.2")
    proxy = container("kube-proxy", image="registry.k8s.io/kube-proxy:v1.33.1", securityContext={})
    return [
        *cronjob_tree(report, name="nightly-report", namespace="shop"),
        *deployment_tree(api, name="payments", namespace="shop", pods=3),
        *deployment_tree(ghost, name="ghost", namespace="blog", pods=2),
        *deployment_tree(name="storefront", namespace="shop", pods=2),
        *workload_tree("StatefulSet", postgres, name="postgres", namespace="shop", pods=2),
        *workload_tree("DaemonSet", exporter, name="node-exporter", namespace="monitoring", pods=3),
        *workload_tree("DaemonSet", proxy, name="kube-proxy", namespace="kube-system", pods=3),
        rollout_pod(),
        debug_pod(),
    ]


def workload_tree(kind: str, spec: Obj, *, name: str, namespace: str, pods: int) -> list[Obj]:
    """A StatefulSet or DaemonSet and the pods it made."""
    top = with_uid(
        {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [spec]}}
            },
        }
    )
    return [top, *(pod_of(top, index) for index in range(pods))]


def rollout_pod() -> Obj:
    """A pod made by an Argo Rollout: a kind Gatehouse does not judge, so the pod answers."""
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "checkout", "namespace": "shop"},
    }
    checkout = container("checkout", image="registry.example.com/shop/checkout:4", resources={})
    made = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "checkout-7f9d4-x2k8p"},
        "spec": {"containers": [checkout]},
    }
    return owned_by(rollout, made)


def debug_pod() -> Obj:
    """Someone's shell, started by hand and left running."""
    shell = container("debug", image="busybox:1.36", securityContext=ROOT, resources={})
    return with_uid(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "debug-shell", "namespace": "blog"},
            "spec": {"containers": [shell]},
        }
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forbid", metavar="PLURAL", help="answer 403 to listing this kind")
    options, audit_args = parser.parse_known_args(argv)
    api = FakeApiServer(resources=list(WORKLOADS), token=BEARER)
    api.add(*copy.deepcopy(shop()))
    if options.forbid:
        resource = next(r for r in WORKLOADS if r.plural == options.forbid)
        api.fail(f"{resource.prefix}/{resource.plural}", 403)
    with (
        tempfile.TemporaryDirectory(prefix="gatehouse-demo-") as tmp,
        api.serve(context=CONTEXT) as config,
    ):
        kubeconfig = Path(tmp) / "demo.kubeconfig"
        kubeconfig.write_text(config)
        command = [
            str(Path(sys.executable).with_name("gatehouse")),
            "audit",
            "--kubeconfig",
            str(kubeconfig),
            *audit_args,
        ]
        return subprocess.run(command, check=False).returncode  # noqa: S603 - our own command


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
