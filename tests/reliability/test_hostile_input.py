"""Hostile input in process: the decoder, every policy and the response, never a 500 or a hang.

Adds to tests/webhook/test_bad_input.py (shapes of the review) and
tests/policies/test_workloads.py (garbage in pod-spec positions): breakage at
*any* path of real reviews, raw byte splices, 10,000-variable env lists, values
built to make regexes backtrack, and env names that imitate PASSWORD.
Every example runs under a hard time limit (hostile.hard_limit).
"""

import json
from collections.abc import Iterator

import orjson
import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from policies.config import load_config, parse_config
from policies.secret_detectors import detect
from tests.manifests import container, pod, review
from tests.reliability.hostile import (
    BASES,
    DEEP,
    LOOKALIKES,
    RAW,
    SHAPED_SECRETS,
    budget,
    env_names,
    env_values,
    hard_limit,
    hostile_bodies,
    lookalike_names,
    short_values,
    spliced,
)
from tests.reliability.report import Ledger
from webhook import audit_log
from webhook.app import create_app

ANSWER_LIMIT = 32 * 1024  # bytes: an answer stays small whatever the object holds
CANARY = "gatehouse-canary-" + "7Qm2xLp9"  # a literal under DB_PASSWORD: flagged, never echoed
DRY_RUN_WITH_EXEMPTIONS = {
    "mode": "dry-run",
    "policies": {
        "no-plaintext-secrets": {"exemptions": {"envNames": ["LEGACY_*", "*_FILE"]}},
        "no-root-containers": {"mode": "enforce", "exemptions": {"namespaces": ["legacy"]}},
        "require-resource-limits": {"require": ["limits.memory", "requests.cpu"]},
    },
}


@pytest.fixture(autouse=True)
def _decision_lines_stay_with_their_test() -> Iterator[None]:
    yield
    audit_log.flush()  # while this test's output is still captured


@pytest.fixture(scope="module", params=["default config", "dry-run with exemptions"])
def client(request: pytest.FixtureRequest) -> FlaskClient:
    config = (
        load_config()
        if request.param == "default config"
        else parse_config(DRY_RUN_WITH_EXEMPTIONS)
    )
    return create_app(config).test_client()


@budget(400)
@given(body=hostile_bodies)
def test_any_body_gets_a_json_answer_never_a_500(
    client: FlaskClient, ledger: Ledger, body: bytes
) -> None:
    ledger.add("inputs", 1)
    with hard_limit():
        answer = client.post("/validate", data=body, content_type="application/json")
    assert answer.status_code in (200, 400, 413), answer.get_data()[:300]
    doc = orjson.loads(answer.get_data())
    if answer.status_code != 200:
        assert set(doc) == {"error"}
        return
    assert doc["response"]["uid"] == orjson.loads(body)["request"]["uid"]


def test_deep_nesting_at_every_path_of_a_review_is_answered_never_a_500(
    client: FlaskClient, ledger: Ledger
) -> None:
    """Not sampled: every path of every base review, nested as deep as the parser allows."""
    failures = []
    for base, paths in BASES:
        for path in paths:
            for raw in DEEP:
                ledger.add("inputs", 1)
                body = spliced(base, path, RAW[raw])
                with hard_limit():
                    answer = client.post("/validate", data=body, content_type="application/json")
                if answer.status_code not in (200, 400):
                    failures.append(f"{raw} at {'.'.join(map(str, path))}: {answer.status_code}")
    assert failures == []


def test_a_container_name_nested_deep_is_reported_not_a_500(client: FlaskClient) -> None:
    path = ("request", "object", "spec", "containers", 0, "name")
    body = spliced(review(pod()), path, RAW["nesting at the parser's limit"])
    answer = client.post("/validate", data=body, content_type="application/json")
    assert answer.status_code == 200
    response = answer.get_json()["response"]
    said = response["status"]["message"] if "status" in response else " ".join(response["warnings"])
    assert "expected the container's name as a string" in said


def _tiled_env(pattern: list[dict[str, str]], size: int = 10_000) -> list[dict[str, str]]:
    return (pattern * (size // len(pattern) + 1))[:size]


@budget(30)
@given(
    pattern=st.lists(
        st.fixed_dictionaries(
            {"name": env_names, "value": short_values | st.sampled_from(SHAPED_SECRETS)}
        ),
        min_size=1,
        max_size=5,
    )
)
def test_ten_thousand_env_vars_get_a_small_answer_that_echoes_no_secret(
    client: FlaskClient, ledger: Ledger, pattern: list[dict[str, str]]
) -> None:
    ledger.add("inputs", 1)
    env = [*_tiled_env(pattern), {"name": "DB_PASSWORD", "value": CANARY}]
    sent = review(pod(container("app", env=env), container("sidecar")))
    with hard_limit():
        answer = client.post("/validate", data=json.dumps(sent), content_type="application/json")
    assert answer.status_code == 200
    assert len(answer.get_data()) < ANSWER_LIMIT
    body = answer.get_data(as_text=True)
    names = " ".join(var["name"] for var in pattern)
    for secret in {CANARY, *SHAPED_SECRETS} & {var["value"] for var in env}:
        assert json.dumps(secret)[1:-1] not in body or secret in names


@budget(500)
@given(name=env_names | st.text(), value=env_values)
def test_secret_detector_answers_a_label_or_none_for_anything(
    ledger: Ledger, name: str, value: str
) -> None:
    ledger.add("inputs", 1)
    with hard_limit():
        label = detect(name, value)
    assert label is None or isinstance(label, str)
    if label is not None and len(value) >= 8:
        assert value not in label  # labels name the detector, never the value


@budget(100)
@given(name=lookalike_names(), value=st.sampled_from(SHAPED_SECRETS))
def test_a_secret_by_its_shape_is_caught_under_any_lookalike_name(
    ledger: Ledger, name: str, value: str
) -> None:
    ledger.add("inputs", 1)
    assert detect(name, value) is not None


# Decision on lookalike env *names* holding a plain literal (no known shape):
#  * The API server refuses env names outside printable ASCII (KEP-4369) before validating
#    webhooks run, so none reaches the webhook; only `gatehouse scan` of manifests sees them.
#  * Fullwidth letters and zero-width or soft-hyphen characters come from copy and paste as
#    often as from malice, and NFKC plus dropping format characters (category Cf) undoes them
#    with the standard library: the detector should read the name it imitates.
#  * Cyrillic or Greek homoglyphs need the Unicode confusables table; only an evader writes
#    them, and an evader can as well pick a plain ASCII name the heuristics do not know.
#    Not normalised; a value with a known shape is still caught (test above).
NORMALISABLE = ["fullwidth", "zero-width joiners", "zero-width spaces", "soft hyphens"]


@pytest.mark.parametrize("how", NORMALISABLE)
def test_a_name_disguised_by_width_or_invisible_characters_is_read_as_the_name(how: str) -> None:
    assert detect(LOOKALIKES[how]("DB_PASSWORD"), "hunter2-hunter2") is not None


def test_a_decision_log_line_stays_within_pipe_buf_whatever_the_object_holds(
    client: FlaskClient, capfd: pytest.CaptureFixture[str]
) -> None:
    env = [{"name": f"PASSWORD_{n}", "value": "hunter2-hunter2"} for n in range(10_000)]
    sent = review(pod(container("app", env=env)))
    answer = client.post("/validate", data=json.dumps(sent), content_type="application/json")
    assert answer.status_code == 200
    audit_log.flush()
    lines = [line for line in capfd.readouterr().err.splitlines() if sent["request"]["uid"] in line]
    assert len(lines) == 1
    assert len(lines[0].encode()) + 1 <= audit_log.PIPE_BUF
