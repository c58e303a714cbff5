"""Bad input gets a clear 4xx JSON error (or a normal denial), never a 500 or a traceback."""

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.manifests import pod, review
from webhook.app import MAX_BODY_BYTES
from webhook.review import BadRequest, parse_review

GOOD = review(pod())


def with_request(**changes: Any) -> bytes:
    body = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if value is None:
            body["request"].pop(key)
        else:
            body["request"][key] = value
    return json.dumps(body).encode()


def top(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


BAD_REQUESTS = [
    ("malformed JSON", b'{"kind": "AdmissionReview",', 400, "body is not valid JSON"),
    ("empty body", b"", 400, "body is empty"),
    ("non-UTF-8 bytes", b'{"kind": "\xff\xfe"}', 400, "body is not valid JSON"),
    ("a JSON list", b"[1, 2]", 400, "body is not a JSON object"),
    ("a JSON string", b'"AdmissionReview"', 400, "body is not a JSON object"),
    ("wrong kind", top(kind="Pod"), 400, "kind must be AdmissionReview"),
    ("wrong apiVersion", top(apiVersion="admission.k8s.io/v2"), 400, "apiVersion must be one of"),
    (
        "missing request",
        json.dumps({k: v for k, v in GOOD.items() if k != "request"}).encode(),
        400,
        "request is missing",
    ),
    ("request not an object", top(request=[1]), 400, "request is missing or not an object"),
    ("missing uid", with_request(uid=None), 400, "request.uid is missing"),
    ("empty uid", with_request(uid=""), 400, "request.uid is missing"),
    ("uid not a string", with_request(uid=7), 400, "request.uid is missing"),
    ("missing operation", with_request(operation=None), 400, "request.operation is missing"),
    ("object not an object", with_request(object="a pod"), 400, "request.object is not an object"),
    (
        "deep nesting",
        b'{"kind": "AdmissionReview", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        400,
        "body is not valid JSON",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "error"), BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS]
)
def test_bad_request_is_a_clear_json_error(
    client: FlaskClient, case: str, body: bytes, status: int, error: str
) -> None:
    answer = client.post("/validate", data=body, content_type="application/json")
    assert answer.status_code == status
    assert answer.get_json()["error"].startswith(error)
    assert "Traceback" not in answer.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200  # and it keeps serving


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    answer = client.post("/validate", data=json.dumps(GOOD), content_type="text/plain")
    assert answer.status_code == 415
    assert answer.get_json() == {"error": "content type must be application/json"}


def test_oversized_body_is_413_before_it_is_read(client: FlaskClient) -> None:
    answer = client.post(
        "/validate", data=b" " * (MAX_BODY_BYTES + 1), content_type="application/json"
    )
    assert answer.status_code == 413
    assert "error" in answer.get_json()


def test_several_mib_pod_is_still_judged(client: FlaskClient) -> None:
    big = pod()
    big["metadata"]["annotations"] = {"blob": "x" * (5 * 1024 * 1024)}
    answer = client.post("/validate", data=json.dumps(review(big)), content_type="application/json")
    assert answer.status_code == 200
    assert answer.get_json()["response"]["allowed"] is True


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/validate", 405), ("POST", "/nope", 404)]
)
def test_wrong_route_or_method_is_json(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    answer = client.open(path, method=method)
    assert answer.status_code == status
    assert "error" in answer.get_json()


@pytest.mark.parametrize(
    "garbage",
    [
        {"containers": "nginx"},
        {"containers": [["not", "a", "container"]]},
        {"containers": [{"name": "app", "env": {"A": "b"}}]},
        {"containers": [{"name": "app", "securityContext": {"runAsUser": "0"}}]},
        {"containers": [{"name": "app", "env": [{"name": "TTL", "value": 3600}]}]},
    ],
)
def test_garbage_pod_spec_is_a_clear_denial(client: FlaskClient, garbage: dict[str, Any]) -> None:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "odd"}, "spec": garbage}
    answer = client.post("/validate", data=json.dumps(review(obj)), content_type="application/json")
    assert answer.status_code == 200
    response = answer.get_json()["response"]
    assert response["allowed"] is False
    assert "[valid-pod-spec]" in response["status"]["message"]
    assert "3600" not in response["status"]["message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
review_like = st.fixed_dictionaries(
    {
        "apiVersion": st.sampled_from(["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]),
        "kind": st.just("AdmissionReview"),
    },
    optional={
        "request": st.fixed_dictionaries(
            {},
            optional={
                "uid": st.text(max_size=5) | json_values,
                "operation": st.sampled_from(["CREATE", "UPDATE", "DELETE"]) | json_values,
                "kind": st.fixed_dictionaries(
                    {"kind": st.sampled_from(["Pod", "Deployment", "CronJob"])}
                )
                | json_values,
                "namespace": st.text(max_size=5) | json_values,
                "userInfo": json_values,
                "object": st.fixed_dictionaries(
                    {
                        "kind": st.sampled_from(["Pod", "Deployment", "CronJob"]),
                        "spec": json_values,
                        "metadata": json_values,
                    }
                )
                | json_values,
                "oldObject": json_values,
            },
        )
    },
)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200) | review_like.map(lambda r: json.dumps(r).encode()))
def test_decoder_accepts_or_rejects_cleanly(body: bytes) -> None:
    try:
        parse_review(body)
    except BadRequest as exc:
        assert 400 <= exc.status < 500


# The app is stateless between requests, so sharing one client across examples is sound.
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=review_like.map(lambda r: json.dumps(r).encode()))
def test_endpoint_never_answers_500(client: FlaskClient, body: bytes) -> None:
    answer = client.post("/validate", data=body, content_type="application/json")
    assert answer.status_code in (200, 400)
