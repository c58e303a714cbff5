"""Objects per second and peak memory of ``gatehouse audit`` on 10k and 100k objects.

The cluster is the fake API server of the tests (tests/chart/fake_apiserver.py)
serving realistic objects (status, labels, owner references; about 2 KB a pod
as the API server sends them): per app a Deployment, its ReplicaSet and 8 pods,
plus standalone pods for a tenth of the objects. A third of the Deployments
run as root and a fifth of the standalone pods have no limits, so there are
findings to keep. The server runs in a process of its own, so that the
measuring process stays small: a child's peak RSS counts what it inherited at
fork. The real command runs as a subprocess (its default page size of 500, a
text report to /dev/null), timed from start to exit, and its peak RSS is read
from ``wait4``'s rusage of that very process. An empty cluster gives the
baseline: interpreter, client and policies.

A second mix is the worst case for memory: half the objects are standalone
pods and a fifth of all objects violate (run as root, no limits) with no owner
to answer for them, so the audit keeps a finding for every fifth object. Peak
RSS at 100k objects should stay within 1.5x of 10k.

    make bench-audit          # or: python -m bench.audit_bench [SIZE ...]
"""

import copy
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson

from tests.chart.fake_apiserver import BEARER, WORKLOADS, FakeApiServer

SIZES = (10_000, 100_000)
PODS_PER_APP = 8
NAMESPACES = 50

_CONTAINER = {
    "name": "app",
    "image": "registry.example.com/shop/app:1.4.2",
    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
    "env": [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "PORT", "value": "8080"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
    ],
    "resources": {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    },
    "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
    "livenessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10},
    "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True}],
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
    },
    "terminationMessagePath": "/dev/termination-log",
    "imagePullPolicy": "IfNotPresent",
}
_POD_SPEC = {
    "containers": [_CONTAINER],
    "volumes": [{"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}}],
    "restartPolicy": "Always",
    "dnsPolicy": "ClusterFirst",
    "serviceAccountName": "app",
    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    "tolerations": [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        }
    ],
}
_STATUS = {
    "phase": "Running",
    "hostIP": "10.0.3.17",
    "podIP": "10.244.3.121",
    "startTime": "2026-11-01T08:00:00Z",
    "conditions": [
        {"type": t, "status": "True", "lastTransitionTime": "2026-11-01T08:00:04Z"}
        for t in (
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        )
    ],
    "containerStatuses": [
        {
            "name": "app",
            "ready": True,
            "restartCount": 0,
            "started": True,
            "image": "registry.example.com/shop/app:1.4.2",
            "imageID": "registry.example.com/shop/app@sha256:" + "ab" * 32,
            "containerID": "containerd://" + "cd" * 32,
            "state": {"running": {"startedAt": "2026-11-01T08:00:03Z"}},
        }
    ],
}


def _metadata(
    name: str,
    namespace: str,
    uid: str,
    owner: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": uid,
        "resourceVersion": "123456",
        "creationTimestamp": "2026-11-01T08:00:00Z",
        "labels": {
            "app.kubernetes.io/name": name.split("-")[0],
            "app.kubernetes.io/part-of": "shop",
            "pod-template-hash": "5d9c8f7b6",
        },
    }
    if owner:
        kind, owner_name, owner_uid = owner
        metadata["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": kind,
                "name": owner_name,
                "uid": owner_uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return metadata


def _pod_spec(root: bool = False, limits: bool = True) -> dict[str, Any]:
    spec = copy.deepcopy(_POD_SPEC)
    if root:
        spec["containers"][0]["securityContext"] = {"runAsUser": 0}
    if not limits:
        del spec["containers"][0]["resources"]["limits"]
    return spec


def objects(size: int, violating: float | None = None) -> Iterator[tuple[str, str, str, bytes]]:
    """``(kind, namespace, name, list item JSON)``, owners before what they own.

    ``violating``: the share of all objects that are standalone pods with findings
    (then half the objects are standalone pods, and the apps are all clean).
    """
    share = 0.1 if violating is None else 0.5
    apps = int(size * (1 - share)) // (PODS_PER_APP + 2)
    bare = size - apps * (PODS_PER_APP + 2)
    leaky, clean = _pod_spec(root=True), _pod_spec()
    if violating is not None:
        leaky = clean
    for app in range(apps):
        namespace, name = f"team-{app % NAMESPACES}", f"app{app}"
        spec = leaky if app % 3 == 0 else clean
        template = {"metadata": {"labels": {"app.kubernetes.io/name": name}}, "spec": spec}
        workload = {
            "replicas": PODS_PER_APP,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": template,
        }
        uid, rs_uid = f"d-{app}", f"rs-{app}"
        yield (
            "Deployment",
            namespace,
            name,
            orjson.dumps({"metadata": _metadata(name, namespace, uid), "spec": workload}),
        )
        rs_name = f"{name}-5d9c8f7b6"
        yield (
            "ReplicaSet",
            namespace,
            rs_name,
            orjson.dumps(
                {
                    "metadata": _metadata(rs_name, namespace, rs_uid, ("Deployment", name, uid)),
                    "spec": workload,
                }
            ),
        )
        for index in range(PODS_PER_APP):
            pod_name = f"{rs_name}-{index:05d}"
            yield (
                "Pod",
                namespace,
                pod_name,
                orjson.dumps(
                    {
                        "metadata": _metadata(
                            pod_name, namespace, f"p-{app}-{index}", ("ReplicaSet", rs_name, rs_uid)
                        ),
                        "spec": spec,
                        "status": _STATUS,
                    }
                ),
            )
    no_limits = _pod_spec(limits=False)
    # Every how many standalone pods one violates.
    every = 5 if violating is None else max(1, round(bare / (size * violating)))
    if violating is not None:
        no_limits = _pod_spec(root=True, limits=False)
    for index in range(bare):
        namespace, name = f"team-{index % NAMESPACES}", f"job{index}"
        yield (
            "Pod",
            namespace,
            name,
            orjson.dumps(
                {
                    "metadata": _metadata(name, namespace, f"b-{index}"),
                    "spec": no_limits if index % every == 0 else clean,
                    "status": _STATUS,
                }
            ),
        )


def serve(size: int, violating: float | None, pipe: Connection) -> None:
    """In its own process: serve ``size`` objects, send the kubeconfig, then, when told
    to stop, the number of list requests."""
    api = FakeApiServer(resources=list(WORKLOADS), token=BEARER)
    by_kind: dict[str, list[tuple[str, str, bytes]]] = {}
    for kind, namespace, name, body in objects(size, violating):
        by_kind.setdefault(kind, []).append((namespace, name, body))
    for kind, items in by_kind.items():
        api.add_encoded(kind, items)
    del by_kind
    with api.serve() as kubeconfig:
        pipe.send(kubeconfig)
        pipe.recv()
    pipe.send(sum(1 for r in api.requests if r.method == "GET"))


def measure(size: int, workdir: Path, violating: float | None = None) -> float:
    """Time one audit of ``size`` objects, print its rate and peak RSS; the RSS in MiB."""
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(size, violating, theirs)
    )
    server.start()
    path = workdir / "kubeconfig"
    path.write_text(ours.recv())
    command = [
        str(Path(sys.executable).with_name("gatehouse")),
        "audit",
        "--kubeconfig",
        str(path),
        "--output",
        os.devnull,
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE)  # noqa: S603 - our command
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    ours.send("stop")
    requests = ours.recv()
    server.join()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1) and process.stderr:
        sys.exit(f"gatehouse audit failed ({code}): {process.stderr.read().decode()[-500:]}")
    rate = f"{size / seconds:>7,.0f} objects/s" if size else "  (start-up only)"
    rss = usage.ru_maxrss / 1024
    print(
        f"  {size:>7,} objects: {seconds:6.2f} s = {rate}, peak RSS "
        f"{rss:5.1f} MiB ({requests} list requests)",
        flush=True,
    )
    return rss


def run(sizes: tuple[int, ...] = SIZES) -> None:
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; gatehouse audit as a "
        "subprocess against the fake API server, page size 500",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="gatehouse-audit-bench-") as tmp:
        measure(0, Path(tmp))  # the baseline: start-up, no objects
        print("realistic mix (a Deployment, its ReplicaSet and 8 pods per app):", flush=True)
        for size in sizes:
            measure(size, Path(tmp))
        print("worst case for memory: a fifth of the objects violate, each on its own:")
        peaks = [measure(size, Path(tmp), violating=0.2) for size in sizes]
        if len(peaks) > 1:
            print(
                f"  peak RSS at {sizes[-1]:,} is {peaks[-1] / peaks[0]:.2f}x that at {sizes[0]:,}"
            )


if __name__ == "__main__":
    run(tuple(int(a) for a in sys.argv[1:]) or SIZES)
