"""A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager.

The binaries come from hack/control-plane/build.sh (built once per version, cached).
No scheduler and no kubelet: Pods stay Pending, but admission, RBAC, the workload
controllers, audit logging and server-side dry runs are the real ones. The cluster
tests start one per session (tests/cluster/fixtures.py); `make control-plane-up` and
`make control-plane-down` run this module for a person:

    python -m tests.cluster.control_plane up DIR     # prints DIR/admin.kubeconfig
    python -m tests.cluster.control_plane down DIR
"""

import argparse
import base64
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import trustme
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.server import REPO, free_port

BUILD_SCRIPT = REPO / "hack" / "control-plane" / "build.sh"
# What the API server allocates Service ClusterIPs from. Nothing ever dials one: with
# --enable-aggregator-routing the API server calls a webhook Service's endpoint.
SERVICE_RANGE = "10.96.0.0/16"
COMPACTION_INTERVAL = "5s"
ADMIN = "gatehouse-admin"  # in system:masters
DEVELOPER = "jane"  # no group, no binding: tests grant what a case needs
# The workload controllers (and what they need: default service accounts, garbage
# collection, namespace deletion). No node, endpoint or cloud controllers: no nodes.
CONTROLLERS = (
    "deployment-controller",
    "replicaset-controller",
    "statefulset-controller",
    "daemonset-controller",
    "job-controller",
    "cronjob-controller",
    "replicationcontroller-controller",
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "root-ca-certificate-publisher-controller",
    # Fills in the built-in aggregated roles (admin, edit, view) that tests grant.
    "clusterrole-aggregation-controller",
)
# What people and tests ask, at Metadata level (webhook annotations included); not the
# control plane's own chatter (the API server, the controllers, leases, events, watches).
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {
            "level": "None",
            "users": ["system:apiserver", "system:kube-controller-manager"],
        },
        {"level": "None", "userGroups": ["system:serviceaccounts:kube-system"]},
        {"level": "None", "verbs": ["watch"]},
        {
            "level": "None",
            "resources": [
                {"group": "coordination.k8s.io", "resources": ["leases"]},
                {"group": "", "resources": ["events"]},
            ],
        },
        {"level": "Metadata"},
    ],
}


class ControlPlaneError(Exception):
    """A prerequisite is missing or a component did not come up; the message says which."""


@dataclass
class Component:
    name: str
    process: subprocess.Popen[bytes]
    log_file: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_file.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class ControlPlane:
    """A running control plane whose files (certificates, logs, kubeconfigs) are in ``workdir``."""

    workdir: Path
    binaries: Path
    api_port: int
    etcd_port: int
    ca: trustme.CA = field(repr=False)
    components: list[Component] = field(default_factory=list)

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.etcd_port}"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "pki" / "ca.pem"

    @property
    def audit_log(self) -> Path:
        return self.workdir / "audit.log"

    def kubeconfig(self, user: str = ADMIN) -> Path:
        return self.workdir / f"{user}.kubeconfig"


def binaries() -> Path:
    """The directory holding the three binaries, built (or found cached) by build.sh."""
    try:
        built = subprocess.run(
            [str(BUILD_SCRIPT)], capture_output=True, text=True, check=False, timeout=3600
        )
    except OSError as error:
        raise ControlPlaneError(f"cannot run {BUILD_SCRIPT}: {error}") from None
    if built.returncode != 0:
        raise ControlPlaneError(
            f"{BUILD_SCRIPT.relative_to(REPO)} failed ({built.returncode}):\n{built.stderr[-3000:]}"
        )
    return Path(built.stdout.strip().splitlines()[-1])


def write_pki(pki: Path) -> trustme.CA:
    """The cluster CA, the API server's serving certificate, the service-account key."""
    pki.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="gatehouse control plane")
    ca.cert_pem.write_to_path(str(pki / "ca.pem"))
    serving = ca.issue_cert(
        "127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"
    )
    serving.private_key_pem.write_to_path(str(pki / "apiserver.key"))
    (pki / "apiserver.pem").write_bytes(b"".join(b.bytes() for b in serving.cert_chain_pems))
    key = ec.generate_private_key(ec.SECP256R1())
    (pki / "service-account.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (pki / "service-account.pub").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return ca


def write_kubeconfig(
    path: Path, server: str, ca: trustme.CA, user: str, group: str | None = None
) -> None:
    """A kubeconfig whose client certificate says ``user`` (and ``group``), as kubeadm writes."""
    # The API server reads the user from CN and O. An address in the SAN keeps the
    # extension non-empty: Go refuses a certificate whose critical SAN is empty.
    mailbox = f"{user.replace(':', '.')}@users.gatehouse.test"
    cert = ca.issue_cert(mailbox, common_name=user, organization_name=group)
    chain = b"".join(b.bytes() for b in cert.cert_chain_pems)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "gatehouse-control-plane",
                "cluster": {
                    "server": server,
                    "certificate-authority-data": _b64(ca.cert_pem.bytes()),
                },
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": _b64(chain),
                    "client-key-data": _b64(cert.private_key_pem.bytes()),
                },
            }
        ],
        "contexts": [
            {"name": user, "context": {"cluster": "gatehouse-control-plane", "user": user}}
        ],
        "current-context": user,
    }
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)


def write_token_kubeconfig(
    path: Path,
    plane: "ControlPlane",
    user: str,
    token: str,
    server: str | None = None,
    tls_server_name: str | None = None,
) -> Path:
    """A kubeconfig with a bearer token (a service account's), for ``server`` (default: the
    API server's own address); ``tls_server_name``: the name to verify it by when
    ``server`` is an address its certificate does not carry (a relay's)."""
    cluster: dict[str, str] = {
        "server": server or plane.server,
        "certificate-authority-data": _b64(plane.ca_file.read_bytes()),
    }
    if tls_server_name:
        cluster["tls-server-name"] = tls_server_name
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "control-plane", "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": user, "context": {"cluster": "control-plane", "user": user}}],
        "current-context": user,
    }
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def start(workdir: Path, built: Path, detach: bool = False) -> ControlPlane:
    """Start etcd, then kube-apiserver, then kube-controller-manager, each once ready.

    ``detach``: the processes outlive this one (`make control-plane-up`). On any
    failure everything already started is stopped before the error propagates.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    # Every start is a new cluster: no etcd data or audit log from a previous one.
    shutil.rmtree(workdir / "etcd", ignore_errors=True)
    (workdir / "audit.log").unlink(missing_ok=True)
    pki = workdir / "pki"
    ca = write_pki(pki)
    plane = ControlPlane(workdir, built, free_port(), free_port(), ca)
    write_kubeconfig(plane.kubeconfig(ADMIN), plane.server, ca, ADMIN, "system:masters")
    write_kubeconfig(plane.kubeconfig(DEVELOPER), plane.server, ca, DEVELOPER)
    write_kubeconfig(
        workdir / "controller-manager.kubeconfig",
        plane.server,
        ca,
        "system:kube-controller-manager",
    )
    (workdir / "audit-policy.yaml").write_text(yaml.safe_dump(AUDIT_POLICY))
    try:
        _start_etcd(plane, detach)
        _start_apiserver(plane, detach)
        _start_controller_manager(plane, detach)
    except BaseException:
        stop(plane)
        raise
    return plane


def _launch(plane: ControlPlane, name: str, args: list[str], detach: bool) -> Component:
    log_file = plane.workdir / f"{name}.log"
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [str(plane.binaries / name), *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=plane.workdir,
            start_new_session=detach,
        )
    component = Component(name, process, log_file)
    plane.components.append(component)
    return component


def _start_etcd(plane: ControlPlane, detach: bool) -> None:
    peer = f"http://127.0.0.1:{free_port()}"
    etcd = _launch(
        plane,
        "etcd",
        [
            "--name=gatehouse",
            f"--data-dir={plane.workdir / 'etcd'}",
            f"--listen-client-urls={plane.etcd_url}",
            f"--advertise-client-urls={plane.etcd_url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=gatehouse={peer}",
            # A test cluster lives for one run: durability buys nothing, fsync costs seconds.
            "--unsafe-no-fsync",
            "--log-level=warn",
        ],
        detach,
    )
    _wait(etcd, lambda: b'"health":"true"' in _get(f"{plane.etcd_url}/health"), 60)


def _start_apiserver(plane: ControlPlane, detach: bool) -> None:
    pki = plane.workdir / "pki"
    apiserver = _launch(
        plane,
        "kube-apiserver",
        [
            f"--etcd-servers={plane.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            # A loopback address may not be an endpoint of the `kubernetes` Service, and
            # nothing in these tests dials that Service: no reconciler.
            "--endpoint-reconciler-type=none",
            f"--secure-port={plane.api_port}",
            f"--tls-cert-file={pki / 'apiserver.pem'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.pem'}",
            "--authorization-mode=RBAC",
            # On by default; named so that what the tests rely on is written down.
            "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,ValidatingAdmissionWebhook",
            f"--service-account-issuer={plane.server}",
            f"--service-account-key-file={pki / 'service-account.pub'}",
            f"--service-account-signing-key-file={pki / 'service-account.key'}",
            f"--service-cluster-ip-range={SERVICE_RANGE}",
            # A webhook Service is called at its EndpointSlice address, as with no kube-proxy.
            "--enable-aggregator-routing=true",
            f"--audit-policy-file={plane.workdir / 'audit-policy.yaml'}",
            f"--audit-log-path={plane.audit_log}",
            "--audit-log-format=json",
            # The API server compacts etcd's history every few seconds rather than every
            # 5 minutes: a paged list's continue token then expires (410) within a test.
            f"--etcd-compaction-interval={COMPACTION_INTERVAL}",
            # Privileged pods reach the webhook, which then decides (as on kind).
            "--allow-privileged=true",
        ],
        detach,
    )
    context = _admin_tls(plane)
    _wait(apiserver, lambda: _get(f"{plane.server}/readyz", context) == b"ok", 120)


def _start_controller_manager(plane: ControlPlane, detach: bool) -> None:
    pki = plane.workdir / "pki"
    manager = _launch(
        plane,
        "kube-controller-manager",
        [
            f"--kubeconfig={plane.workdir / 'controller-manager.kubeconfig'}",
            # Each controller as its own service account: the names webhooks see.
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={pki / 'service-account.key'}",
            f"--root-ca-file={pki / 'ca.pem'}",
            f"--controllers={','.join(CONTROLLERS)}",
            "--leader-elect=false",
            "--secure-port=0",
        ],
        detach,
    )
    # Ready once the service-account controller made the default namespace's account.
    context = _admin_tls(plane)
    url = f"{plane.server}/api/v1/namespaces/default/serviceaccounts/default"
    _wait(manager, lambda: b'"name":"default"' in _get(url, context), 120)


def _admin_tls(plane: ControlPlane) -> ssl.SSLContext:
    """TLS as the admin, to ask the API server whether it is ready."""
    context = ssl.create_default_context(cafile=str(plane.ca_file))
    admin = yaml.safe_load(plane.kubeconfig(ADMIN).read_text())["users"][0]["user"]
    cert, key = plane.workdir / "pki" / "admin.pem", plane.workdir / "pki" / "admin.key"
    cert.write_bytes(base64.b64decode(admin["client-certificate-data"]))
    key.write_bytes(base64.b64decode(admin["client-key-data"]))
    key.chmod(0o600)
    context.load_cert_chain(cert, key)
    return context


def _get(url: str, context: ssl.SSLContext | None = None) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as response:  # noqa: S310
            return bytes(response.read())
    except OSError:
        return b""


def _wait(component: Component, ready: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if component.process.poll() is not None:
            raise ControlPlaneError(
                f"{component.name} exited with {component.process.returncode}:\n"
                f"{component.log_tail()}"
            )
        if time.monotonic() > deadline:
            raise ControlPlaneError(
                f"{component.name} not ready after {seconds:.0f} s:\n{component.log_tail()}"
            )
        time.sleep(0.2)


def stop(plane: ControlPlane) -> None:
    """Stop the components, last started first; each gets 15 s to exit after SIGTERM."""
    for component in reversed(plane.components):
        process = component.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    plane.components.clear()


@contextmanager
def running(workdir: Path) -> Iterator[ControlPlane]:
    """A control plane for the duration of the ``with`` block, stopped however it ends."""
    plane = start(workdir, binaries())
    try:
        yield plane
    finally:
        stop(plane)


# --- make control-plane-up / control-plane-down ----------------------------------------

PIDS = "pids.json"


def up(workdir: Path) -> Path:
    if (workdir / PIDS).exists():
        raise ControlPlaneError(f"already up ({workdir / PIDS}): make control-plane-down first")
    plane = start(workdir, binaries(), detach=True)
    (workdir / PIDS).write_text(
        json.dumps(
            {c.name: [c.process.pid, str(plane.binaries / c.name)] for c in plane.components}
        )
    )
    return plane.kubeconfig(ADMIN)


def down(workdir: Path) -> list[str]:
    """Stop what `up` started: only those pids, and only while they still run its binaries."""
    pids_file = workdir / PIDS
    if not pids_file.exists():
        return []
    stopped = []
    for name, (pid, binary) in reversed(json.loads(pids_file.read_text()).items()):
        with suppress(OSError):
            if Path(f"/proc/{pid}/exe").resolve() != Path(binary).resolve():
                continue
            os.kill(pid, signal.SIGTERM)
            stopped.append(name)
            for _ in range(150):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
    pids_file.unlink()
    return stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cluster.control_plane")
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("workdir", type=Path)
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    try:
        if args.action == "up":
            kubeconfig = up(workdir)
            print(f"control plane up; logs in {workdir}")
            print(f"export KUBECONFIG={kubeconfig}")
        else:
            stopped = down(workdir)
            print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    except ControlPlaneError as error:
        print(f"control-plane: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
