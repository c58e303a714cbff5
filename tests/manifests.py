"""Small builders for the objects tests send: compliant by default, broken on request."""

import copy
import itertools
from typing import Any

_uids = itertools.count(1)

# Where each workload kind keeps its pod spec: written out here, independently of
# policies.workloads.POD_SPEC_PATHS, so the tests check that table rather than copy it.
POD_SPEC_AT = {
    "Pod": "spec",
    "PodTemplate": "template.spec",
    "Deployment": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "ReplicationController": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
}

# Built from parts so no token-shaped literal sits in the source for scanners to trip on.
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example key id
OTHER_AWS_KEY_ID = "AKIA" + "I44QH8DHBEXAMPLE"  # the second id AWS's documentation uses
DB_URL = "postgres://app:" + "s3cr3t-Pa55w0rd" + "@db.internal:5432/app"


def container(name: str = "app", **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "image": "registry.example.com/app:1.0",
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
        "env": [{"name": "LOG_LEVEL", "value": "info"}],
    }
    spec.update(overrides)
    return spec


def leaky_container(name: str = "app") -> dict[str, Any]:
    """The postmortem: an AWS key typed into env, running as root, without limits."""
    return {
        "name": name,
        "image": "registry.example.com/app:1.0",
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "AWS_ACCESS_KEY_ID", "value": AWS_KEY_ID},
        ],
        "securityContext": {"runAsUser": 0},
    }


def pod(
    *containers: dict[str, Any], name: str = "web", namespace: str = "default"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": list(containers) or [container()]},
    }


def deployment(
    *containers: dict[str, Any], name: str = "web", namespace: str = "default", replicas: int = 2
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": list(containers) or [container()]},
            },
        },
    }


def review(
    obj: dict[str, Any] | None,
    operation: str = "CREATE",
    old: dict[str, Any] | None = None,
    user: str = "alice@example.com",
    api_version: str = "admission.k8s.io/v1",
    dry_run: bool = False,
    namespace: str | None = None,
    sub_resource: str | None = None,
) -> dict[str, Any]:
    target = obj or old or {}
    kind = target.get("kind", "Pod")
    group, _, version = target.get("apiVersion", "v1").rpartition("/")
    metadata = target.get("metadata", {})
    request: dict[str, Any] = {
        "uid": f"00000000-0000-0000-0000-{next(_uids):012d}",
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": kind.lower() + "s"},
        "operation": operation,
        "namespace": namespace if namespace is not None else metadata.get("namespace", "default"),
        "name": metadata.get("name", ""),
        "userInfo": {"username": user, "groups": ["system:authenticated"]},
        "dryRun": dry_run,
        "object": copy.deepcopy(obj),
        "oldObject": copy.deepcopy(old),
    }
    if sub_resource:
        request["subResource"] = sub_resource
    return {"apiVersion": api_version, "kind": "AdmissionReview", "request": request}


def debug_container(name: str = "debugger", **overrides: Any) -> dict[str, Any]:
    """What ``kubectl debug -it POD --image=busybox`` adds: no securityContext of its own."""
    return {"name": name, "image": "busybox", "stdin": True, "tty": True, **overrides}


def debugged(obj: dict[str, Any], *ephemeral: dict[str, Any]) -> dict[str, Any]:
    """A Pod as the pods/ephemeralcontainers subresource sends it, with ``ephemeral`` added."""
    added = copy.deepcopy(obj)
    added["spec"].setdefault("ephemeralContainers", []).extend(ephemeral)
    return added


# A GitHub token pasted into an env var's *name* field, built from parts: the name is itself
# the secret, so no output may show it.
TOKEN_NAME = "gh" + "p_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa"


def token_named_container(name: str = "app") -> dict[str, Any]:
    """A compliant container but for two env vars named with a token: one from a Secret,
    one with a literal that is a secret too."""
    return container(
        name,
        env=[
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": TOKEN_NAME, "valueFrom": {"secretKeyRef": {"name": "app", "key": "k"}}},
            {"name": TOKEN_NAME, "value": DB_URL},
        ],
    )


def shows_any_part(secret: str, text: str, piece: int = 8) -> bool:
    """``text`` holds ``secret`` or any ``piece`` characters of it in a row."""
    return any(secret[i : i + piece] in text for i in range(len(secret) - piece + 1))
