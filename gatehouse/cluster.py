"""What ``gatehouse audit`` asks of the Kubernetes API, through the official client.

Lists are paged on the server (``limit``/``continue``). Each page goes through
the client's generic request machinery (configuration, authentication, TLS,
proxies as kubectl would use them) and its body is parsed with orjson into
plain dicts, the shape the policies read: the client's typed models would cost
time and memory per object for nothing. A page is dropped once its objects are
judged, so memory is bounded by the page size, not the cluster.

Every failure becomes a ``ClusterError`` with one line a person can act on:
which request failed and, for a 403, the RBAC rule that is missing. The client's
own exception text is never shown: it carries the response body, which may
quote an object. A 404 to a list is told apart: a kind this API server does not
serve, or a server that is no Kubernetes API server at all (a wrong address in
the kubeconfig), which stops the audit at once, in one line.
"""

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import orjson
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

T = TypeVar("T")

PAGE_SIZE = 500  # kubectl's --chunk-size default
TIMEOUT = (10.0, 120.0)  # seconds to connect, to read one response
RETRIES = 4
RETRY_STATUSES = frozenset({429, 503})  # the API server's "slow down", sent with Retry-After
MAX_DELAY = 30.0


@dataclass(frozen=True)
class Kind:
    """A kind the audit lists (all at version v1), and where the API serves it."""

    kind: str
    group: str  # "" is the core group
    plural: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/v1" if self.group else "v1"

    def path(self, namespace: str | None) -> str:
        prefix = f"/apis/{self.group}/v1" if self.group else "/api/v1"
        return (
            f"{prefix}/namespaces/{namespace}/{self.plural}"
            if namespace
            else (f"{prefix}/{self.plural}")
        )

    @property
    def resource(self) -> str:
        """As RBAC errors and kubectl name it: ``deployments.apps``, ``pods``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


# Owners before what they own (CronJob → Job → Pod, Deployment → ReplicaSet → Pod),
# so that when an owned object arrives its owner has already been judged.
AUDITED: tuple[Kind, ...] = (
    Kind("CronJob", "batch", "cronjobs"),
    Kind("Deployment", "apps", "deployments"),
    Kind("StatefulSet", "apps", "statefulsets"),
    Kind("DaemonSet", "apps", "daemonsets"),
    Kind("ReplicationController", "", "replicationcontrollers"),
    Kind("ReplicaSet", "apps", "replicasets"),
    Kind("Job", "batch", "jobs"),
    Kind("Pod", "", "pods"),
)


class ClusterError(Exception):
    """A request failed. ``fatal``: no other request can succeed either (unreachable, 401)."""

    def __init__(self, message: str, *, status: int | None = None, fatal: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.fatal = fatal


@dataclass(frozen=True)
class Action:
    """What a request does, in RBAC's words: a verb on a resource in a group, somewhere."""

    verb: str
    plural: str
    group: str
    where: str  # 'in all namespaces', 'in namespace "shop"', '"name" in namespace "shop"'

    def __str__(self) -> str:
        resource = f"{self.plural}.{self.group}" if self.group else self.plural
        return f"{self.verb} {resource} {self.where}"

    @property
    def rule(self) -> str:
        group = f'API group "{self.group}"' if self.group else 'the core API group ("")'
        return f'RBAC "{self.verb}" on "{self.plural}" in {group}'


def scope(namespace: str | None) -> str:
    return f'in namespace "{namespace}"' if namespace else "in all namespaces"


@dataclass
class Cluster:
    """A connected API client; ``name`` is what reports call the cluster.

    ``verifies_tls`` is False when the kubeconfig says ``insecure-skip-tls-verify``.
    """

    api: client.ApiClient
    name: str
    host: str
    verifies_tls: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    _is_api_server: bool | None = field(default=None, repr=False)

    def call(self, request: Callable[[], T], action: Action) -> T:
        """``request()``, retried while the server says to slow down; errors as ClusterError."""
        attempt = 0
        while True:
            try:
                return request()
            except ApiException as exc:
                if exc.status not in RETRY_STATUSES or attempt == RETRIES:
                    raise self._explain(exc, action, attempt) from None
                self.sleep(_delay(exc, attempt))
            except urllib3.exceptions.HTTPError as exc:
                raise ClusterError(
                    f"unreachable: cannot {action}: no answer from the API server at "
                    f"{self.host} ({_cause(exc)})",
                    fatal=True,
                ) from None
            attempt += 1

    def list_objects(
        self, kind: Kind, namespace: str | None, page_size: int = PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Every object of ``kind``, page by page, with ``kind``/``apiVersion`` set.

        List items carry neither; the policies find the pod spec by ``kind``.
        """
        path, action = (
            kind.path(namespace),
            Action("list", kind.plural, kind.group, scope(namespace)),
        )
        token: str | None = None
        while True:
            query = [("limit", page_size), *([("continue", token)] if token else [])]
            try:
                page = self.call(partial(self._get, path, query), action)
            except ClusterError as exc:
                if exc.status == 404:
                    raise self._not_found(kind, path) from None
                raise
            try:
                body = orjson.loads(page)
                items, metadata = body.get("items") or [], body.get("metadata") or {}
            except (orjson.JSONDecodeError, AttributeError):
                raise ClusterError(
                    f"cannot {action}: the API server's answer is not a Kubernetes list"
                ) from None
            for item in items:
                if isinstance(item, dict):
                    item["kind"], item["apiVersion"] = kind.kind, kind.api_version
                    yield item
            token = metadata.get("continue")
            if not token:
                return

    def _get(self, path: str, query: list[tuple[str, object]]) -> bytes:
        """The body of a GET, read whole inside ``call`` so a failure mid-body is reported too.

        Through the client's generic call rather than its typed list methods, which
        import some 300 pydantic models (two seconds) to deserialize what is not used.
        """
        request = self.api.param_serialize(
            "GET",
            path,
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(*request, _request_timeout=TIMEOUT)
        body = response.read()  # type: ignore[no-untyped-call]
        if not 200 <= response.status <= 299:
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return bytes(body)

    def _not_found(self, kind: Kind, path: str) -> ClusterError:
        """A 404 to a list: this kind is not served here, or this is no API server at all."""
        if self._is_api_server is None:
            self._is_api_server = self._answers_discovery()
        if not self._is_api_server:
            return ClusterError(
                f"not a Kubernetes API server: {self.host} answered 404 to GET {path} and "
                f"has no API discovery at /api; check the server address of {self.name} in "
                "the kubeconfig",
                status=404,
                fatal=True,
            )
        return ClusterError(
            f"cannot list {kind.resource}: the API server does not serve "
            f"{kind.api_version} {kind.kind} (404)",
            status=404,
        )

    def _answers_discovery(self) -> bool:
        """Whether GET /api answers the API server's discovery document (``APIVersions``)."""
        try:
            body = self._get("/api", [])
            document = orjson.loads(body)
        except (ApiException, urllib3.exceptions.HTTPError, orjson.JSONDecodeError):
            return False
        return isinstance(document, dict) and document.get("kind") == "APIVersions"

    def _explain(self, exc: ApiException, action: Action, retries: int) -> ClusterError:
        status = exc.status or 0
        if status == 401:
            return ClusterError(
                f"unauthorized: the API server at {self.host} refused the credentials of "
                f"{self.name} (expired or revoked?) to {action}; log in again or refresh "
                "the kubeconfig",
                status=401,
                fatal=True,
            )
        if status == 403:
            return ClusterError(
                f"forbidden: cannot {action}: the audit needs {action.rule}", status=403
            )
        if status == 0:  # the client's wrapper for a TLS failure
            return ClusterError(
                f"unreachable: cannot {action}: TLS with the API server at {self.host} failed",
                fatal=True,
            )
        if status in RETRY_STATUSES:
            return ClusterError(
                f"throttled: cannot {action}: the API server still answered "
                f"{status} after {retries} retries; try again later",
                status=status,
            )
        if status == 410:
            return ClusterError(
                f"expired: cannot {action}: the listing took longer than the "
                "API server keeps its snapshot; run again, or narrow it "
                "with -n",
                status=410,
            )
        return ClusterError(
            f"cannot {action}: the API server answered {status} {exc.reason or ''}".rstrip(),
            status=status,
        )


def connect(kubeconfig: str | None, context: str | None) -> Cluster:
    """A client for ``context`` of ``kubeconfig`` (kubectl's defaults for either).

    In a pod with no kubeconfig in sight, the pod's service account, as kubectl does.
    """
    configuration = client.Configuration()
    # Connection failures are retried by urllib3; answers (429 included) only by
    # Cluster.call, so that retries do not multiply and each is counted.
    configuration.retries = urllib3.Retry(total=3, respect_retry_after_header=False)
    try:
        if kubeconfig is None and context is None and _in_a_pod_without_kubeconfig():
            config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
            name = "in-cluster"
        else:
            _, current = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
                kubeconfig
            )
            config.load_kube_config(  # type: ignore[no-untyped-call]
                kubeconfig, context, client_configuration=configuration, persist_config=False
            )
            name = context or str(current["name"])
    except (ConfigException, OSError) as exc:
        # The loader's messages name files, keys and contexts, never credentials.
        raise ClusterError(
            f"cannot load the cluster configuration from {_kubeconfig_named(kubeconfig)}"
            f" (not in a pod either): {exc}",
            fatal=True,
        ) from None
    verifies_tls = bool(configuration.verify_ssl)
    if not verifies_tls:
        # urllib3 would warn on every request; the audit says it once (Cluster.verifies_tls).
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return Cluster(client.ApiClient(configuration), name, str(configuration.host), verifies_tls)


def _kubeconfig_named(kubeconfig: str | None) -> str:
    """The file the client read: --kubeconfig, else $KUBECONFIG, else ~/.kube/config
    (the client's own default, taken from the environment when it was imported)."""
    return kubeconfig or str(config.kube_config.KUBE_CONFIG_DEFAULT_LOCATION)


def _in_a_pod_without_kubeconfig() -> bool:
    return (
        "KUBERNETES_SERVICE_HOST" in os.environ
        and "KUBECONFIG" not in os.environ
        and not os.path.exists(os.path.expanduser(config.KUBE_CONFIG_DEFAULT_LOCATION))
    )


def _delay(exc: ApiException, attempt: int) -> float:
    """The server's Retry-After when it sends one, else 0.5 s doubling; never above 30 s."""
    retry_after = (exc.headers or {}).get("Retry-After")
    try:
        delay = float(retry_after) if retry_after is not None else 0.5 * 2**attempt
    except ValueError:  # an HTTP date: not worth parsing for a few seconds
        delay = 0.5 * 2**attempt
    return min(max(delay, 0.0), MAX_DELAY)


def _cause(exc: BaseException) -> str:
    """The operating system's reason (``Connection refused``), else the error's class name."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        reason = getattr(seen, "reason", None)  # urllib3's MaxRetryError wraps its cause here
        seen = reason if isinstance(reason, BaseException) else (seen.__cause__ or seen.__context__)
    return type(exc).__name__
