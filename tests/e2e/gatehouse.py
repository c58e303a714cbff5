"""Drive the Gatehouse release the way its user does: helm upgrade, scale, ask it.

A switch is over only when no pod with the old settings is left (a terminating
pod still answers during its preStop pause) and Gatehouse answers a server-side
dry run the new way: the next request of a test then meets the new settings.
"""

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from kubernetes.client import (
    AdmissionregistrationV1Api,
    ApiClient,
    ApiException,
    AppsV1Api,
    CoreV1Api,
    V1Deployment,
    V1Pod,
    V1ValidatingWebhook,
)

from tests.e2e.kind import KindSetup
from tests.e2e.kube import status_message, wait_for, wait_ready, warnings
from tests.e2e.workloads import breaking
from tests.manifests import pod
from tests.server import REPO

Mode = Literal["enforce", "dry-run"]
FailurePolicy = Literal["", "Fail", "Ignore"]


class HelmError(Exception):
    """A helm command failed; the message carries the command and what helm said."""


@dataclass(frozen=True)
class Gatehouse:
    """The release in ``setup.namespace`` of the cluster behind ``context``.

    ``probe_namespace`` is where the dry-run probe is judged: any namespace the
    webhook is called for.
    """

    setup: KindSetup
    context: str
    api: ApiClient
    probe_namespace: str

    @property
    def selector(self) -> str:
        """The webhook pods and their Deployment (the chart's selector labels)."""
        return (
            f"app.kubernetes.io/instance={self.setup.release},app.kubernetes.io/component=webhook"
        )

    def settings(self) -> tuple[Mode, FailurePolicy]:
        """(mode, webhook.failurePolicy) as the release's values set them."""
        values = json.loads(self._helm("get", "values", self.setup.release, "--output", "json"))
        mode = (values or {}).get("mode")
        failure_policy = (values or {}).get("webhook", {}).get("failurePolicy", "")
        assert failure_policy in ("", "Fail", "Ignore"), failure_policy
        # An unset mode is the chart's default, dry-run.
        return ("enforce" if mode == "enforce" else "dry-run"), failure_policy

    def configure(self, mode: Mode, failure_policy: FailurePolicy = "") -> None:
        """``helm upgrade`` to ``mode`` and ``failure_policy`` ("" derives it from the mode).

        The values file is applied again, so a setting a test changed does not
        outlive it; the release's other values are kept (the image ID `make
        kind-deploy` set), on top of the chart's current defaults.
        """
        if self.settings() == (mode, failure_policy):
            return
        args = [
            "upgrade",
            self.setup.release,
            str(self.setup.chart),
            "--reset-then-reuse-values",
            "--values",
            str(self.setup.values),
            "--set",
            f"mode={mode}",
        ]
        if failure_policy:
            args += ["--set", f"webhook.failurePolicy={failure_policy}"]
        self._helm(*args)
        self.wait_rolled_out()
        self.wait_answering(mode)

    def webhook(self) -> V1ValidatingWebhook:
        """The webhook as the API server sees it."""
        configurations = (
            AdmissionregistrationV1Api(self.api)
            .list_validating_webhook_configuration(
                label_selector=f"app.kubernetes.io/instance={self.setup.release}"
            )
            .items
        )
        assert len(configurations) == 1, configurations
        (webhook,) = configurations[0].webhooks or []
        return webhook

    def deployment(self) -> V1Deployment:
        (deployment,) = (
            AppsV1Api(self.api)
            .list_namespaced_deployment(self.setup.namespace, label_selector=self.selector)
            .items
        )
        return deployment

    @contextmanager
    def unreachable(self) -> Iterator[None]:
        """No Gatehouse pod at all for the duration: scaled to zero, then back."""
        spec = self.deployment().spec
        assert spec is not None and spec.replicas is not None
        replicas = spec.replicas
        self._scale(0)
        try:
            self.wait_rolled_out()
            yield
        finally:
            self._scale(replicas)
            self.wait_rolled_out()
            self.wait_answering(self.settings()[0])

    def wait_rolled_out(self) -> None:
        """Until every webhook pod runs the current template and none is terminating."""
        deployment = self.deployment()
        assert deployment.metadata is not None and deployment.metadata.name is not None
        assert deployment.spec is not None and deployment.spec.replicas is not None
        replicas = deployment.spec.replicas
        wait_ready(AppsV1Api(self.api), self.setup.namespace, deployment.metadata.name, replicas)
        core = CoreV1Api(self.api)

        def old_pods_gone() -> bool:
            pods = core.list_namespaced_pod(
                self.setup.namespace, label_selector=self.selector
            ).items
            return len(pods) == replicas and not any(
                p.metadata is not None and p.metadata.deletion_timestamp for p in pods
            )

        wait_for("the old Gatehouse pods to be gone", old_pods_gone)

    def wait_answering(self, mode: Mode) -> None:
        wait_answering(self.api, self.probe_namespace, mode)

    def _scale(self, replicas: int) -> None:
        metadata = self.deployment().metadata
        assert metadata is not None and metadata.name is not None
        AppsV1Api(self.api).patch_namespaced_deployment_scale(
            metadata.name, self.setup.namespace, {"spec": {"replicas": replicas}}
        )

    def _helm(self, *args: str) -> str:
        command = [
            "helm",
            *args,
            "--kube-context",
            self.context,
            "--namespace",
            self.setup.namespace,
        ]
        done = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            raise HelmError(f"{' '.join(command)} failed:\n{done.stderr.strip()}")
        return done.stdout


def wait_answering(api: ApiClient, namespace: str, mode: Mode) -> None:
    """Until Gatehouse judges a root container in ``namespace`` the way ``mode`` does.

    A server-side dry run: nothing is stored, and the answer is the one the next
    request of a test meets.
    """
    core = CoreV1Api(api)
    probe = V1Pod.model_validate(
        pod(breaking("no-root-containers"), name="gatehouse-probe", namespace=namespace)
    )

    def answered() -> bool:
        try:
            _, _, headers = core.create_namespaced_pod_with_http_info(
                namespace, probe, dry_run="All"
            )
        except ApiException as error:
            return (
                mode == "enforce"
                and error.status == 403
                and "Gatehouse denied" in status_message(error)
            )
        return mode == "dry-run" and any("would deny" in w for w in warnings(headers))

    wait_for(f"Gatehouse to answer in {mode} mode", answered, timeout=120)
