"""The certificate controller against a fake API server, through the real kubernetes client:
first writer wins, conflicts are read again, the caBundle is kept, a pod switches to a new
CA's certificate only after the grace, and nothing it logs holds key material."""

import base64
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
import urllib3
from kubernetes.client import ApiException

from tests.chart.fake_apiserver import BEARER, SECRETS, VALIDATING_WEBHOOKS, FakeApiServer
from tests.webhook.managed_tls import hostile
from webhook import audit_log
from webhook.managed_tls import certs
from webhook.managed_tls import cluster as cluster_api
from webhook.managed_tls.cluster import ClusterApi, Target, connect
from webhook.managed_tls.controller import ATTEMPTS, CertController, Pace, SyncError
from webhook.managed_tls.status import readiness
from webhook.options import ManagedTlsOptions
from webhook.tls import TlsFiles

NAMESPACE, SECRET, WEBHOOK = "gatehouse", "gatehouse-managed-tls", "gatehouse"
NAMES = ("gatehouse", "gatehouse.gatehouse", "gatehouse.gatehouse.svc")
SECRET_PATH = f"/api/v1/namespaces/{NAMESPACE}/secrets/{SECRET}"
SECRETS_PATH = f"/api/v1/namespaces/{NAMESPACE}/secrets"
WEBHOOK_PATH = f"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{WEBHOOK}"
OPTIONS = ManagedTlsOptions(
    namespace=NAMESPACE,
    secret_name=SECRET,
    webhook=WEBHOOK,
    dns_names=NAMES,
    grace=300,
    overlap=86400,
)
START = datetime(2030, 1, 1, tzinfo=UTC)


def webhook_configuration(ca_bundle: bytes = b"") -> dict[str, object]:
    client_config: dict[str, object] = {
        "service": {"name": "gatehouse", "namespace": NAMESPACE, "path": "/validate", "port": 443}
    }
    if ca_bundle:
        client_config["caBundle"] = base64.b64encode(ca_bundle).decode()
    return {
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": WEBHOOK},
        "webhooks": [
            {
                "name": "validate.gatehouse.io",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "timeoutSeconds": 5,
                "clientConfig": client_config,
            }
        ],
    }


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Cluster:
    """The fake API server, and replicas (each with its own pod directory) talking to it."""

    def __init__(self, api: FakeApiServer, kubeconfig: Path, root: Path) -> None:
        self.api = api
        self.kubeconfig = kubeconfig
        self.root = root
        self.clock = Clock()
        self.replicas: list[CertController] = []

    def replica(self, options: ManagedTlsOptions = OPTIONS) -> CertController:
        pod = self.root / f"pod-{len(self.replicas)}"
        pod.mkdir()
        files = TlsFiles(str(pod / "tls.crt"), str(pod / "tls.key"), issued_in_pod=True)
        client = ClusterApi(connect(str(self.kubeconfig)), Target(NAMESPACE, SECRET, WEBHOOK))
        controller = CertController(options, files, client, clock=self.clock)
        self.replicas.append(controller)
        return controller

    def secret(self) -> dict[str, bytes]:
        found = self.api.get("Secret", NAMESPACE, SECRET)
        assert found is not None
        return {k: base64.b64decode(v) for k, v in found["data"].items()}

    def ca_bundle(self) -> bytes:
        found = self.api.get("ValidatingWebhookConfiguration", "", WEBHOOK)
        assert found is not None
        (entry,) = found["webhooks"]
        return base64.b64decode(entry["clientConfig"].get("caBundle", ""))

    def set_ca_bundle(self, bundle: bytes) -> None:
        self.api.add(webhook_configuration(bundle))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    api = FakeApiServer(resources=[SECRETS, VALIDATING_WEBHOOKS], token=BEARER)
    api.add(webhook_configuration())
    with api.serve() as kubeconfig:
        path = tmp_path / "kubeconfig"
        path.write_text(kubeconfig)
        yield Cluster(api, path, tmp_path)


def served(controller: CertController) -> bytes:
    return Path(controller.files.cert).read_bytes()


def fingerprints(pem: bytes) -> list[str]:
    return [certs.fingerprint(c) for c in certs.load_certs(pem)]


def test_the_first_round_creates_the_secret_fills_the_ca_bundle_and_serves(
    cluster: Cluster,
) -> None:
    pod = cluster.replica()
    status = pod.sync_once()
    assert status.trusted and status.reason == ""
    secret = cluster.secret()
    assert cluster.ca_bundle() == secret["ca.crt"]
    assert served(pod) == secret["tls.crt"]
    assert Path(pod.files.key).read_bytes() == secret["tls.key"]
    assert Path(pod.files.key).stat().st_mode & 0o777 == 0o600
    (ca,) = certs.load_certs(cluster.ca_bundle())
    assert certs.signed_by(certs.load_certs(served(pod))[0], ca)
    assert readiness(pod.files) == (
        True,
        f"certificate {status.serving[:16]} trusted by the caBundle",
    )
    stored = cluster.api.get("Secret", NAMESPACE, SECRET)
    assert stored is not None and stored["type"] == "kubernetes.io/tls"
    (owner,) = stored["metadata"]["ownerReferences"]  # helm uninstall takes it along
    assert (owner["kind"], owner["name"]) == ("ValidatingWebhookConfiguration", WEBHOOK)
    assert [(r.method, r.path) for r in cluster.api.writes()] == [
        ("POST", SECRETS_PATH),
        ("PATCH", WEBHOOK_PATH),
    ]


def test_a_round_with_nothing_to_change_writes_nothing(cluster: Cluster) -> None:
    pod = cluster.replica()
    pod.sync_once()
    before = len(cluster.api.writes())
    cluster.clock.now += timedelta(days=10)
    assert pod.sync_once().trusted
    assert len(cluster.api.writes()) == before


def test_two_replicas_racing_at_start_end_with_one_secret(cluster: Cluster) -> None:
    first, second = cluster.replica(), cluster.replica()
    # The second has read "no Secret" and made its own; the first creates one just before
    # the second's create arrives: 409 AlreadyExists, and the second takes the first's.
    cluster.api.before(SECRETS_PATH, lambda _: first.sync_once(), method="POST")
    assert second.sync_once().trusted
    assert served(first) == served(second) == cluster.secret()["tls.crt"]
    assert len(cluster.api.all("Secret")) == 1
    assert [r.method for r in cluster.api.writes(SECRETS_PATH)] == ["POST", "POST"]
    assert not cluster.api.writes(SECRET_PATH)  # the loser never overwrote the winner


def test_a_conflicting_replace_is_read_again_and_the_winner_kept(cluster: Cluster) -> None:
    first, second = cluster.replica(), cluster.replica()
    first.sync_once()
    second.sync_once()
    cluster.clock.now += timedelta(days=61)  # both see the serving certificate due
    cluster.api.before(SECRET_PATH, lambda _: first.sync_once(), method="PUT")
    assert second.sync_once().trusted
    # The first's renewal landed; the second's replace met 409 Conflict and, reading
    # again, found nothing left to do.
    assert [r.method for r in cluster.api.writes(SECRET_PATH)] == ["PUT", "PUT"]
    assert served(second) == served(first) == cluster.secret()["tls.crt"]
    renewed = certs.load_certs(served(first))[0]
    assert renewed.not_valid_after_utc == cluster.clock.now + timedelta(days=OPTIONS.cert_days)


def test_a_conflicting_ca_bundle_patch_is_retried_and_keeps_the_other_change(
    cluster: Cluster,
) -> None:
    pod = cluster.replica()
    pod.sync_once()
    bundle = cluster.ca_bundle()
    cluster.set_ca_bundle(b"")  # a GitOps sync that does not ignore the caBundle

    def other_writer(api: FakeApiServer) -> None:
        changed = webhook_configuration()
        changed["webhooks"][0]["timeoutSeconds"] = 7  # type: ignore[index]
        api.add(changed)

    cluster.api.before(WEBHOOK_PATH, other_writer, method="PATCH")
    assert pod.sync_once().trusted
    assert cluster.ca_bundle() == bundle
    stored = cluster.api.get("ValidatingWebhookConfiguration", "", WEBHOOK)
    assert stored is not None and stored["webhooks"][0]["timeoutSeconds"] == 7
    assert [r.method for r in cluster.api.writes(WEBHOOK_PATH)] == ["PATCH", "PATCH", "PATCH"]


def test_writers_that_always_win_make_a_round_fail_not_spin(cluster: Cluster) -> None:
    pod = cluster.replica()
    cluster.api.before(
        WEBHOOK_PATH,
        lambda api: api.add(webhook_configuration()),
        method="PATCH",
        times=ATTEMPTS,
    )
    with pytest.raises(SyncError, match=f"for {ATTEMPTS} rounds"):
        pod.sync_once()
    assert len(cluster.api.writes(WEBHOOK_PATH)) == ATTEMPTS
    assert readiness(pod.files) == (False, "managed TLS: no certificate yet")


def test_forced_rotation_by_deleting_the_secret_keeps_the_old_ca_through_the_overlap(
    cluster: Cluster,
) -> None:
    pod = cluster.replica()
    pod.sync_once()
    old_pair, (old_ca,) = served(pod), fingerprints(cluster.ca_bundle())
    cluster.api.remove("Secret", NAMESPACE, SECRET)
    cluster.clock.now += timedelta(minutes=1)

    status = pod.sync_once()
    new_ca, kept = fingerprints(cluster.ca_bundle())
    assert kept == old_ca and new_ca != old_ca
    assert status.trusted and served(pod) == old_pair  # within the grace: no switch yet
    cluster.clock.now += timedelta(seconds=OPTIONS.grace - 1)
    assert pod.sync_once().trusted and served(pod) == old_pair

    cluster.clock.now += timedelta(seconds=1)
    assert pod.sync_once().trusted
    assert served(pod) == cluster.secret()["tls.crt"] != old_pair
    assert fingerprints(cluster.ca_bundle()) == [new_ca, old_ca]

    cluster.clock.now += timedelta(seconds=OPTIONS.overlap)
    assert pod.sync_once().trusted
    assert fingerprints(cluster.ca_bundle()) == [new_ca]


def test_a_new_pod_serves_a_new_cas_certificate_at_once(cluster: Cluster) -> None:
    """Nothing to protect: a pod with no certificate is not ready, so not called."""
    old = cluster.replica()
    old.sync_once()
    cluster.api.remove("Secret", NAMESPACE, SECRET)
    old.sync_once()
    new = cluster.replica()
    assert new.sync_once().trusted
    assert served(new) == cluster.secret()["tls.crt"] != served(old)


def test_the_ca_renewal_moves_pods_after_the_grace_and_drops_the_old_ca_after_the_overlap(
    cluster: Cluster,
) -> None:
    short = replace(OPTIONS, ca_days=30, cert_days=15)
    pod = cluster.replica(short)
    pod.sync_once()
    (old_ca,) = fingerprints(cluster.ca_bundle())
    cluster.clock.now += timedelta(days=10, seconds=1)  # serving renewal, same CA: at once
    before = served(pod)
    pod.sync_once()
    assert served(pod) != before and fingerprints(cluster.ca_bundle()) == [old_ca]

    cluster.clock.now = START + timedelta(days=20, seconds=1)  # two thirds of the CA's life
    renewing = served(pod)
    assert pod.sync_once().trusted
    new_ca, kept = fingerprints(cluster.ca_bundle())
    assert kept == old_ca and served(pod) == renewing
    cluster.clock.now += timedelta(seconds=short.grace)
    pod.sync_once()
    assert served(pod) == cluster.secret()["tls.crt"]
    assert certs.signed_by(
        certs.load_certs(served(pod))[0], certs.load_certs(cluster.ca_bundle())[0]
    )
    cluster.clock.now += timedelta(seconds=short.overlap)
    pod.sync_once()
    assert fingerprints(cluster.ca_bundle()) == [new_ca]


def test_switching_from_the_charts_certificate_keeps_its_ca_trusted(cluster: Cluster) -> None:
    chart_ca = trustme.CA()
    cluster.set_ca_bundle(chart_ca.cert_pem.bytes())
    pod = cluster.replica()
    assert pod.sync_once().trusted
    new_ca, kept = certs.load_certs(cluster.ca_bundle())
    assert certs.fingerprint(kept) == fingerprints(chart_ca.cert_pem.bytes())[0]
    assert certs.signed_by(certs.load_certs(served(pod))[0], new_ca)


def test_a_secret_holding_an_unreadable_ca_is_replaced_not_a_round_failing_forever(
    cluster: Cluster,
) -> None:
    ca, key_pem = hostile.broken_basic_constraints(START)
    stored = {"ca.key": base64.b64encode(key_pem).decode()}
    stored["ca.crt"] = stored["tls.crt"] = base64.b64encode(hostile.pem(ca)).decode()
    stored["tls.key"] = stored["ca.key"]
    cluster.api.add(
        {
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {
                "name": SECRET,
                "namespace": NAMESPACE,
                "annotations": {"gatehouse.io/ca-published-at": "2030-01-01T00:00:00Z"},
            },
            "data": stored,
        }
    )
    cluster.set_ca_bundle(hostile.pem(ca))
    pod = cluster.replica()
    assert pod.sync_once().trusted
    (new_ca,) = certs.load_certs(cluster.ca_bundle())  # the broken one is not kept
    assert certs.signed_by(certs.load_certs(served(pod))[0], new_ca)
    assert [r.method for r in cluster.api.writes(SECRET_PATH)] == ["PUT"]


def test_a_hung_api_server_costs_one_timeout_per_call_not_four(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's back-off is the only retry: urllib3's own would send every timed-out
    GET three more times, each waiting out the timeout again."""
    monkeypatch.setattr(cluster_api, "TIMEOUT", (5.0, 0.2))
    cluster.api.before(WEBHOOK_PATH, lambda _: time.sleep(1), method="GET", times=4)
    pod = cluster.replica()
    with pytest.raises(urllib3.exceptions.HTTPError):
        pod.sync_once()
    assert len(cluster.api.lists(WEBHOOK_PATH)) == 1
    assert readiness(pod.files) == (False, "managed TLS: no certificate yet")


def test_a_refused_write_fails_the_round_and_the_pod_stays_unready(cluster: Cluster) -> None:
    cluster.api.fail(WEBHOOK_PATH, 403, method="PATCH")
    pod = cluster.replica()
    with pytest.raises(ApiException) as refused:
        pod.sync_once()
    assert refused.value.status == 403
    assert readiness(pod.files) == (False, "managed TLS: no certificate yet")


def test_a_served_certificate_the_ca_bundle_dropped_is_not_ready(cluster: Cluster) -> None:
    pod = cluster.replica()
    pod.sync_once()
    Path(pod.files.cert).write_bytes(cluster.replica().files.cert.encode())  # garbage
    assert readiness(pod.files) == (False, "managed TLS: the serving certificate cannot be read")
    stranger = trustme.CA().issue_cert(*NAMES)
    Path(pod.files.cert).write_bytes(stranger.cert_chain_pems[0].bytes())
    assert readiness(pod.files) == (
        False,
        "managed TLS: serving a certificate not yet checked against the caBundle",
    )


def test_the_loop_logs_failures_and_never_key_material(
    cluster: Cluster, capfd: pytest.CaptureFixture[str]
) -> None:
    cluster.api.fail(WEBHOOK_PATH, 500, method="PATCH", times=1)
    pod = cluster.replica(replace(OPTIONS, check_interval=0.2))
    done = threading.Event()
    pod.start()
    try:
        assert pod._stop.wait(0) is False
        for _ in range(100):
            if readiness(pod.files)[0]:
                done.set()
                break
            threading.Event().wait(0.1)
    finally:
        pod.stop()
    assert done.is_set()
    audit_log.flush()
    log = capfd.readouterr().err
    assert '"msg":"managed tls: round failed"' in log and '"status":500' in log
    assert '"msg":"managed tls: Secret written"' in log
    secret = cluster.secret()
    for key in ("ca.key", "tls.key"):
        body = b"".join(secret[key].splitlines()[1:-1]).decode()
        assert body[:40] not in log and body[-40:] not in log
    assert "PRIVATE KEY" not in log


def test_rounds_that_do_not_settle_back_off_to_the_check_interval() -> None:
    pace = Pace(check_interval=60)
    unsettled = [pace.next_wait(settled=False) for _ in range(9)]
    assert unsettled == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert pace.next_wait(settled=True) == 60
    assert pace.next_wait(settled=False) == 1


def test_a_fork_waits_for_the_round_under_way(cluster: Cluster) -> None:
    """gunicorn forks workers while the controller runs: a fork in mid-round would copy
    the round's locks, held, into the worker."""
    pod = cluster.replica()
    pod.start()
    pod.stop()  # the fork hooks stay; no round runs now
    forked = threading.Event()
    children: list[int] = []

    def fork() -> None:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)
        forked.set()

    with pod._between_rounds:  # a round under way
        forker = threading.Thread(target=fork)
        forker.start()
        assert not forked.wait(0.5)
    assert forked.wait(10)
    forker.join()
    assert os.waitpid(children[0], 0)[0] == children[0]
