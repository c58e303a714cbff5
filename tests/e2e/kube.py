"""What an API server answer says, and waiting for the cluster to get somewhere.

The kubernetes client hands back the response headers of a ``*_with_http_info``
call but does nothing with them; admission warnings live there.
"""

import json
import re
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from kubernetes.client import ApiException, AppsV1Api, CoreV1Api, V1Deployment, V1Namespace
from urllib3 import HTTPHeaderDict

T = TypeVar("T")

NAMESPACE_PREFIX = "gatehouse-e2e-"

# RFC 7234 as the API server writes it: 299 - "text", quotes and backslashes escaped.
_WARNING = re.compile(r'\d{3} \S+ "((?:[^"\\]|\\.)*)"')


def warnings(headers: HTTPHeaderDict) -> list[str]:
    """The text of each Warning header, in order."""
    return [_warning_text(value) for value in headers.getlist("Warning")]


def _warning_text(value: str) -> str:
    # http.client reads header bytes as latin-1; the API server writes UTF-8.
    value = value.encode("latin-1", "replace").decode("utf-8", "replace")
    match = _WARNING.match(value)
    return re.sub(r"\\(.)", r"\1", match[1]) if match else value


def status_message(error: ApiException) -> str:
    """The message of the Status the API server refused with: what kubectl prints."""
    try:
        status = json.loads(error.body or "")
    except ValueError:
        return str(error.body)
    return str(status.get("message", "")) if isinstance(status, dict) else str(error.body)


def refusal(webhook: str, kind: str, namespace: str, name: str) -> str:
    """How the API server words Gatehouse's refusal of an object, up to the count."""
    return (
        f'admission webhook "{webhook}" denied the request: '
        f"Gatehouse denied {kind} {namespace}/{name}: "
    )


def policies_named(message: str) -> set[str]:
    """The ids of the `[policy-id] ...` violation lines of a refusal."""
    return {line[1 : line.index("]")] for line in message.splitlines()[1:] if line.startswith("[")}


def wait_for(
    what: str, check: Callable[[], T | None], timeout: float = 180, interval: float = 2
) -> T:
    """Poll ``check`` until it returns something true; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
    return result


def wait_pods(core: CoreV1Api, namespace: str, selector: str, count: int) -> None:
    """Until ``count`` Pods match ``selector``: created, so admitted (running or not)."""

    def created() -> bool:
        return len(core.list_namespaced_pod(namespace, label_selector=selector).items) == count

    wait_for(f"{count} pods {selector} in namespace {namespace}", created)


def wait_ready(apps: AppsV1Api, namespace: str, name: str, replicas: int) -> V1Deployment:
    """Until Deployment ``name`` runs ``replicas`` Ready pods of its current template."""

    def ready() -> V1Deployment | None:
        deployment = apps.read_namespaced_deployment(name, namespace)
        status = deployment.status
        done = (
            status is not None
            and deployment.metadata is not None
            and (status.observed_generation or 0) >= (deployment.metadata.generation or 0)
            and (status.updated_replicas or 0) == replicas
            and (status.ready_replicas or 0) == replicas
            and (status.available_replicas or 0) == replicas
        )
        return deployment if done else None

    return wait_for(f"{replicas} ready replicas of Deployment {namespace}/{name}", ready)


def create_namespace(core: CoreV1Api, name: str | None = None) -> str:
    """A namespace (``name``, or a fresh one) that Pods can be created in.

    Pods wait for the namespace's ``default`` service account, which a controller
    makes moments after the namespace: until then the API server refuses them.
    """
    metadata = {"name": name} if name else {"generateName": NAMESPACE_PREFIX}
    created = core.create_namespace(V1Namespace.model_validate({"metadata": metadata}))
    assert created.metadata is not None and created.metadata.name is not None
    namespace = created.metadata.name

    def has_default_account() -> bool:
        accounts = core.list_namespaced_service_account(namespace).items
        return any(a.metadata is not None and a.metadata.name == "default" for a in accounts)

    wait_for(f"the default service account of namespace {namespace}", has_default_account, 60, 0.2)
    return namespace
