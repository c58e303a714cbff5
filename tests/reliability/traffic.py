"""The review stream the reliability tests send, and how every answer is checked.

A ``Case`` is one request body with the answer it must get; ``check`` holds an
answer to it under a mode (enforce or dry-run). ``Client`` is one keep-alive
HTTPS connection, as the API server keeps them.
"""

import http.client
import json
from dataclasses import dataclass
from typing import Any

import orjson

from policies.config import Mode
from tests.manifests import container, deployment, leaky_container, pod, review
from tests.server import Server

# What a connection failing under the client looks like: reset, closed, TLS cut short.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    status: int = 200
    violates: bool = False  # a new violation: denied when enforcing, warned in dry-run
    grandfathered: bool = False  # only old violations: allowed with "existing" warnings
    content_type: str = "application/json"
    uid: str = ""  # what the answer must echo
    api_version: str = ""


def _case(name: str, doc: dict[str, Any], **expect: Any) -> Case:
    return Case(
        name,
        json.dumps(doc).encode(),
        uid=doc["request"]["uid"],
        api_version=doc["apiVersion"],
        **expect,
    )


def review_mix() -> tuple[Case, ...]:
    """Allowed, denied, server-side dry run, UPDATE, DELETE, v1beta1, bad requests, 30-wide."""
    leaky = pod(leaky_container(), name="leaky")
    wide = pod(
        *(
            container(f"c{i}", env=[{"name": f"VAR_{j}", "value": str(j)} for j in range(10)])
            for i in range(30)
        ),
        name="wide",
    )
    wide_leaky = pod(*(container(f"c{i}") for i in range(29)), leaky_container("c29"), name="wide")
    return (
        _case("allowed pod", review(pod())),
        _case("denied pod", review(leaky), violates=True),
        _case("server-side dry run", review(leaky, dry_run=True), violates=True),
        _case(
            "UPDATE scaling a leaky deployment",
            review(
                deployment(leaky_container(), replicas=3),
                "UPDATE",
                old=deployment(leaky_container(), replicas=1),
            ),
            grandfathered=True,
        ),
        _case(
            "UPDATE introducing a violation",
            review(deployment(leaky_container()), "UPDATE", old=deployment()),
            violates=True,
        ),
        _case("v1beta1 review", review(pod(), api_version="admission.k8s.io/v1beta1")),
        _case("DELETE", review(None, "DELETE", old=leaky)),
        _case("30-container pod", review(wide)),
        _case("30-container pod, one leaky", review(wide_leaky), violates=True),
        _case("wrong content type", review(pod()), status=415, content_type="text/plain"),
        Case("malformed JSON", b'{"kind": "AdmissionReview",', status=400),
    )


def check(case: Case, status: int, raw: bytes, mode: Mode) -> str | None:
    """Why this answer is wrong for ``case`` under ``mode``, or None when it is right."""
    if status != case.status:
        return f"{case.name}: HTTP {status}, expected {case.status}"
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return f"{case.name}: the body is not JSON"
    if case.status != 200:
        return (
            None
            if isinstance(answer, dict) and set(answer) == {"error"}
            else f"{case.name}: error body {answer!r}"
        )
    response = answer.get("response") or {}
    if answer.get("apiVersion") != case.api_version or response.get("uid") != case.uid:
        return f"{case.name}: answered for another review or version"
    denied = case.violates and mode == "enforce"
    if response.get("allowed") is not (not denied):
        return f"{case.name}: allowed={response.get('allowed')} in {mode} mode"
    warned = case.grandfathered or (case.violates and mode == "dry-run")
    if bool(response.get("warnings")) != warned:
        return f"{case.name}: warnings={bool(response.get('warnings'))} in {mode} mode"
    return None


def check_any(case: Case, status: int, raw: bytes, modes: tuple[Mode, ...]) -> str | None:
    """Right under one of ``modes`` (while a reload switches them), else the first reason."""
    reasons = [check(case, status, raw, mode) for mode in modes]
    return None if None in reasons else reasons[0]


class Client:
    """One keep-alive HTTPS connection to the server, as the API server keeps them.

    It connects on its first request (an idle TLS handshake would hold a server
    thread) and again only after the server closed it or ``reconnect()``.
    """

    def __init__(self, server: Server, timeout: float = 30.0) -> None:
        self._conn = http.client.HTTPSConnection(
            "localhost", server.port, context=server.ssl_context(), timeout=timeout
        )
        self._sock: object = None
        self.connections = 0  # sockets this client has opened

    @property
    def port(self) -> int | None:
        """The local port of the open connection: what the server sees as the peer."""
        sock = self._conn.sock
        return int(sock.getsockname()[1]) if sock is not None else None

    def send(self, case: Case) -> tuple[int, bytes]:
        try:
            self._conn.request(
                "POST",
                "/validate?timeout=10s",
                body=case.body,
                headers={"Content-Type": case.content_type},
            )
        finally:
            if self._conn.sock is not None and self._conn.sock is not self._sock:
                self._sock = self._conn.sock
                self.connections += 1
        response = self._conn.getresponse()
        return response.status, response.read()

    def reconnect(self) -> None:
        self._conn.close()  # the next request opens a new connection

    def close(self) -> None:
        self._conn.close()
