"""Just enough of a Kubernetes API server for Helm's ``lookup``: discovery of v1 and GET of Secrets.

helm-python-sdk renders against a cluster through a kubeconfig; pointing it at
this lets a test show what `helm upgrade` renders when the chart's Secret exists.
"""

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_DISCOVERY = {
    "kind": "APIResourceList",
    "apiVersion": "v1",
    "groupVersion": "v1",
    "resources": [{"name": "secrets", "singularName": "secret", "namespaced": True,
                   "kind": "Secret", "verbs": ["get", "list"]}],
}


def _not_found(path: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
            "code": 404, "message": f"{path} not found"}


@contextmanager
def fake_apiserver(secrets: Mapping[tuple[str, str], Mapping[str, Any]]) -> Iterator[str]:
    """Serve ``{(namespace, name): secret}`` over plain HTTP on loopback; yields a kubeconfig."""
    routes: dict[str, Any] = {"/api/v1": _DISCOVERY}
    routes.update({f"/api/v1/namespaces/{ns}/secrets/{name}": obj
                   for (ns, name), obj in secrets.items()})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            found = routes.get(path)
            body = json.dumps(found if found is not None else _not_found(path)).encode()
            self.send_response(200 if found is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is the assertions."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield (
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
            f"clusters: [{{name: fake, cluster: {{server: 'http://{host!s}:{port}'}}}}]\n"
            "users: [{name: fake, user: {token: fake}}]\n"
            "contexts: [{name: fake, context: {cluster: fake, user: fake}}]\n"
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
