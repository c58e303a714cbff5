"""The AdmissionReview wire format, decoded into a typed request.

A bad *request* (not JSON, not a review, no uid) is a ``BadRequest`` answered
with a 4xx; a bad *object* inside a good request is judged and denied.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from policies.base import Json

API_VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")


class BadRequest(Exception):
    """The body is not an AdmissionReview we can answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Review:
    api_version: str
    uid: str
    operation: str
    kind: str
    namespace: str
    name: str
    user: str
    sub_resource: str
    dry_run: bool
    obj: Json | None
    old_obj: Json | None


def parse_review(body: bytes) -> Review:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("body is not valid JSON" if body else "body is empty") from None
    if not isinstance(doc, dict):
        raise BadRequest("body is not a JSON object")
    if doc.get("kind") != "AdmissionReview":
        raise BadRequest("kind must be AdmissionReview")
    api_version = doc.get("apiVersion")
    if api_version not in API_VERSIONS:
        raise BadRequest(f"apiVersion must be one of {', '.join(API_VERSIONS)}")
    request = doc.get("request")
    if not isinstance(request, dict):
        raise BadRequest("request is missing or not an object")
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        raise BadRequest("request.uid is missing")
    operation = _string(request, "operation")
    if not operation:
        raise BadRequest("request.operation is missing")
    obj = _object(request, "object")
    old_obj = _object(request, "oldObject")
    kind = _string(_mapping(request.get("kind")), "kind") or _string(obj or {}, "kind")
    if obj is not None and kind and obj.get("kind") != kind:
        obj = {**obj, "kind": kind}  # the API server's word on the kind is final
    if old_obj is not None and kind and old_obj.get("kind") != kind:
        old_obj = {**old_obj, "kind": kind}
    metadata = _mapping((obj or old_obj or {}).get("metadata"))
    return Review(
        api_version=api_version,
        uid=uid,
        operation=operation,
        kind=kind,
        namespace=_string(request, "namespace") or _string(metadata, "namespace"),
        name=_string(request, "name")
        or _string(metadata, "name")
        or _string(metadata, "generateName"),
        user=_string(_mapping(request.get("userInfo")), "username"),
        sub_resource=_string(request, "subResource"),
        dry_run=request.get("dryRun") is True,
        obj=obj,
        old_obj=old_obj,
    )


def _object(request: Mapping[str, Any], key: str) -> Json | None:
    value = request.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest(f"request.{key} is not an object")
    return value


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _string(parent: Mapping[str, Any], key: str) -> str:
    value = parent.get(key)
    return value if isinstance(value, str) else ""
