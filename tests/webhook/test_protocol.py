"""The admission protocol through the Flask test client: what the API server sends and gets."""

import json
from typing import Any, ClassVar

import pytest
from flask.testing import FlaskClient

from policies.config import load_config, parse_config
from tests.manifests import (
    AWS_KEY_ID,
    OTHER_AWS_KEY_ID,
    container,
    debug_container,
    debugged,
    deployment,
    leaky_container,
    pod,
    review,
)
from webhook.app import create_app, refuse_coroutines


def post(client: FlaskClient, body: Any, path: str = "/validate?timeout=5s") -> Any:
    response = client.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize("api_version", ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"])
def test_answer_echoes_version_kind_and_uid(client: FlaskClient, api_version: str) -> None:
    sent = review(pod(), api_version=api_version)
    answer = post(client, sent)
    assert answer["apiVersion"] == api_version
    assert answer["kind"] == "AdmissionReview"
    assert answer["response"]["uid"] == sent["request"]["uid"]
    assert answer["response"]["allowed"] is True
    assert "status" not in answer["response"]


def test_leaky_pod_is_denied_with_every_policy_named(client: FlaskClient) -> None:
    answer = post(client, review(pod(leaky_container("api"), name="leaky")))["response"]
    assert answer["allowed"] is False
    assert answer["status"]["code"] == 403
    message = answer["status"]["message"]
    assert message.startswith("Gatehouse denied Pod default/leaky:")
    for policy in ("no-plaintext-secrets", "no-root-containers", "require-resource-limits"):
        assert f"[{policy}] container api:" in message
    assert "spec.containers[0].env[1].value" in message
    assert "spec.containers[0].securityContext.runAsUser" in message
    assert "spec.containers[0].resources.limits.memory" in message
    assert AWS_KEY_ID not in json.dumps(answer)


def test_deny_message_is_bounded_and_says_how_many_were_left_out(client: FlaskClient) -> None:
    many = [{"name": f"c{i}", "image": "busybox"} for i in range(150)]
    answer = post(client, review(pod(*many)))["response"]
    message = answer["status"]["message"]
    lines = message.splitlines()
    shown = len(lines) - 2
    assert len(message) <= 4200
    assert "450 violations" in lines[0]
    assert 0 < shown <= 20
    assert lines[-1].startswith(f"... and {450 - shown} more")


@pytest.mark.parametrize("operation", ["DELETE", "CONNECT"])
def test_delete_and_connect_are_allowed(client: FlaskClient, operation: str) -> None:
    leaky = pod(leaky_container())
    answer = post(client, review(None, operation=operation, old=leaky))
    assert answer["response"]["allowed"] is True


def test_kinds_without_pod_spec_are_allowed(client: FlaskClient) -> None:
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"PASSWORD": "hunter2-hunter2"},
    }
    assert post(client, review(config_map))["response"]["allowed"] is True


def test_server_side_dry_run_is_evaluated(client: FlaskClient) -> None:
    answer = post(client, review(pod(leaky_container()), dry_run=True))
    assert answer["response"]["allowed"] is False


def test_exempt_namespace_is_not_evaluated(client: FlaskClient) -> None:
    answer = post(client, review(pod(leaky_container(), namespace="kube-system")))
    assert answer["response"] == {"uid": answer["response"]["uid"], "allowed": True}


class TestUpdate:
    def test_scaling_a_workload_that_predates_the_policy_is_allowed(
        self, client: FlaskClient
    ) -> None:
        old = deployment(leaky_container(), replicas=2)
        new = deployment(leaky_container(), replicas=5)
        answer = post(client, review(new, operation="UPDATE", old=old))["response"]
        assert answer["allowed"] is True
        assert any("existing" in w for w in answer["warnings"])

    def test_rolling_an_image_keeps_working(self, client: FlaskClient) -> None:
        old = deployment(leaky_container())
        new = deployment({**leaky_container(), "image": "registry.example.com/app:2.0"})
        assert post(client, review(new, operation="UPDATE", old=old))["response"]["allowed"] is True

    def test_inserting_an_env_var_does_not_turn_an_old_violation_new(
        self, client: FlaskClient
    ) -> None:
        old = deployment(leaky_container())
        moved = leaky_container()
        moved["env"].insert(0, {"name": "TZ", "value": "UTC"})
        answer = post(client, review(deployment(moved), operation="UPDATE", old=old))
        assert answer["response"]["allowed"] is True

    def test_a_violation_the_update_introduces_is_denied(self, client: FlaskClient) -> None:
        old = deployment(container())
        leaky = container(env=[{"name": "AWS_ACCESS_KEY_ID", "value": AWS_KEY_ID}])
        answer = post(client, review(deployment(leaky), operation="UPDATE", old=old))["response"]
        assert answer["allowed"] is False
        assert "[no-plaintext-secrets]" in answer["status"]["message"]
        assert "[no-root-containers]" not in answer["status"]["message"]


class TestUpdateOfSecrets:
    """A secret finding's identity includes a fingerprint of its value, and its count."""

    @staticmethod
    def with_env(*env: tuple[str, str]) -> dict[str, Any]:
        return deployment(container(env=[{"name": n, "value": v} for n, v in env]))

    def update(self, client: FlaskClient, old: Any, new: Any) -> Any:
        return post(client, review(new, operation="UPDATE", old=old))["response"]

    def test_the_same_secret_stays_grandfathered(self, client: FlaskClient) -> None:
        old = self.with_env(("AWS_ACCESS_KEY_ID", AWS_KEY_ID))
        new = self.with_env(("TZ", "UTC"), ("AWS_ACCESS_KEY_ID", AWS_KEY_ID))
        assert self.update(client, old, new)["allowed"] is True

    def test_a_swapped_key_is_a_new_leak(self, client: FlaskClient) -> None:
        old = self.with_env(("AWS_ACCESS_KEY_ID", AWS_KEY_ID))
        new = self.with_env(("AWS_ACCESS_KEY_ID", OTHER_AWS_KEY_ID))
        answer = self.update(client, old, new)
        assert answer["allowed"] is False
        assert (
            "env AWS_ACCESS_KEY_ID holds a literal AWS access key id" in answer["status"]["message"]
        )
        assert OTHER_AWS_KEY_ID not in json.dumps(answer)

    def test_added_copies_of_a_grandfathered_secret_are_new(self, client: FlaskClient) -> None:
        old = self.with_env(("AWS_ACCESS_KEY_ID", AWS_KEY_ID))
        new = self.with_env(*[("AWS_ACCESS_KEY_ID", AWS_KEY_ID)] * 6)
        answer = self.update(client, old, new)
        assert answer["allowed"] is False
        assert answer["status"]["message"].startswith(
            "Gatehouse denied Deployment default/web: 5 violations"
        )

    def test_a_changed_password_beside_the_old_one_is_denied(self, client: FlaskClient) -> None:
        old = self.with_env(("DB_PASSWORD", "changeme"))
        new = self.with_env(("DB_PASSWORD", "Tr0ub4dor-and-3"), ("DB_PASSWORD", "changeme"))
        answer = self.update(client, old, new)
        assert answer["allowed"] is False
        assert "1 violation" in answer["status"]["message"]
        assert any(w.startswith("[no-plaintext-secrets] existing") for w in answer["warnings"])

    def test_an_unrelated_change_to_a_workload_with_secrets_is_allowed(
        self, client: FlaskClient
    ) -> None:
        old = self.with_env(("DB_PASSWORD", "changeme"), ("API_TOKEN", "tok-1a2b3c4d"))
        new = self.with_env(("API_TOKEN", "tok-1a2b3c4d"), ("DB_PASSWORD", "changeme"))
        new["spec"]["replicas"] = 7
        new["metadata"]["labels"] = {"team": "payments"}
        assert self.update(client, old, new)["allowed"] is True


class TestKubectlDebug:
    """UPDATE of pods/ephemeralcontainers: judged on the ephemeral containers it adds."""

    def test_a_root_debug_container_is_refused(self, client: FlaskClient) -> None:
        running = pod(container())
        sent = review(
            debugged(running, debug_container()),
            operation="UPDATE",
            old=running,
            sub_resource="ephemeralcontainers",
        )
        answer = post(client, sent)["response"]
        assert answer["allowed"] is False
        assert (
            "[no-root-containers] container ephemeral:debugger: may run as root"
            in answer["status"]["message"]
        )
        assert (
            "spec.ephemeralContainers[0].securityContext.runAsNonRoot"
            in answer["status"]["message"]
        )

    def test_a_non_root_debug_container_is_allowed(self, client: FlaskClient) -> None:
        running = pod(container())
        added = debug_container(securityContext={"runAsNonRoot": True, "runAsUser": 1000})
        sent = review(
            debugged(running, added),
            operation="UPDATE",
            old=running,
            sub_resource="ephemeralcontainers",
        )
        assert post(client, sent)["response"]["allowed"] is True

    def test_debugging_a_pod_that_predates_the_policy_judges_only_the_debugger(
        self, client: FlaskClient
    ) -> None:
        running = pod(leaky_container())
        added = debug_container(securityContext={"runAsUser": 1000})
        sent = review(
            debugged(running, added),
            operation="UPDATE",
            old=running,
            sub_resource="ephemeralcontainers",
        )
        assert post(client, sent)["response"]["allowed"] is True

    def test_a_debugger_that_was_already_there_is_old_debt(self, client: FlaskClient) -> None:
        running = debugged(pod(container()), debug_container("first"))
        sent = review(
            debugged(running, debug_container("second", securityContext={"runAsUser": 1000})),
            operation="UPDATE",
            old=running,
            sub_resource="ephemeralcontainers",
        )
        assert post(client, sent)["response"]["allowed"] is True

    def test_a_privileged_debugger_is_refused_though_not_root(self, client: FlaskClient) -> None:
        running = pod(container())
        added = debug_container(securityContext={"runAsUser": 1000, "privileged": True})
        sent = review(
            debugged(running, added),
            operation="UPDATE",
            old=running,
            sub_resource="ephemeralcontainers",
        )
        message = post(client, sent)["response"]["status"]["message"]
        assert "container ephemeral:debugger: is privileged" in message


class TestControllerCreatedPods:
    OWNER: ClassVar[dict[str, Any]] = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web-5d9c",
        "uid": "u1",
        "controller": True,
    }

    def owned_pod(self, owner: dict[str, Any]) -> dict[str, Any]:
        leaky = pod(leaky_container())
        leaky["metadata"]["ownerReferences"] = [owner]
        return leaky

    def test_judged_at_the_workload_not_again_per_pod(self, client: FlaskClient) -> None:
        user = "system:serviceaccount:kube-system:replicaset-controller"
        answer = post(client, review(self.owned_pod(self.OWNER), user=user))
        assert answer["response"]["allowed"] is True

    def test_a_person_copying_the_owner_reference_is_still_checked(
        self, client: FlaskClient
    ) -> None:
        answer = post(client, review(self.owned_pod(self.OWNER), user="mallory@example.com"))
        assert answer["response"]["allowed"] is False

    def test_the_controller_creating_a_pod_for_another_owner_kind_is_checked(
        self, client: FlaskClient
    ) -> None:
        user = "system:serviceaccount:kube-system:replicaset-controller"
        not_its_owner = {**self.OWNER, "kind": "CustomThing"}
        assert (
            post(client, review(self.owned_pod(not_its_owner), user=user))["response"]["allowed"]
            is False
        )

    def test_a_non_controller_owner_reference_is_checked(self, client: FlaskClient) -> None:
        user = "system:serviceaccount:kube-system:replicaset-controller"
        answer = post(
            client, review(self.owned_pod({**self.OWNER, "controller": False}), user=user)
        )
        assert answer["response"]["allowed"] is False

    def test_replicasets_from_the_deployment_controller_are_judged_at_the_deployment(
        self, client: FlaskClient
    ) -> None:
        replica_set = deployment(leaky_container())
        replica_set["kind"] = "ReplicaSet"
        replica_set["metadata"]["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": "web",
                "uid": "u2",
                "controller": True,
            }
        ]
        user = "system:serviceaccount:kube-system:deployment-controller"
        assert post(client, review(replica_set, user=user))["response"]["allowed"] is True


class TestDryRun:
    @pytest.fixture
    def client(self) -> FlaskClient:
        return create_app(load_config().with_mode("dry-run")).test_client()

    def test_nothing_is_denied_and_each_violation_is_a_short_warning(
        self, client: FlaskClient
    ) -> None:
        answer = post(client, review(pod(leaky_container("api"))))["response"]
        assert answer["allowed"] is True
        assert "status" not in answer
        assert len(answer["warnings"]) == 4
        assert all(len(w) < 120 for w in answer["warnings"])
        assert any(
            w.startswith("[no-plaintext-secrets] would deny: api: env AWS_ACCESS_KEY_ID")
            for w in answer["warnings"]
        )

    def test_violations_are_audit_annotations(self, client: FlaskClient) -> None:
        annotations = post(client, review(pod(leaky_container("api"))))["response"][
            "auditAnnotations"
        ]
        assert set(annotations) == {
            "would-deny.no-plaintext-secrets",
            "would-deny.no-root-containers",
            "would-deny.require-resource-limits",
        }
        assert annotations["would-deny.no-root-containers"] == (
            "api spec.containers[0].securityContext.runAsUser"
        )

    def test_secret_value_appears_in_no_warning_or_annotation(self, client: FlaskClient) -> None:
        answer = post(client, review(pod(leaky_container())))
        assert AWS_KEY_ID not in json.dumps(answer)


def test_per_policy_mode_enforces_one_policy_and_warns_on_the_rest() -> None:
    config = parse_config(
        {"mode": "dry-run", "policies": {"no-plaintext-secrets": {"mode": "enforce"}}}
    )
    client = create_app(config).test_client()
    answer = post(client, review(pod(leaky_container())))["response"]
    assert answer["allowed"] is False
    violations = answer["status"]["message"].splitlines()[1:]
    assert [line.split("]")[0] for line in violations] == ["[no-plaintext-secrets"]
    assert len(answer["warnings"]) == 3


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert "mode enforce" in ready.get_data(as_text=True)


def test_invalid_config_is_not_ready_and_refuses_reviews(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("mode: sometimes\n")
    monkeypatch.setenv("GATEHOUSE_CONFIG", str(bad))
    monkeypatch.setattr("webhook.active_config._active", None)
    client = create_app().test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "mode: 'sometimes' is not one of enforce, dry-run" in ready.get_data(as_text=True)
    answer = client.post(
        "/validate", data=json.dumps(review(pod())), content_type="application/json"
    )
    assert answer.status_code == 503


def test_metrics_count_requests_violations_and_latency(client: FlaskClient) -> None:
    post(client, review(pod(leaky_container())))
    post(client, review(pod()))
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'gatehouse_admission_requests_total{decision="deny",kind="Pod",operation="CREATE"} 1.0'
        in text
    )
    assert (
        'gatehouse_admission_requests_total{decision="allow",kind="Pod",operation="CREATE"} 1.0'
        in text
    )
    assert 'gatehouse_violations_total{mode="enforce",policy="no-root-containers"} 1.0' in text
    assert "gatehouse_admission_duration_seconds_count 2.0" in text
    assert AWS_KEY_ID not in text


def test_a_warning_drops_the_field_rather_than_cut_the_message() -> None:
    client = create_app(load_config().with_mode("dry-run")).test_client()
    name = "AWS_ACCESS_KEY_ID_FOR_THE_BILLING_EXPORT"
    leaky = container(env=[{"name": name, "value": AWS_KEY_ID}])
    (warning,) = post(client, review(pod(leaky)))["response"]["warnings"]
    assert (
        warning
        == f"[no-plaintext-secrets] would deny: app: env {name} holds a literal AWS access key id"
    )


def test_an_async_view_or_hook_is_refused_when_the_app_is_built() -> None:
    """The app skips Flask's per-call check for ``async def`` (every view and hook is a
    plain function); one added later is refused at start-up, not answered with an
    unawaited coroutine."""
    app = create_app(load_config())
    refuse_coroutines(app)  # as built: nothing async

    async def later() -> str:
        return "never awaited"

    app.before_request(later)
    with pytest.raises(TypeError, match="later is async"):
        refuse_coroutines(app)
