"""enforceFrom and exceptions in the webhook: the answers, the log, the metrics; in process
with an explicit clock, then over real gunicorn with the real one."""

import http.client
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from policies.config import parse_config
from tests.manifests import container, deployment, review
from tests.server import Server, serve
from webhook import audit_log
from webhook.app import create_app
from webhook.decision import decide
from webhook.response import build_response
from webhook.review import parse_review

ROOT = container(securityContext={"runAsUser": 0})
ROOT_NO_LIMITS = container(securityContext={"runAsUser": 0}, resources={})
ALONE = {"no-plaintext-secrets": {"enabled": False}, "require-resource-limits": {"enabled": False}}


def answer_at(raw: dict[str, Any], now: datetime, obj: Any = None) -> dict[str, Any]:
    config = parse_config(raw, "gatehouse.yaml", now - timedelta(days=1))
    sent = parse_review(json.dumps(review(obj or deployment(ROOT, name="legacy"))).encode())
    response: dict[str, Any] = build_response(sent, decide(config, sent, now=now))["response"]
    return response


def with_policy(**fields: Any) -> dict[str, Any]:
    return {"policies": {**ALONE, "no-root-containers": fields}}


def exception(expires: str) -> dict[str, Any]:
    return {
        "policy": "no-root-containers",
        "namespace": "default",
        "kind": "Deployment",
        "name": "legacy",
        "reason": "vendor image needs root until v3",
        "owner": "team-payments",
        "expires": expires,
    }


def test_before_enforce_from_the_answer_allows_and_says_when_it_will_deny() -> None:
    answer = answer_at(
        with_policy(enforceFrom="2027-01-15"), datetime(2027, 1, 14, 23, 59, tzinfo=UTC)
    )
    assert answer["allowed"] is True
    (warning,) = answer["warnings"]
    assert warning.startswith(
        "[no-root-containers] will be denied from 2027-01-15: app: runs as root: runAsUser is 0"
    )
    assert answer["auditAnnotations"] == {
        "will-deny.no-root-containers": "app spec.template.spec.containers[0].securityContext"
        ".runAsUser from 2027-01-15"
    }


def test_from_enforce_from_the_answer_denies() -> None:
    answer = answer_at(
        with_policy(enforceFrom="2027-01-15"), datetime(2027, 1, 15, 0, 1, tzinfo=UTC)
    )
    assert answer["allowed"] is False
    assert "[no-root-containers] container app: runs as root" in answer["status"]["message"]


def test_an_exception_allows_with_a_warning_naming_its_owner_and_expiry() -> None:
    raw = {**with_policy(), "exceptions": [exception("2027-02-01")]}
    answer = answer_at(raw, datetime(2027, 1, 31, 23, 59, tzinfo=UTC))
    assert answer["allowed"] is True
    assert answer["warnings"][0].startswith(
        "[no-root-containers] excepted until 2027-02-01 (owner: team-payments): app: runs as root"
    )
    assert answer["auditAnnotations"]["excepted.no-root-containers"].endswith(
        "by exceptions[0] (owner team-payments)"
    )


def test_once_it_expires_the_denial_says_which_exception_lapsed() -> None:
    raw = {**with_policy(), "exceptions": [exception("2027-02-01")]}
    answer = answer_at(raw, datetime(2027, 2, 1, 0, 1, tzinfo=UTC))
    assert answer["allowed"] is False
    assert (
        "runs as root: runAsUser is 0 (spec.template.spec.containers[0].securityContext.runAsUser)"
        " (exception expired on 2027-02-01 (owner: team-payments)). Fix:"
    ) in answer["status"]["message"]


def post(client: FlaskClient, body: Any) -> Any:
    response = client.post("/validate", data=json.dumps(body), content_type="application/json")
    return response.get_json()["response"]


def test_exception_uses_are_logged_and_counted_and_policy_states_exposed(
    capfd: pytest.CaptureFixture[str],
) -> None:
    soon = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    raw = {
        "policies": {
            **ALONE,
            "no-root-containers": {},
            "require-resource-limits": {"enforceFrom": soon},
        },
        "exceptions": [exception(soon)],
    }
    client = create_app(parse_config(raw)).test_client()
    assert post(client, review(deployment(ROOT, name="legacy")))["allowed"] is True
    audit_log.flush()
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line]
    (logged,) = [line for line in lines if line.get("excepted")]
    assert logged["excepted"] == [
        {
            "policy": "no-root-containers",
            "container": "app",
            "path": "spec.template.spec.containers[0].securityContext.runAsUser",
            "exception": "exceptions[0]",
            "owner": "team-payments",
            "expires": soon,
        }
    ]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'gatehouse_exceptions_applied_total{policy="no-root-containers"} 1.0' in metrics
    assert 'gatehouse_policy_enforced{policy="no-root-containers"} 1.0' in metrics
    assert 'gatehouse_policy_enforced{policy="require-resource-limits"} 0.0' in metrics
    assert 'gatehouse_policy_enforced{policy="no-plaintext-secrets"} 0.0' in metrics


# --- over real gunicorn, with the real clock ----------------------------------------------------


def _config_file(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _ask(server: Server) -> dict[str, Any]:
    conn = http.client.HTTPSConnection(
        "localhost", server.port, context=server.ssl_context(), timeout=10
    )
    conn.request(
        "POST",
        "/validate",
        body=json.dumps(review(deployment(ROOT_NO_LIMITS, name="legacy"))),
        headers={"Content-Type": "application/json"},
    )
    answer: dict[str, Any] = json.loads(conn.getresponse().read())["response"]
    conn.close()
    return answer


def _stamp(at: datetime) -> str:
    return at.replace(microsecond=0).isoformat()


def test_a_minute_either_side_of_each_date_over_the_wire(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    minute = timedelta(minutes=1)
    raw = {
        "policies": {
            **ALONE,
            "no-root-containers": {"enforceFrom": _stamp(now + minute)},
            "require-resource-limits": {"enabled": True, "enforceFrom": _stamp(now - minute)},
        },
        "exceptions": [
            {**exception(_stamp(now + minute)), "policy": "require-resource-limits"},
        ],
    }
    # no-root: a minute before its date (warns); limits: a minute after its date (enforces),
    # but excepted until a minute from now
    with serve(tmp_path, env={"GATEHOUSE_CONFIG": str(_config_file(tmp_path, raw))}) as server:
        answer = _ask(server)
    assert answer["allowed"] is True
    assert any(w.startswith("[no-root-containers] will be denied from") for w in answer["warnings"])
    assert any(w.startswith("[require-resource-limits] excepted until") for w in answer["warnings"])
    expired = {**raw, "exceptions": [{**raw["exceptions"][0], "expires": _stamp(now - minute)}]}
    expired["policies"]["no-root-containers"] = {"enforceFrom": _stamp(now - minute)}
    work = tmp_path / "later"
    work.mkdir()
    with serve(work, env={"GATEHOUSE_CONFIG": str(_config_file(work, expired))}) as server:
        answer = _ask(server)
    assert answer["allowed"] is False
    message = answer["status"]["message"]
    assert "[no-root-containers] container app: runs as root" in message
    assert "exception expired on" in message and "(owner: team-payments)" in message


def test_enforcement_starts_on_time_with_no_restart(tmp_path: Path) -> None:
    start = datetime.now(UTC) + timedelta(seconds=4)
    raw = with_policy(enforceFrom=start.isoformat())
    with serve(tmp_path, env={"GATEHOUSE_CONFIG": str(_config_file(tmp_path, raw))}) as server:
        pids = server.worker_pids()
        before = _ask(server)
        time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 0.5)
        after = _ask(server)
        assert server.worker_pids() == pids  # the same workers: nothing restarted
    assert before["allowed"] is True and after["allowed"] is False
