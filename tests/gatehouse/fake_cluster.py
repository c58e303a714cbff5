"""Objects as a cluster holds them, and ``gatehouse audit`` run against the fake API server.

A controller's children carry an owner reference to it (``controller: true``,
its uid), the way the API server shows them; the fake API server itself is
tests/chart/fake_apiserver.py, shared with the chart tests.
"""

import copy
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gatehouse.cli import main
from tests.chart.fake_apiserver import BEARER, POLICY_REPORT, WORKLOADS, FakeApiServer
from tests.manifests import container, deployment, pod

Obj = dict[str, Any]
_uids = itertools.count(1)


def cluster(*objects: Obj, policy_reports: bool = False) -> FakeApiServer:
    """A fake API server holding ``objects``; ``policy_reports`` installs that CRD."""
    api = FakeApiServer(
        resources=[*WORKLOADS, *([POLICY_REPORT] if policy_reports else [])], token=BEARER
    )
    api.add(*objects)
    return api


def with_uid(obj: Obj) -> Obj:
    obj["metadata"].setdefault("uid", f"00000000-0000-0000-0000-{next(_uids):012d}")
    return obj


def owned_by(owner: Obj, obj: Obj, *, controller: bool = True) -> Obj:
    """``obj`` in ``owner``'s namespace, with an owner reference to it."""
    with_uid(owner)
    obj["metadata"]["namespace"] = owner["metadata"]["namespace"]
    obj["metadata"]["ownerReferences"] = [
        {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
            "controller": controller,
        }
    ]
    return with_uid(obj)


def pod_of(owner: Obj, index: int = 0, template: Obj | None = None) -> Obj:
    """A pod made from ``template`` (default: the owner's pod template)."""
    spec = template or _pod_template(owner)
    made = pod(name=f"{owner['metadata']['name']}-{index}")
    made["spec"] = copy.deepcopy(spec["spec"])
    return owned_by(owner, made)


def deployment_tree(
    *containers: Obj, name: str = "web", namespace: str = "shop", pods: int = 2
) -> list[Obj]:
    """A Deployment, its ReplicaSet and that ReplicaSet's pods, owners first."""
    top = with_uid(deployment(*containers, name=name, namespace=namespace, replicas=pods))
    replica_set = owned_by(
        top,
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": f"{name}-5d9c8f7b6"},
            "spec": copy.deepcopy(top["spec"]),
        },
    )
    return [top, replica_set, *(pod_of(replica_set, i) for i in range(pods))]


def cronjob_tree(*containers: Obj, name: str = "nightly", namespace: str = "shop") -> list[Obj]:
    """A CronJob, the Job it started and that Job's pod."""
    template = {"spec": {"containers": list(containers) or [container()], "restartPolicy": "Never"}}
    top = with_uid(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}},
        }
    )
    job = owned_by(
        top,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": f"{name}-29000000"},
            "spec": {"template": copy.deepcopy(template)},
        },
    )
    return [top, job, pod_of(job)]


def _pod_template(owner: Obj) -> Obj:
    spec = owner["spec"]
    return dict(
        spec["jobTemplate"]["spec"]["template"] if "jobTemplate" in spec else spec["template"]
    )


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def audit(
    api: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> Run:
    """``gatehouse audit --kubeconfig <the fake's> *argv``, in-process."""
    with api.serve() as kubeconfig:
        path = tmp_path / "kubeconfig"
        path.write_text(kubeconfig)
        code = main(["audit", "--kubeconfig", str(path), *argv])
    out, err = capsys.readouterr()
    return Run(code, out, err)
