"""10. tls.mode=managed against the real control plane: the pods (gunicorn on test hosts of
their own, each with a token of the chart's ServiceAccount under the chart's RBAC) make
the Secret and fill in the caBundle, and the API server verifies what they serve.

A second release of the chart, ``gatehouse-managed`` in a namespace of its own, whose
webhook is called only for this test's namespace and fails closed (failurePolicy Fail):
a review the API server cannot complete is a refused request, never a silent skip.
"""

import base64
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from kubernetes.client import (
    AdmissionregistrationV1Api,
    ApiClient,
    ApiException,
    CoreV1Api,
    RbacAuthorizationV1Api,
    V1Pod,
)

from tests.cluster import netns
from tests.cluster.control_plane import ControlPlane
from tests.cluster.gatehouse import ClusterGatehouse, read, service_host, target_port
from tests.cluster.pod_api import PodApi
from tests.e2e import kind
from tests.e2e.kube import create_namespace, status_message, wait_for, warnings
from tests.e2e.workloads import breaking
from tests.manifests import pod
from webhook.managed_tls import certs

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("dry_run")]

NAME = "gatehouse-managed"
WEBHOOK_NAME = "managed.gatehouse.io"
# Fast enough for a test: checks every second, a new CA served 3 s after it reached the
# caBundle, replaced CAs dropped 10 s after. The defaults are 60 s, 5 min and a day.
TIMINGS = {
    "GATEHOUSE_MANAGED_TLS_CHECK_INTERVAL": "1",
    "GATEHOUSE_MANAGED_TLS_GRACE": "3",
    "GATEHOUSE_MANAGED_TLS_OVERLAP": "10",
}


def release_values(workloads: str, tls_mode: str = "managed") -> dict[str, object]:
    return {
        "fullnameOverride": NAME,
        "tls": {"mode": tls_mode},
        "webhook": {
            "name": WEBHOOK_NAME,
            "failurePolicy": "Fail",
            "namespaceSelector": {
                "matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "In", "values": [workloads]}
                ]
            },
        },
    }


@dataclass
class Release:
    """The second release and its pods, one test host each."""

    api: ApiClient
    kubeconfig: str
    pod_api: PodApi
    namespace: str  # the release's
    workloads: str  # where the test creates what its webhook judges
    workdir: Path
    stack: ExitStack
    pods: list[ClusterGatehouse] = field(default_factory=list)

    def new_pod(self, tls_mode: str = "managed") -> ClusterGatehouse:
        tag = "abcdefgh"[len(self.pods)]
        host = self.stack.enter_context(netns.test_host(tag))
        workdir = self.workdir / f"pod-{tag}"
        workdir.mkdir()
        house = ClusterGatehouse(
            setup=replace(kind.load(), namespace=self.namespace),
            api=self.api,
            kubeconfig=self.kubeconfig,
            probe_namespace=self.workloads,
            workdir=workdir,
            host=host,
            extra_values=release_values(self.workloads, tls_mode),
            env_overrides=TIMINGS,
            pod_api=self.pod_api,
        )
        self.stack.callback(house.close)
        self.pods.append(house)
        return house

    def secret(self) -> dict[str, bytes] | None:
        try:
            found = CoreV1Api(self.api).read_namespaced_secret(
                f"{NAME}-managed-tls", self.namespace
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return {k: base64.b64decode(v) for k, v in (found.data or {}).items()}

    def ca_bundle(self) -> bytes:
        configuration = AdmissionregistrationV1Api(self.api).read_validating_webhook_configuration(
            NAME
        )
        (webhook,) = configuration.webhooks or []
        return base64.b64decode(webhook.client_config.ca_bundle or "")


@pytest.fixture
def release(
    admin_api: ApiClient,
    control_plane: ControlPlane,
    pod_api: PodApi,
    core: CoreV1Api,
    namespace: str,
    tmp_path: Path,
) -> Iterator[Release]:
    with ExitStack() as stack:
        made = Release(
            admin_api,
            control_plane.kubeconfig().read_text(),
            pod_api,
            create_namespace(core),
            namespace,
            tmp_path,
            stack,
        )
        yield made
        stack.close()  # every pod stopped before its webhook configuration goes
        admission = AdmissionregistrationV1Api(admin_api)
        try:
            admission.delete_validating_webhook_configuration(NAME)
        except ApiException as error:
            if error.status != 404:
                raise
        rbac = RbacAuthorizationV1Api(admin_api)
        for delete in (rbac.delete_cluster_role, rbac.delete_cluster_role_binding):
            try:
                delete(f"{NAME}-managed-tls")
            except ApiException as error:
                if error.status != 404:
                    raise
        core.delete_namespace(made.namespace)
        for house in made.pods:
            troubles = house.troubles()
            assert troubles == [], troubles


def served(house: ClusterGatehouse, ca_bundle: bytes) -> bytes:
    """The certificate this pod serves, verified as the API server verifies it."""
    assert house.rendered is not None
    context = ssl.create_default_context(cadata=ca_bundle.decode())
    with (
        socket.create_connection((house.host.address, target_port(house.rendered)), 5) as raw,
        context.wrap_socket(raw, server_hostname=service_host(house.rendered)) as tls,
    ):
        return tls.getpeercert(binary_form=True) or b""


def ready(house: ClusterGatehouse) -> str:
    assert house.server is not None
    status, body = house.server.probe("/readyz")
    assert status == 200, body
    return body.decode()


class Reviews:
    """Server-side dry runs of a root Pod, one after another, through the API server: each
    is judged by this release's webhook (and refused if the API server cannot call it)."""

    def __init__(self, core: CoreV1Api, namespace: str) -> None:
        self.core = core
        self.namespace = namespace
        self.answered = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Reviews":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def review(self) -> None:
        body = V1Pod.model_validate(
            pod(breaking("no-root-containers"), name="rotation-probe", namespace=self.namespace)
        )
        try:
            _, _, headers = self.core.create_namespaced_pod_with_http_info(
                self.namespace, body, dry_run="All"
            )
        except ApiException as error:
            self.failures.append(f"{error.status}: {status_message(error)}")
            return
        if any("would deny" in w for w in warnings(headers)):
            self.answered += 1
        else:
            self.failures.append("no Gatehouse warning")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.review()
            time.sleep(0.05)


def judged_here(house: ClusterGatehouse, namespace: str) -> int:
    return len(house.decisions(namespace=namespace))


def test_a_fresh_install_becomes_ready_and_the_api_server_calls_it(
    release: Release, core: CoreV1Api
) -> None:
    house = release.new_pod()
    house.install(wait=False)
    assert "trusted by the caBundle" in ready(house)
    secret = release.secret()
    assert secret is not None
    assert release.ca_bundle() == secret["ca.crt"]
    assert served(house, release.ca_bundle()) == ssl.PEM_cert_to_DER_cert(
        secret["tls.crt"].decode()
    )
    reviews = Reviews(core, release.workloads)
    reviews.review()
    assert reviews.failures == [] and reviews.answered == 1
    house.wait_decisions("the review in the managed pod's log", namespace=release.workloads)
    # `helm uninstall` deletes the webhook configuration; the Secret goes with it.
    assert house.rendered is not None
    AdmissionregistrationV1Api(release.api).delete_validating_webhook_configuration(NAME)
    wait_for(
        "the garbage collector to delete the Secret", lambda: release.secret() is None, 60, 0.5
    )


def test_two_replicas_racing_at_start_end_with_one_secret(
    release: Release, core: CoreV1Api, control_plane: ControlPlane, pod_api: PodApi
) -> None:
    first, second = release.new_pod(), release.new_pod()
    for house in (first, second):
        house.render_and_apply()
    first.register()
    # Both pods' first calls are held at the relay until both are waiting, then go
    # together: each reads "no Secret" before either has made one, and both create.
    pod_api.relay.hold()
    started = [threading.Thread(target=house.start) for house in (first, second)]
    try:
        for thread in started:
            thread.start()
        wait_for("both pods to call the API server", lambda: pod_api.relay.waiting() >= 2, 30, 0.05)
    finally:
        pod_api.relay.release()
    for thread in started:
        thread.join()
    assert first.server is not None and second.server is not None
    bundle = release.ca_bundle()
    assert served(first, bundle) == served(second, bundle)
    for house in (first, second):
        assert "trusted by the caBundle" in ready(house)
    secrets = CoreV1Api(release.api).list_namespaced_secret(release.namespace).items
    assert [s.metadata.name for s in secrets if s.metadata] == [f"{NAME}-managed-tls"]
    creates = secret_creates(control_plane, release.namespace)
    assert sorted(creates) == [201, 409], creates  # the race happened; the first writer won
    reviews = Reviews(core, release.workloads)
    for _ in range(40):
        reviews.review()
    assert reviews.failures == [] and reviews.answered == 40
    for house in (first, second):  # the API server called both
        house.wait_decisions("a review in each pod's log", namespace=release.workloads)


def secret_creates(plane: ControlPlane, namespace: str) -> list[int]:
    """The answers to the pods' creates of Secrets in ``namespace``, from the audit log."""
    codes = []
    for line in plane.audit_log.read_text().splitlines():
        event = json.loads(line)
        ref = event.get("objectRef", {})
        if (
            event.get("stage") == "ResponseComplete"
            and event.get("verb") == "create"
            and ref.get("resource") == "secrets"
            and ref.get("namespace") == namespace
            and event["user"]["username"].startswith("system:serviceaccount:")
        ):
            codes.append(event["responseStatus"]["code"])
    return codes


def test_a_forced_rotation_is_picked_up_with_no_failed_review(
    release: Release, core: CoreV1Api
) -> None:
    first, second = release.new_pod(), release.new_pod()
    first.install(wait=False)
    second.install(wait=False)
    old_bundle = release.ca_bundle()
    before = {house.host.address: served(house, old_bundle) for house in (first, second)}
    assert len(set(before.values())) == 1
    with Reviews(core, release.workloads) as reviews:
        time.sleep(2)
        # An operator forcing a rotation: a new CA and certificate, the old CA kept.
        CoreV1Api(release.api).delete_namespaced_secret(f"{NAME}-managed-tls", release.namespace)

        def moved() -> bool:
            bundle = release.ca_bundle()
            return all(served(h, bundle) not in before.values() for h in (first, second))

        wait_for("both pods to serve the new certificate", moved, 60, 0.5)
        assert len(certs.load_certs(release.ca_bundle())) == 2  # the overlap
        during = reviews.answered
        wait_for(
            "the old CA to leave the caBundle",
            lambda: len(certs.load_certs(release.ca_bundle())) == 1,
            60,
            0.5,
        )
        time.sleep(2)
    assert reviews.failures == []
    assert during > 0 and reviews.answered > during
    new_secret = release.secret()
    assert new_secret is not None and release.ca_bundle() == new_secret["ca.crt"]
    for house in (first, second):
        assert "trusted by the caBundle" in ready(house)
        assert judged_here(house, release.workloads) > 0


def test_switching_from_the_charts_certificate_keeps_reviews_flowing(
    release: Release, core: CoreV1Api
) -> None:
    """The upgrade from the default (tls.mode=chart) to managed, as a rolling update runs it:
    a new pod surges, becomes ready, and then the old one goes."""
    old = release.new_pod(tls_mode="chart")
    old.install(wait=False)
    chart_bundle = release.ca_bundle()
    with Reviews(core, release.workloads) as reviews:
        time.sleep(2)
        new = release.new_pod()  # helm upgrade --set tls.mode=managed
        new.render_and_apply()
        assert new.rendered is not None
        # The render read the live caBundle back: Helm leaves it as the old pod needs it.
        assert base64.b64decode(new.rendered.webhook["clientConfig"]["caBundle"]) == chart_bundle
        new.register()
        # Helm deletes the chart's Secret; the old pod keeps the files it has mounted.
        CoreV1Api(release.api).delete_namespaced_secret(f"{NAME}-tls", release.namespace)
        new.start()
        assert "trusted by the caBundle" in ready(new)
        bundle = release.ca_bundle()
        assert certs.load_certs(bundle)[1:] == certs.load_certs(chart_bundle)
        assert served(old, bundle) and served(new, bundle)
        time.sleep(2)
        old.remove_endpoints()  # the old pod is taken out of the Service, then stops
        time.sleep(2)
        old.close()
        time.sleep(2)
    assert reviews.failures == []
    assert reviews.answered > 0
    assert judged_here(new, release.workloads) > 0
    wait_for(
        "the chart's CA to leave the caBundle after the overlap",
        lambda: len(certs.load_certs(release.ca_bundle())) == 1,
        60,
        0.5,
    )
    assert read(release.api, new.rendered.one("ValidatingWebhookConfiguration"))
