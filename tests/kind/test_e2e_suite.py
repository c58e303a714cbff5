"""The e2e suite without a cluster: it collects the scenarios it promises (and
`make test` deselects every one of them), its workloads break exactly the policies
its assertions name, the webhook answers them the way its assertions read them,
and that reading works through the real kubernetes client against a stand-in
API server.
"""

import copy
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from kubernetes.client import ApiClient, ApiException, Configuration, CoreV1Api, V1Pod

from policies.config import Config, load_config
from policies.engine import evaluate
from policies.registry import POLICIES as REGISTERED
from tests.e2e.kube import policies_named, refusal, status_message, warnings
from tests.e2e.workloads import PAUSE, POLICIES, breaking, leaky, runnable
from tests.manifests import deployment, pod, review
from tests.server import REPO
from webhook.app import create_app

SCENARIOS = [
    "test_admission.py::test_a_compliant_pod_is_admitted",
    "test_admission.py::test_a_compliant_deployment_is_admitted_and_its_pods_start",
    "test_admission.py::test_a_pod_breaking_a_policy_is_refused_naming_it[no-plaintext-secrets]",
    "test_admission.py::test_a_pod_breaking_a_policy_is_refused_naming_it[no-root-containers]",
    "test_admission.py::test_a_pod_breaking_a_policy_is_refused_naming_it[require-resource-limits]",
    "test_admission.py::test_a_deployment_breaking_a_policy_is_refused_at_the_deployment",
    "test_admission.py::test_server_side_dry_runs_are_answered_and_nothing_is_stored",
    "test_admission.py::test_kube_system_and_the_release_namespace_are_never_judged[kube-system]",
    "test_admission.py::test_kube_system_and_the_release_namespace_are_never_judged"
    "[release-namespace]",
    "test_audit.py::test_audit_reports_each_running_workload_once_at_its_owner",
    "test_dry_run.py::test_the_bad_pod_is_admitted_with_a_would_deny_warning_per_policy",
    "test_existing_workloads.py::test_a_deployment_admitted_in_dry_run_still_scales_under_enforce",
    "test_failure_policy.py::test_with_failure_policy_ignore_an_unreachable_webhook_blocks_nobody",
    "test_failure_policy.py::test_with_failure_policy_fail_an_unreachable_webhook_refuses_and_says_why",
]


def collect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *args,
            "tests/e2e",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- collection ---


def test_make_e2e_plan_lists_every_scenario() -> None:
    plan = collect("-m", "e2e")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    collected = [
        line.removeprefix("tests/e2e/") for line in plan.stdout.splitlines() if "::" in line
    ]
    assert collected == SCENARIOS


def test_make_test_deselects_every_scenario() -> None:
    default = collect()  # pyproject's addopts: -m 'not e2e'
    assert not [line for line in default.stdout.splitlines() if "::" in line], default.stdout
    assert f"{len(SCENARIOS)} deselected" in default.stdout


# --- the workloads, judged here by the same policies the webhook runs ---


def policies_found(obj: dict[str, Any]) -> set[str]:
    return {f.violation.policy for f in evaluate(obj, load_config(), "e2e")}


def test_the_scenarios_cover_every_policy() -> None:
    assert set(POLICIES) == {p.id for p in REGISTERED}


def test_compliant_workloads_break_nothing() -> None:
    assert policies_found(pod(runnable())) == set()
    assert policies_found(deployment(runnable())) == set()


@pytest.mark.parametrize("policy", POLICIES)
def test_each_breaking_container_breaks_its_policy_alone(policy: str) -> None:
    assert policies_found(pod(breaking(policy))) == {policy}
    assert policies_found(deployment(breaking(policy))) == {policy}


def test_the_leaky_container_breaks_every_policy_and_runs_the_pause_image() -> None:
    assert policies_found(pod(leaky())) == set(POLICIES)
    assert leaky()["image"] == PAUSE


# --- the webhook's answers, read the way the e2e suite reads them ---

WEBHOOK = "validate.gatehouse.io"


def judge(config: Config, obj: dict[str, Any], old: dict[str, Any] | None = None) -> Any:
    """The webhook's AdmissionReview response to creating ``obj`` (updating ``old``)."""
    sent = review(obj, operation="UPDATE" if old else "CREATE", old=old)
    answer = create_app(config).test_client().post("/validate", json=sent)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["response"]


def as_the_client_sees_it(response: Any) -> str:
    """The API server puts its own words before the webhook's message."""
    return f'admission webhook "{WEBHOOK}" denied the request: {response["status"]["message"]}'


@pytest.mark.parametrize(("kind", "build"), [("Pod", pod), ("Deployment", deployment)])
@pytest.mark.parametrize("policy", POLICIES)
def test_enforce_refuses_each_breaking_workload_as_the_e2e_suite_expects(
    policy: str, kind: str, build: Any
) -> None:
    response = judge(load_config(), build(breaking(policy), name="bad", namespace="e2e"))
    message = as_the_client_sees_it(response)
    assert (response["allowed"], response["status"]["code"]) == (False, 403)
    assert message.startswith(refusal(WEBHOOK, kind, "e2e", "bad")), message
    assert f"[{policy}] container app: " in message
    assert policies_named(message) == {policy}


def test_enforce_names_every_policy_the_leaky_pod_breaks() -> None:
    response = judge(load_config(), pod(leaky(), name="leaky", namespace="e2e"))
    assert policies_named(as_the_client_sees_it(response)) == set(POLICIES)


def test_dry_run_warns_once_per_policy_as_the_e2e_suite_expects() -> None:
    response = judge(
        load_config().with_mode("dry-run"), pod(leaky(), name="leaky", namespace="e2e")
    )
    assert response["allowed"] is True
    for policy in POLICIES:
        assert any(f"[{policy}] would deny: " in text for text in response["warnings"])


def test_scaling_a_deployment_that_predates_enforcement_is_let_through_with_a_warning() -> None:
    before = deployment(breaking("no-root-containers"), name="old", namespace="e2e", replicas=1)
    after = copy.deepcopy(before)
    after["spec"]["replicas"] = 3
    response = judge(load_config(), after, old=before)
    assert response["allowed"] is True
    assert any(text.startswith("[no-root-containers]") for text in response["warnings"])


# --- reading answers through the real client ---

WARNINGS = [
    "[no-root-containers] would deny: app: runs as root: runAsUser is 0 (containers[0]…",
    '[no-plaintext-secrets] would deny: app: env "AWS_ACCESS_KEY_ID" holds a key',
]
DENIAL = (
    'admission webhook "validate.gatehouse.io" denied the request: Gatehouse denied Pod '
    "ns/denied: 1 violation\n[no-root-containers] container app: runs as root"
)


class _APIServer(BaseHTTPRequestHandler):
    """Answers a pod creation the way the API server does: 201 with Warning headers
    (one header each, quoted, UTF-8), or a 403 Status."""

    def do_POST(self) -> None:
        name = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["metadata"]["name"]
        if name == "denied":
            self._reply(
                403,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "message": DENIAL,
                    "reason": "Forbidden",
                    "code": 403,
                },
                [],
            )
        else:
            self._reply(
                201, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}}, WARNINGS
            )

    def _reply(self, code: int, body: dict[str, Any], warned: list[str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for text in warned:
            quoted = text.replace("\\", "\\\\").replace('"', '\\"')
            # send_header writes latin-1: hand it the UTF-8 bytes the API server sends.
            self.send_header("Warning", f'299 - "{quoted}"'.encode().decode("latin-1"))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def core() -> Iterator[CoreV1Api]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _APIServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    client = ApiClient(Configuration(host=f"http://{host!s}:{port}"))
    yield CoreV1Api(client)
    client.close()  # type: ignore[no-untyped-call]
    server.shutdown()


def test_warnings_are_read_one_per_header_unquoted(core: CoreV1Api) -> None:
    created, status, headers = core.create_namespaced_pod_with_http_info(
        "ns", V1Pod.model_validate(pod(runnable(), name="warned", namespace="ns")), dry_run="All"
    )
    assert status == 201 and created.metadata is not None
    assert warnings(headers) == WARNINGS


def test_a_refusal_is_read_from_the_status_message(core: CoreV1Api) -> None:
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_pod(
            "ns",
            V1Pod.model_validate(
                pod(breaking("no-plaintext-secrets"), name="denied", namespace="ns")
            ),
        )
    assert caught.value.status == 403
    assert status_message(caught.value) == DENIAL
