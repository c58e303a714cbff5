"""Write a large, deterministic set of manifests for timing ``gatehouse scan``.

Shaped like real repositories: multi-document files where every workload comes
with a Service and a ConfigMap, all nine workload kinds, and a mix of compliant
and broken containers (literal credentials, root, no limits), so every policy
and the quick pass over non-workloads do real work.

    python -m bench.gen_manifests DIR [--workloads N]
"""

import argparse
import random
from pathlib import Path
from typing import Any

import yaml

from policies.workloads import POD_SPEC_PATHS

KINDS = tuple(POD_SPEC_PATHS)
# Built from parts so no token-shaped literal sits in the source for scanners to trip on.
FAKE_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
PER_FILE = 40


def generate(directory: Path, workloads: int, seed: int = 7) -> int:
    """Write ``workloads`` workloads (plus their Services and ConfigMaps) under ``directory``."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    written = 0
    while written < workloads:
        count = min(PER_FILE, workloads - written)
        documents: list[Any] = []
        for n in range(written, written + count):
            documents += [_workload(rng, n), _service(n), _config_map(n)]
        path = directory / f"team-{written // 1000:03d}" / f"app-{written:06d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.dump_all(documents, Dumper=yaml.CSafeDumper, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        written += count
    return written


def _workload(rng: random.Random, n: int) -> dict[str, Any]:
    kind = KINDS[n % len(KINDS)]
    containers = [_container(rng, f"app-{i}") for i in range(rng.randint(1, 3))]
    pod: dict[str, Any] = {"containers": containers}
    if rng.random() < 0.3:
        pod["initContainers"] = [_container(rng, "init")]
    if rng.random() < 0.5:
        pod["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001}
    template = {"metadata": {"labels": {"app": f"app-{n}"}}, "spec": pod}
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": f"app-{n}", "namespace": f"team-{n % 17}"},
    }
    if kind == "Pod":
        obj["spec"] = pod
    elif kind == "PodTemplate":
        obj["template"] = template
    elif kind == "CronJob":
        obj["spec"] = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}
    else:
        obj["spec"] = {
            "replicas": 2,
            "selector": {"matchLabels": {"app": f"app-{n}"}},
            "template": template,
        }
    return obj


def _container(rng: random.Random, name: str) -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "PORT", "value": "8080"},
        {"name": "DB_HOST", "value": "db.internal"},
        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
    ]
    if rng.random() < 0.05:
        env.append({"name": "AWS_ACCESS_KEY_ID", "value": FAKE_KEY_ID})
    spec: dict[str, Any] = {
        "name": name,
        "image": f"registry.example.com/{name}:1.{rng.randint(0, 9)}",
        "ports": [{"containerPort": 8080}],
        "env": env,
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
    }
    if rng.random() < 0.7:
        spec["resources"] = {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        }
    if rng.random() < 0.4:
        spec["securityContext"] = {"runAsNonRoot": True, "allowPrivilegeEscalation": False}
    return spec


def _service(n: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"app-{n}", "namespace": f"team-{n % 17}"},
        "spec": {"selector": {"app": f"app-{n}"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def _config_map(n: int) -> dict[str, Any]:
    settings = "\n".join(f"setting.{i} = value {i}" for i in range(20))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"app-{n}", "namespace": f"team-{n % 17}"},
        "data": {"app.properties": settings + "\n"},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--workloads", type=int, default=20_000)
    args = parser.parse_args()
    print(f"wrote {generate(args.directory, args.workloads)} workloads under {args.directory}")
