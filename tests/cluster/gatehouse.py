"""Gatehouse as the chart deploys it, run next to the control plane without a kubelet.

The chart is rendered with the real Helm SDK against the real API server (so its
``lookup`` keeps the generated certificate, as `helm upgrade` does). Of what it
renders, the API server gets the TLS Secret, the ServiceAccount and RBAC, the Service
(without its selector: no Pods will ever match) and the ValidatingWebhookConfiguration
as they are; the Deployment's one container is run the way a kubelet would, by
gunicorn on a test host in a network namespace: the env it names, the Secret and
ConfigMap written where its volumes are mounted, the port the Service targets. An
EndpointSlice per test host points the Service there. With tls.mode=managed the pod
also gets what a kubelet gives it to call the API server: a token of the chart's
ServiceAccount and a way to the API server (pod_api.py). It offers what the e2e suite
asks of the kind release (tests/e2e/gatehouse.py): ``settings``, ``configure``,
``webhook``, ``unreachable``, ``wait_answering``.
"""

import base64
import copy
import json
import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes.client import AdmissionregistrationV1Api, ApiClient, V1ValidatingWebhook
from kubernetes.dynamic import DynamicClient

from tests.chart.render import Obj, Rendered, render_against
from tests.cluster.netns import TestHost
from tests.cluster.pod_api import PodApi
from tests.e2e.gatehouse import FailurePolicy, Mode, wait_answering
from tests.e2e.kind import KindSetup
from tests.e2e.kube import wait_for
from tests.server import Server, serve

FIELD_MANAGER = "gatehouse-cluster-tests"
# What the Service is backed by: ours, so no controller claims or rewrites it.
ENDPOINT_SLICE_MANAGER = "gatehouse-cluster-tests"
# What the API server keeps of a rendering as it is (the Service goes without its selector).
KEPT = ("Secret", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")


def merged(base: Obj, over: Obj) -> Obj:
    """``over`` laid on ``base``, objects merged key by key, as Helm merges values."""
    result = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def apply(api: ApiClient, obj: Obj) -> Obj:
    """Server-side apply, as `kubectl apply --server-side` does: create or update."""
    resource = DynamicClient(api).resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    applied = resource.server_side_apply(
        body=obj,
        name=obj["metadata"]["name"],
        namespace=obj["metadata"].get("namespace"),
        field_manager=FIELD_MANAGER,
        force_conflicts=True,
    )
    return dict(applied.to_dict())


def decision_lines(log: str, **fields: object) -> list[Obj]:
    """The JSON decision lines of a Gatehouse log whose fields have these values."""
    lines = (json.loads(line) for line in log.splitlines() if line.startswith("{"))
    return [
        line
        for line in lines
        if "decision" in line and all(line.get(k) == v for k, v in fields.items())
    ]


def read(api: ApiClient, obj: Obj) -> Obj:
    """``obj`` as the API server holds it now, as plain JSON."""
    resource = DynamicClient(api).resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    found = resource.get(name=obj["metadata"]["name"], namespace=obj["metadata"].get("namespace"))
    return dict(found.to_dict())


def service_host(rendered: Rendered) -> str:
    """The name the API server dials and checks the certificate against."""
    service = rendered.one("Service")["metadata"]
    return f"{service['name']}.{service['namespace']}.svc"


def target_port(rendered: Rendered) -> int:
    """The container port behind the port the webhook configuration calls."""
    webhook_port = rendered.webhook["clientConfig"]["service"]["port"]
    (port,) = (p for p in rendered.one("Service")["spec"]["ports"] if p["port"] == webhook_port)
    return container_port(rendered, port["targetPort"])


def container_port(rendered: Rendered, port: int | str) -> int:
    """A port of the chart's container, by number or by name."""
    if isinstance(port, int):
        return port
    (named,) = (p for p in rendered.container["ports"] if p.get("name") == port)
    return int(named["containerPort"])


def probes(rendered: Rendered) -> dict[str, tuple[str, int, str]]:
    """What a kubelet would call: probe kind -> (scheme, port, path)."""
    found = {}
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        get = (rendered.container.get(kind) or {}).get("httpGet")
        if get:
            found[kind] = (
                get.get("scheme", "HTTP"),
                container_port(rendered, get["port"]),
                get["path"],
            )
    return found


def probe_port(rendered: Rendered) -> int | None:
    """The plain-HTTP port the chart probes, when it is not the admission port."""
    ports = {port for scheme, port, _ in probes(rendered).values() if scheme == "HTTP"}
    ports.discard(target_port(rendered))
    return ports.pop() if len(ports) == 1 else None


def materialize(rendered: Rendered, root: Path) -> dict[str, str]:
    """Write the container's mounted Secrets and ConfigMaps under ``root``, as a kubelet
    would; return its env with every path under a mount point moved there too."""
    volumes = {v["name"]: v for v in rendered.pod_spec.get("volumes", [])}
    mounts: dict[str, Path] = {}
    for mount in rendered.container.get("volumeMounts", []):
        local = root / mount["mountPath"].lstrip("/")
        local.mkdir(parents=True, exist_ok=True)
        mounts[mount["mountPath"]] = local
        volume = volumes[mount["name"]]
        for name, content in _volume_files(rendered, volume).items():
            (local / name).write_bytes(content)
    env: dict[str, str] = {}
    for variable in rendered.container.get("env", []):
        value = str(variable["value"])
        for mount_path, local in mounts.items():
            if value.startswith(mount_path + "/"):
                value = str(local / value.removeprefix(mount_path + "/"))
                break
        env[variable["name"]] = value
    return env


def _volume_files(rendered: Rendered, volume: Obj) -> dict[str, bytes]:
    if "secret" in volume:
        data = rendered.one("Secret", volume["secret"]["secretName"])["data"]
        return {key: base64.b64decode(value) for key, value in data.items()}
    if "configMap" in volume:
        data = rendered.one("ConfigMap", volume["configMap"]["name"])["data"]
        items = volume["configMap"].get("items")
        if items:
            return {item["path"]: data[item["key"]].encode() for item in items}
        return {key: value.encode() for key, value in data.items()}
    assert "emptyDir" in volume, volume
    return {}


@dataclass
class ClusterGatehouse:
    """The release ``setup.release`` in ``setup.namespace``, served from ``host``."""

    setup: KindSetup
    api: ApiClient
    kubeconfig: str
    probe_namespace: str
    workdir: Path
    host: TestHost
    mode: Mode = "dry-run"
    failure_policy: FailurePolicy = ""
    timeout_seconds: int | None = None  # None: the chart's default
    client_config: Obj | None = None  # None: the chart's own (the Service)
    extra_values: Obj = field(default_factory=dict)  # laid over values()
    # The operator's switches that are no chart values (timings of managed TLS...).
    env_overrides: dict[str, str] = field(default_factory=dict)
    pod_api: PodApi | None = None  # tls.mode=managed: how the pod reaches the API server
    rendered: Rendered | None = None
    server: Server | None = None
    logs: list[Path] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)

    def values(self) -> Obj:
        webhook: Obj = {"failurePolicy": self.failure_policy} if self.failure_policy else {}
        if self.timeout_seconds is not None:
            webhook["timeoutSeconds"] = self.timeout_seconds
        return merged({"mode": self.mode, "webhook": webhook}, self.extra_values)

    @property
    def managed_tls(self) -> bool:
        return bool(self.values().get("tls", {}).get("mode") == "managed")

    def settings(self) -> tuple[Mode, FailurePolicy]:
        return self.mode, self.failure_policy

    def render(self) -> Rendered:
        return render_against(self.kubeconfig, self.values(), namespace=self.setup.namespace)

    def render_and_apply(self) -> None:
        """What `helm upgrade` changes in the API server, but for the webhook configuration
        (``register``) and the pod (``start``): the objects the API server keeps as they
        are, and the Service without its selector."""
        rendered = self.render()
        for obj in rendered.objects:
            if obj["kind"] in KEPT:
                apply(self.api, obj)
        service = copy.deepcopy(rendered.one("Service"))
        service["spec"].pop("selector", None)
        apply(self.api, service)
        self.rendered = rendered

    def install(self, wait: bool = True) -> None:
        """Apply what the API server keeps, start the container, register the webhook.

        With tls.mode=managed the webhook configuration comes first: the pod fills in
        its caBundle, and is not ready until it has.
        """
        self.render_and_apply()
        if self.managed_tls:
            self.register()
            self.start()
        else:
            self.start()
            self.register()
        if wait:
            self.wait_answering(self.mode)

    def remove_endpoints(self) -> None:
        """This host out of the Service, as for a pod that is terminating."""
        assert self.rendered is not None
        slice_ = self._endpoint_slice(self.rendered)
        DynamicClient(self.api).resources.get(
            api_version=slice_["apiVersion"], kind=slice_["kind"]
        ).delete(name=slice_["metadata"]["name"], namespace=slice_["metadata"]["namespace"])

    def configure(
        self, mode: Mode, failure_policy: FailurePolicy = "", timeout_seconds: int | None = None
    ) -> None:
        """What `helm upgrade --set mode=... --set webhook.failurePolicy=...` changes."""
        wanted = (mode, failure_policy, timeout_seconds)
        if wanted == (self.mode, self.failure_policy, self.timeout_seconds):
            return
        self.mode, self.failure_policy, self.timeout_seconds = wanted
        self.rendered = self.render()
        materialize(self.rendered, self.workdir / "pod")  # the new config file
        if self.server is not None:
            self.server.process.send_signal(signal.SIGHUP)  # as a config change is picked up
        self.register()
        self.wait_answering(mode)

    def register(self, client_config: Obj | None = None) -> None:
        """Apply the chart's webhook configuration, its clientConfig replaced if given."""
        self.client_config = client_config
        assert self.rendered is not None
        configuration = copy.deepcopy(self.rendered.one("ValidatingWebhookConfiguration"))
        if client_config is not None:
            for webhook in configuration["webhooks"]:
                webhook["clientConfig"] = client_config
        apply(self.api, configuration)

    def webhook(self) -> V1ValidatingWebhook:
        """The webhook as the API server sees it."""
        assert self.rendered is not None
        name = self.rendered.one("ValidatingWebhookConfiguration")["metadata"]["name"]
        configuration = AdmissionregistrationV1Api(self.api).read_validating_webhook_configuration(
            name
        )
        (webhook,) = configuration.webhooks or []
        return webhook

    def ca_bundle(self) -> bytes:
        """The PEM the API server verifies this webhook's certificate with."""
        bundle = self.webhook().client_config.ca_bundle or ""
        return base64.b64decode(bundle)

    def env(self) -> dict[str, str]:
        """The container's env as the chart renders it, its paths on this machine."""
        assert self.rendered is not None
        return materialize(self.rendered, self.workdir / "pod")

    @contextmanager
    def unreachable(self) -> Iterator[None]:
        """No Gatehouse answering for the duration: stopped, then started again."""
        self._stop()
        try:
            yield
        finally:
            self.start()
            self.wait_answering(self.mode)

    def wait_answering(self, mode: Mode) -> None:
        wait_answering(self.api, self.probe_namespace, mode)

    def decisions(self, **fields: object) -> list[Obj]:
        """The decision lines Gatehouse logged so far whose fields have these values."""
        assert self.server is not None
        return decision_lines(self.server.log(), **fields)

    def troubles(self) -> list[Obj]:
        """Every error and every request Gatehouse could not read, over all its runs:
        what the real API server sends must always be understood."""
        lines = (
            json.loads(line)
            for log in self.logs
            for line in log.read_text(errors="replace").splitlines()
            if line.startswith("{")
        )
        return [
            line
            for line in lines
            if line.get("level") == "error" or line.get("msg") == "bad request"
        ]

    def wait_decisions(self, what: str, **fields: object) -> list[Obj]:
        """Until Gatehouse logged such a decision (lines are written in batches)."""
        return wait_for(what, lambda: self.decisions(**fields), timeout=30, interval=0.2)

    def close(self) -> None:
        self._stop()

    def start(self) -> None:
        assert self.rendered is not None and self.server is None
        # The tests read every decision from the log, plain allows included: the
        # operator's switch for that (not a chart value) is on.
        env = {**self.env(), "GATEHOUSE_LOG_ALLOWED": "true", **self.env_overrides}
        pod_dir = self.workdir / "pod"
        tls = pod_dir / "etc" / "gatehouse" / "tls"
        run = self.workdir / f"run-{len(self.logs) + 1}"  # each run keeps its own log
        run.mkdir()
        ca_file = tls / "ca.crt"
        if self.managed_tls:
            # What the kubelet would mount: a token of the chart's ServiceAccount.
            assert self.pod_api is not None
            account = self.rendered.pod_spec["serviceAccountName"]
            env["GATEHOUSE_KUBECONFIG"] = str(
                self.pod_api.kubeconfig(
                    self.host, self.setup.namespace, account, run / "kubeconfig"
                )
            )
            ca_file = run / "ca-bundle.pem"  # known once the pod made it
        self.server = self._stack.enter_context(
            serve(
                run,
                env=env,
                certs=(ca_file, tls / "tls.crt", tls / "tls.key"),
                ca_when_ready=self.ca_bundle if self.managed_tls else None,
                workers=int(env.get("GATEHOUSE_WORKERS", "2")),
                server_name=service_host(self.rendered),
                host=self.host.address,
                port=target_port(self.rendered),
                probe_port=probe_port(self.rendered),
                command_prefix=self.host.command(),
            )
        )
        self.logs.append(self.server.log_file)
        # Ready: in the Service's endpoints, as a kubelet's readiness probe would put it.
        apply(self.api, self._endpoint_slice(self.rendered))

    def _stop(self) -> None:
        self._stack.close()
        self.server = None
        self.host.kill_leftovers()  # the port must be free for the next start

    def _endpoint_slice(self, rendered: Rendered) -> Obj:
        service = rendered.one("Service")
        name = service["metadata"]["name"]
        return {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": f"{name}-{self.host.namespace}",
                "namespace": service["metadata"]["namespace"],
                "labels": {
                    "kubernetes.io/service-name": name,
                    "endpointslice.kubernetes.io/managed-by": ENDPOINT_SLICE_MANAGER,
                },
            },
            "addressType": "IPv4",
            "ports": [
                {
                    "name": port["name"],
                    "port": container_port(rendered, port["targetPort"]),
                    "protocol": port.get("protocol", "TCP"),
                }
                for port in service["spec"]["ports"]
            ],
            "endpoints": [{"addresses": [self.host.address], "conditions": {"ready": True}}],
        }
