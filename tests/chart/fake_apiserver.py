"""A small Kubernetes API server on loopback, for clients that only read and write JSON objects.

Helm's ``lookup`` (the chart tests) reads a Secret through it; ``gatehouse audit``
(its tests and benchmark) lists workloads page by page and writes PolicyReports;
the managed-TLS controller creates and replaces its Secret and patches its
webhook configuration's caBundle. It behaves like the real server wherever those
clients can tell: discovery documents, list items without ``kind``/``apiVersion``,
``limit``/``continue`` paging over a snapshot, ``Status`` bodies for errors, a
bearer token checked on every request, 409 AlreadyExists on a second create,
``resourceVersion`` conflicts on update and on a patch that names one, and a
strategic merge patch (lists of named entries merge by name). A test can make a
path answer an error a given number of times, run something just before a
request is answered (another writer getting there first), and read back every
request it got.

Objects are kept JSON-encoded, so the benchmark can serve 100k pods without the
server's own memory getting in the way.
"""

import base64
import itertools
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

BEARER = "fake"  # the token the kubeconfig carries; checked when FakeApiServer.token is set


@dataclass(frozen=True)
class Resource:
    """One namespaced API resource, as discovery names it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group_version}" if self.group else "/api/v1"


WORKLOADS = (
    Resource("", "v1", "pods", "Pod"),
    Resource("", "v1", "replicationcontrollers", "ReplicationController"),
    Resource("apps", "v1", "deployments", "Deployment"),
    Resource("apps", "v1", "statefulsets", "StatefulSet"),
    Resource("apps", "v1", "daemonsets", "DaemonSet"),
    Resource("apps", "v1", "replicasets", "ReplicaSet"),
    Resource("batch", "v1", "jobs", "Job"),
    Resource("batch", "v1", "cronjobs", "CronJob"),
)
SECRETS = Resource("", "v1", "secrets", "Secret")
VALIDATING_WEBHOOKS = Resource(
    "admissionregistration.k8s.io",
    "v1",
    "validatingwebhookconfigurations",
    "ValidatingWebhookConfiguration",
    namespaced=False,
)
# The CRD of the Policy Report working group (Kyverno, Policy Reporter) that the audit writes.
POLICY_REPORT = Resource("wgpolicyk8s.io", "v1alpha2", "policyreports", "PolicyReport")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]


@dataclass
class _Fault:
    status: int
    times: int | None  # None: every time
    headers: Mapping[str, str]


@dataclass
class _Before:
    action: Callable[["FakeApiServer"], None]
    times: int


@dataclass
class FakeApiServer:
    """The served resources and objects; ``serve()`` runs it and yields a kubeconfig."""

    resources: list[Resource] = field(default_factory=lambda: [SECRETS, *WORKLOADS])
    # The bearer token every request must carry; None: not checked (client-go sends none
    # over plain HTTP, so Helm's lookup arrives without one).
    token: str | None = None
    requests: list[Request] = field(default_factory=list)
    _objects: dict[Resource, dict[tuple[str, str], bytes]] = field(default_factory=dict)
    _faults: dict[tuple[str, str], _Fault] = field(default_factory=dict)
    _before: dict[tuple[str, str], _Before] = field(default_factory=dict)
    _versions: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *objects: Mapping[str, Any]) -> None:
        """Store objects (``kind`` names the resource), in list order, as they are."""
        with self._lock:
            for obj in objects:
                self._store(self._resource(str(obj["kind"])), orjson.loads(orjson.dumps(obj)))

    def add_encoded(self, kind: str, items: Iterable[tuple[str, str, bytes]]) -> None:
        """Store already-encoded list items, ``(namespace, name, json)``: the benchmark's path."""
        with self._lock:
            store = self._objects.setdefault(self._resource(kind), {})
            store.update(((ns, name), body) for ns, name, body in items)

    def remove(self, kind: str, namespace: str, name: str) -> None:
        with self._lock:
            del self._objects[self._resource(kind)][(namespace, name)]

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        resource = self._resource(kind)
        body = self._objects.get(resource, {}).get((namespace, name))
        return None if body is None else _full(resource, body)

    def all(self, kind: str) -> list[dict[str, Any]]:
        resource = self._resource(kind)
        return [_full(resource, body) for body in self._objects.get(resource, {}).values()]

    def fail(
        self,
        path: str,
        status: int,
        *,
        times: int | None = None,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``status`` to ``method path`` (no query), ``times`` times or always."""
        self._faults[(method, path)] = _Fault(status, times, headers or {})

    def before(
        self,
        path: str,
        action: Callable[["FakeApiServer"], None],
        *,
        method: str,
        times: int = 1,
    ) -> None:
        """Run ``action`` just before answering ``method path``, the next ``times`` times:
        another client's write landing between this client's read and its write."""
        self._before[(method, path)] = _Before(action, times)

    def writes(self, path: str | None = None) -> list[Request]:
        """The POST, PUT and PATCH requests (to ``path``), in order."""
        return [
            r
            for r in self.requests
            if r.method in ("POST", "PUT", "PATCH") and (path is None or r.path == path)
        ]

    def lists(self, path: str) -> list[Request]:
        """The GET requests to ``path``, in order."""
        return [r for r in self.requests if r.method == "GET" and r.path == path]

    @contextmanager
    def serve(self, tls: ssl.SSLContext | None = None, context: str = "fake") -> Iterator[str]:
        """Serve on loopback until the block ends; yields a kubeconfig.

        Plain HTTP, or HTTPS with ``tls`` (a server context), for which the kubeconfig
        says ``insecure-skip-tls-verify``, as many a development cluster's does.
        """
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        # shutdown() waits for the loop's next poll: 50 ms rather than the default 500.
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            scheme = "https" if tls else "http"
            yield kubeconfig(
                f"{scheme}://127.0.0.1:{server.server_address[1]}",
                self.token or BEARER,
                context,
                insecure=tls is not None,
            )
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    # --- what the handler calls --------------------------------------------------------

    def _resource(self, kind: str) -> Resource:
        return next(r for r in self.resources if r.kind == kind)

    def _store(self, resource: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        metadata = obj.setdefault("metadata", {})
        metadata["resourceVersion"] = str(next(self._versions))
        metadata.setdefault("uid", f"uid-{metadata['resourceVersion']}")
        key = (metadata.get("namespace", ""), metadata["name"])
        item = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
        self._objects.setdefault(resource, {})[key] = orjson.dumps(item)
        return _full(resource, self._objects[resource][key])

    def answer(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, bytes, Mapping[str, str]]:
        self.requests.append(Request(method, path, query))
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            return _status(401, "Unauthorized", "Unauthorized")
        before = self._before.get((method, path))
        if before is not None and before.times > 0:
            before.times -= 1
            before.action(self)
        fault = self._faults.get((method, path))
        if fault is not None and fault.times != 0:
            if fault.times is not None:
                fault.times -= 1
            return (
                *_status(fault.status, f"injected {fault.status}", "Injected")[:2],
                fault.headers,
            )
        discovery = self._discovery(path)
        if discovery is not None:
            return 200, orjson.dumps(discovery), {}
        route = self._route(path)
        if route is None:
            return _status(
                404, f"the server could not find the requested resource ({path})", "NotFound"
            )
        resource, namespace, name = route
        with self._lock:
            if method == "GET" and name is None:
                return 200, self._list(resource, namespace, query), {}
            if method == "GET" and name is not None:
                found = self._objects.get(resource, {}).get((namespace or "", name))
                if found is None:
                    return _status(404, f'{resource.plural} "{name}" not found', "NotFound")
                return 200, orjson.dumps(_full(resource, found)), {}
            if method in ("POST", "PUT"):
                return self._write(method, resource, namespace, name, orjson.loads(body))
            if method == "PATCH" and name is not None:
                return self._patch(resource, namespace, name, headers, orjson.loads(body))
        return _status(405, f"{method} is not supported here", "MethodNotAllowed")

    def _discovery(self, path: str) -> dict[str, Any] | None:
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"]}
        versions = sorted({r.group_version for r in self.resources if r.group})
        if path == "/apis":
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": gv.split("/")[0],
                        "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                        "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]},
                    }
                    for gv in versions
                ],
            }
        served = [r for r in self.resources if r.prefix == path]
        if not served:
            return None
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": served[0].group_version,
            "resources": [
                {
                    "name": r.plural,
                    "singularName": r.kind.lower(),
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["get", "list", "create", "update", "patch"],
                }
                for r in served
            ],
        }

    def _route(self, path: str) -> tuple[Resource, str | None, str | None] | None:
        """The resource, namespace and name a path names, or None."""
        for resource in self.resources:
            rest = path.removeprefix(resource.prefix + "/")
            if rest == path:
                continue
            parts = rest.split("/")
            if not resource.namespaced:
                if parts[0] == resource.plural and len(parts) in (1, 2):
                    return resource, None, parts[1] if len(parts) == 2 else None
                continue
            if parts[0] == "namespaces" and len(parts) in (3, 4) and parts[2] == resource.plural:
                return resource, parts[1], parts[3] if len(parts) == 4 else None
            if parts == [resource.plural]:  # across namespaces: a list only
                return resource, None, None
        return None

    def _list(self, resource: Resource, namespace: str | None, query: Mapping[str, str]) -> bytes:
        items = [
            body
            for (ns, _), body in self._objects.get(resource, {}).items()
            if namespace is None or ns == namespace
        ]
        start = int(base64.b64decode(query["continue"])) if query.get("continue") else 0
        limit = int(query.get("limit") or 0) or len(items)
        page = items[start : start + limit]
        metadata: dict[str, Any] = {"resourceVersion": "1"}
        if start + limit < len(items):
            metadata["continue"] = base64.b64encode(str(start + limit).encode()).decode()
            metadata["remainingItemCount"] = len(items) - start - limit
        head = orjson.dumps(
            {
                "kind": f"{resource.kind}List",
                "apiVersion": resource.group_version,
                "metadata": metadata,
            }
        )
        return head[:-1] + b',"items":[' + b",".join(page) + b"]}"

    def _write(
        self,
        method: str,
        resource: Resource,
        namespace: str | None,
        name: str | None,
        obj: dict[str, Any],
    ) -> tuple[int, bytes, Mapping[str, str]]:
        metadata = obj.setdefault("metadata", {})
        if namespace is not None:
            metadata["namespace"] = namespace
        key = (namespace or "", metadata.get("name", ""))
        existing = self._objects.get(resource, {}).get(key)
        if method == "POST":
            if existing is not None:
                return _status(409, f'{resource.plural} "{key[1]}" already exists', "AlreadyExists")
            return 201, orjson.dumps(self._store(resource, obj)), {}
        if existing is None or name != key[1]:
            return _status(404, f'{resource.plural} "{name}" not found', "NotFound")
        current = orjson.loads(existing)["metadata"]
        if metadata.get("resourceVersion") != current["resourceVersion"]:
            return _status(409, "the object has been modified", "Conflict")
        metadata["uid"] = current["uid"]
        return 200, orjson.dumps(self._store(resource, obj)), {}

    def _patch(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        headers: Mapping[str, str],
        patch: dict[str, Any],
    ) -> tuple[int, bytes, Mapping[str, str]]:
        if headers.get("content-type") != "application/strategic-merge-patch+json":
            return _status(415, "only strategic merge patches here", "UnsupportedMediaType")
        existing = self._objects.get(resource, {}).get((namespace or "", name))
        if existing is None:
            return _status(404, f'{resource.plural} "{name}" not found', "NotFound")
        current = orjson.loads(existing)
        wanted = patch.get("metadata", {}).get("resourceVersion")
        if wanted is not None and wanted != current["metadata"]["resourceVersion"]:
            return _status(409, "the object has been modified", "Conflict")
        merged = _merge(current, patch)
        merged["metadata"]["uid"] = current["metadata"]["uid"]
        return 200, orjson.dumps(self._store(resource, {"kind": resource.kind, **merged})), {}


def _merge(current: Any, patch: Any) -> Any:
    """A strategic merge patch, as far as these tests use it: objects merge key by key,
    lists of named objects merge by name, anything else is replaced."""
    if isinstance(current, dict) and isinstance(patch, dict):
        merged = dict(current)
        for key, value in patch.items():
            merged[key] = _merge(current.get(key), value)
        return merged
    if (
        isinstance(current, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in [*current, *patch])
    ):
        by_name = {item["name"]: item for item in current}
        for item in patch:
            by_name[item["name"]] = _merge(by_name.get(item["name"]), item)
        return list(by_name.values())
    return patch


def _full(resource: Resource, body: bytes) -> dict[str, Any]:
    return {"apiVersion": resource.group_version, "kind": resource.kind, **orjson.loads(body)}


def _status(code: int, message: str, reason: str) -> tuple[int, bytes, Mapping[str, str]]:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return code, orjson.dumps(body), {}


def _handler(api: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as clients expect of an API server

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, every answer on a
            # kept-alive connection waits for the client's delayed ACK (40 ms).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = api.answer(
                self.command, url.path, query, headers, self.rfile.read(length)
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is the assertions."""

    return Handler


def kubeconfig(
    server: str, token: str = BEARER, context: str = "fake", *, insecure: bool = False
) -> str:
    skip = ", insecure-skip-tls-verify: true" if insecure else ""
    return (
        f"apiVersion: v1\nkind: Config\ncurrent-context: {context}\n"
        f"clusters: [{{name: fake, cluster: {{server: '{server}'{skip}}}}}]\n"
        f"users: [{{name: fake, user: {{token: {token}}}}}]\n"
        f"contexts: [{{name: {context}, context: {{cluster: fake, user: fake}}}}]\n"
    )


@contextmanager
def fake_apiserver(secrets: Mapping[tuple[str, str], Mapping[str, Any]]) -> Iterator[str]:
    """Serve ``{(namespace, name): secret}`` for Helm's ``lookup``; yields a kubeconfig."""
    api = FakeApiServer()
    api.add(
        *(
            {**s, "kind": "Secret", "metadata": {**s["metadata"], "namespace": ns, "name": name}}
            for (ns, name), s in secrets.items()
        )
    )
    with api.serve() as config:
        yield config
