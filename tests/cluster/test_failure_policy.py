"""7. failurePolicy and timeoutSeconds as the API server applies them. Fail and Ignore
with Gatehouse stopped are the e2e scenarios (tests/e2e/test_failure_policy.py), run
here too; this adds a Gatehouse that accepts the connection and never answers."""

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from kubernetes.client import ApiException, CoreV1Api, V1Pod

from tests.cluster.gatehouse import ClusterGatehouse
from tests.e2e.kube import status_message
from tests.e2e.workloads import runnable
from tests.manifests import pod

pytestmark = pytest.mark.cluster


@contextmanager
def frozen(gatehouse: ClusterGatehouse) -> Iterator[None]:
    """gunicorn and its workers stopped (SIGSTOP): connections open, nothing answers.

    The master is stopped first and resumed last, so it never finds a stopped worker
    and never replaces one meanwhile.
    """
    assert gatehouse.server is not None
    master = gatehouse.server.process.pid
    workers = gatehouse.server.worker_pids()
    for pid in (master, *workers):
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in (*workers, master):
            with suppress(ProcessLookupError):  # a worker on its way out after a reload
                os.kill(pid, signal.SIGCONT)


def test_the_timeout_is_the_charts_and_fail_refuses_after_it(
    gatehouse: ClusterGatehouse, core: CoreV1Api, namespace: str
) -> None:
    gatehouse.configure("enforce", "Fail", timeout_seconds=3)
    assert gatehouse.webhook().timeout_seconds == 3
    with frozen(gatehouse), pytest.raises(ApiException) as caught:
        core.create_namespaced_pod(
            namespace, V1Pod.model_validate(pod(runnable(), name="waits", namespace=namespace))
        )
    message = status_message(caught.value)
    assert caught.value.status == 500, message
    assert f'failed calling webhook "{gatehouse.webhook().name}"' in message
    # The API server tells the webhook its deadline, and gives up at it.
    assert "/validate?timeout=3s" in message, message
    assert "deadline exceeded" in message or "Timeout" in message, message
