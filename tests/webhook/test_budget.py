"""The review budget: judging that runs out of time ends in a verdict the mode decides.

In process, with a budget too small for any review to fit in, so every judged
review runs out; tests/reliability/test_review_budget.py shows the same over
real gunicorn with a review that really is too costly.
"""

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from policies.config import load_config, parse_config
from tests.manifests import container, deployment, pod, review
from webhook import audit_log
from webhook.app import create_app
from webhook.options import ServerOptions

TINY = ServerOptions(review_budget=1e-9)


def post(client: FlaskClient, body: Any) -> Any:
    answer = client.post("/validate", data=json.dumps(body), content_type="application/json")
    assert answer.status_code == 200
    return answer.get_json()["response"]


def test_enforce_denies_what_it_could_not_judge_and_says_why() -> None:
    client = create_app(load_config(), TINY).test_client()
    answer = post(client, review(deployment(container())))
    assert answer["allowed"] is False
    assert answer["status"]["code"] == 403
    message = answer["status"]["message"]
    assert message.startswith(
        "Gatehouse denied Deployment default/web: could not judge within the budget of 1e-09 s"
    )
    assert "Fix: split the workload" in message and "GATEHOUSE_REVIEW_BUDGET" in message
    assert "\n" not in message


def test_dry_run_allows_with_a_warning_and_an_annotation() -> None:
    client = create_app(load_config().with_mode("dry-run"), TINY).test_client()
    answer = post(client, review(pod()))
    assert answer["allowed"] is True
    assert answer["warnings"] == [
        "[gatehouse] would deny: could not judge within the budget of 1e-09 s"
    ]
    assert answer["auditAnnotations"] == {"would-deny.budget": "not judged within 1e-09 s"}


def test_one_enforcing_policy_is_enough_to_deny_unless_it_is_exempt_there() -> None:
    config = parse_config(
        {
            "mode": "dry-run",
            "policies": {
                "no-root-containers": {"mode": "enforce", "exemptions": {"namespaces": ["ops"]}}
            },
        }
    )
    client = create_app(config, TINY).test_client()
    assert post(client, review(pod()))["allowed"] is False
    assert post(client, review(pod(namespace="ops")))["allowed"] is True


def test_what_is_not_judged_at_all_is_not_over_budget() -> None:
    client = create_app(load_config(), TINY).test_client()
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert post(client, review(config_map))["allowed"] is True
    system = review(pod(namespace="kube-system"))
    assert post(client, system)["allowed"] is True


def test_it_is_logged_and_counted(capfd: pytest.CaptureFixture[str]) -> None:
    client = create_app(load_config(), TINY).test_client()
    post(client, review(pod()))
    audit_log.flush()
    lines = [
        json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")
    ]
    (line,) = [entry for entry in lines if entry.get("budgetExceeded")]
    assert (line["decision"], line["msg"], line["violationCount"]) == ("deny", "deny", 0)
    exposition = client.get("/metrics").get_data(as_text=True)
    assert "gatehouse_review_budget_exceeded_total 1.0" in exposition
    assert 'decision="deny",kind="Pod",operation="CREATE"} 1.0' in exposition
