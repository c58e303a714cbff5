"""The API side of tls.mode=managed: the shared Secret and the webhook's caBundle.

Every write is conditional. Creating the Secret fails with 409 AlreadyExists when
another replica made it first; replacing it, or patching the caBundle, carries the
``resourceVersion`` that was read and fails with 409 Conflict when someone wrote in
between. Both surface as ``Conflict``: the caller reads again and re-plans. What this
reads and writes is exactly what the chart's RBAC grants: get, create and update
on the Secret, get and patch on the ValidatingWebhookConfiguration.
"""

import base64
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import (
    AdmissionregistrationV1Api,
    ApiClient,
    ApiException,
    Configuration,
    CoreV1Api,
    V1Secret,
)

FIELD_MANAGER = "gatehouse-managed-tls"
# Seconds to connect and to wait for an answer: a hung API server must not hang the loop.
# The client makes each request once (connect() turns urllib3's retries off): a failed
# round is retried by the controller's loop, with back-off, so this bounds one call.
TIMEOUT = (5.0, 15.0)


class Conflict(Exception):
    """Another writer got there first (409): read again."""


@dataclass(frozen=True)
class Target:
    namespace: str
    secret: str
    webhook: str  # the ValidatingWebhookConfiguration's name


@dataclass(frozen=True)
class StoredSecret:
    data: dict[str, str] = field(repr=False)  # base64, as the API has it; holds the keys
    annotations: dict[str, str]
    resource_version: str


@dataclass(frozen=True)
class StoredWebhook:
    uid: str
    resource_version: str
    # Per webhook entry, by name: its caBundle (PEM), b"" when unset.
    bundles: dict[str, bytes]


class ClusterApi:
    def __init__(self, api: ApiClient, target: Target) -> None:
        self.core = CoreV1Api(api)
        self.admission = AdmissionregistrationV1Api(api)
        self.target = target

    def read_secret(self) -> StoredSecret | None:
        try:
            found = self.core.read_namespaced_secret(
                self.target.secret, self.target.namespace, _request_timeout=TIMEOUT
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return _stored_secret(found)

    def create_secret(
        self, data: dict[str, str], annotations: dict[str, str], owner: StoredWebhook
    ) -> StoredSecret:
        """The Secret, owned by the webhook configuration: deleting that (helm uninstall)
        lets the garbage collector delete this too."""
        body = self._secret(data, annotations)
        body["metadata"]["ownerReferences"] = [
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingWebhookConfiguration",
                "name": self.target.webhook,
                "uid": owner.uid,
            }
        ]
        try:
            created = self.core.create_namespaced_secret(
                self.target.namespace,
                V1Secret.model_validate(body),
                field_manager=FIELD_MANAGER,
                _request_timeout=TIMEOUT,
            )
        except ApiException as error:
            raise _conflict(error) from None
        return _stored_secret(created)

    def replace_secret(
        self, data: dict[str, str], annotations: dict[str, str], current: StoredSecret
    ) -> StoredSecret:
        body = self._secret(data, annotations)
        body["metadata"]["resourceVersion"] = current.resource_version
        try:
            replaced = self.core.replace_namespaced_secret(
                self.target.secret,
                self.target.namespace,
                V1Secret.model_validate(body),
                field_manager=FIELD_MANAGER,
                _request_timeout=TIMEOUT,
            )
        except ApiException as error:
            raise _conflict(error) from None
        return _stored_secret(replaced)

    def read_webhook(self) -> StoredWebhook:
        found = self.admission.read_validating_webhook_configuration(
            self.target.webhook, _request_timeout=TIMEOUT
        )
        metadata = found.metadata
        if metadata is None or not metadata.uid or not metadata.resource_version:
            raise ValueError("the API server sent a webhook configuration without metadata")
        bundles = {
            w.name: _pem(w.client_config.ca_bundle if w.client_config else None)
            for w in found.webhooks or []
        }
        return StoredWebhook(metadata.uid, metadata.resource_version, bundles)

    def set_ca_bundle(self, bundle: bytes, current: StoredWebhook) -> StoredWebhook:
        """Every webhook entry's caBundle set to ``bundle``, if nobody wrote since ``current``.

        A strategic merge patch (entries merge by name) that names only the caBundle:
        whatever else the chart (or a GitOps tool) set stays as it is.
        """
        encoded = base64.b64encode(bundle).decode()
        patch = {
            "metadata": {"resourceVersion": current.resource_version},
            "webhooks": [
                {"name": name, "clientConfig": {"caBundle": encoded}} for name in current.bundles
            ],
        }
        try:
            self.admission.patch_validating_webhook_configuration(
                self.target.webhook,
                patch,
                field_manager=FIELD_MANAGER,
                _content_type="application/strategic-merge-patch+json",
                _request_timeout=TIMEOUT,
            )
        except ApiException as error:
            raise _conflict(error) from None
        return self.read_webhook()

    def _secret(self, data: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {
                "name": self.target.secret,
                "namespace": self.target.namespace,
                "labels": {"app.kubernetes.io/managed-by": "gatehouse"},
                "annotations": annotations,
            },
            "data": data,
        }


def _stored_secret(secret: V1Secret) -> StoredSecret:
    metadata = secret.metadata
    if metadata is None or not metadata.resource_version:
        raise ValueError("the API server sent a Secret without metadata")
    data = {k: v if isinstance(v, str) else v.decode() for k, v in (secret.data or {}).items()}
    return StoredSecret(data, dict(metadata.annotations or {}), metadata.resource_version)


def _pem(ca_bundle: bytes | str | None) -> bytes:
    """A caBundle as the client hands it over (base64 text) turned into PEM."""
    if not ca_bundle:
        return b""
    text = ca_bundle.encode() if isinstance(ca_bundle, str) else ca_bundle
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return b""


def _conflict(error: ApiException) -> Exception:
    return Conflict(error.reason or "conflict") if error.status == 409 else error


def connect(kubeconfig: str | None) -> ApiClient:
    """A client as the pod's service account (in-cluster), or as ``kubeconfig`` says.

    urllib3 would otherwise try a timed-out GET or PUT three more times: four timeouts
    per call, and four requests per call to an API server that is already struggling.
    """
    from kubernetes import config

    configuration = Configuration()
    if kubeconfig:
        config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)  # type: ignore[no-untyped-call]
    else:
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    configuration.retries = 0
    return ApiClient(configuration)
