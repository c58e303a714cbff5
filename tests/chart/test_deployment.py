"""The webhook Deployment: up through drains and rollouts, hardened like the pods it judges."""

import re

import helm_python
import pytest

from policies.workloads import pod_specs
from tests.chart.render import Obj, Rendered, render
from webhook.options import ServerOptions

GUNICORN_GRACEFUL_TIMEOUT = 20  # webhook/gunicorn_conf.py
# server.<key> in the values -> the variable the server reads it from.
SERVER_SETTINGS = {
    "workers": "GATEHOUSE_WORKERS",
    "logLevel": "GATEHOUSE_LOG_LEVEL",
    "reviewBudget": "GATEHOUSE_REVIEW_BUDGET",
    "logAllowed": "GATEHOUSE_LOG_ALLOWED",
    "maxConnections": "GATEHOUSE_MAX_CONNECTIONS",
    "maxConnectionsPerPeer": "GATEHOUSE_MAX_CONNECTIONS_PER_PEER",
}


def test_two_replicas_by_default(default: Rendered) -> None:
    assert default.one("Deployment")["spec"]["replicas"] == 2


def test_rollout_surges_before_taking_a_pod_away(default: Rendered) -> None:
    strategy = default.one("Deployment")["spec"]["strategy"]
    assert strategy["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


def test_pod_disruption_budget_keeps_one_replica_up(default: Rendered) -> None:
    pdb = default.one("PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert (
        pdb["spec"]["selector"]["matchLabels"]
        == (default.one("Deployment")["spec"]["selector"]["matchLabels"])
    )


def test_replicas_spread_across_nodes_and_zones(default: Rendered) -> None:
    selector = default.one("Deployment")["spec"]["selector"]["matchLabels"]
    constraints = {c["topologyKey"]: c for c in default.pod_spec["topologySpreadConstraints"]}
    assert set(constraints) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    for constraint in constraints.values():
        assert constraint["labelSelector"] == {"matchLabels": selector}
        assert constraint["matchLabelKeys"] == ["pod-template-hash"]
        assert constraint["maxSkew"] == 1


def env_of(rendered: Rendered) -> dict[str, str]:
    return {e["name"]: e["value"] for e in rendered.container["env"]}


def ports_of(rendered: Rendered) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in rendered.container["ports"]}


@pytest.mark.parametrize(
    ("probe", "path"), [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")]
)
def test_probes_use_plain_http_on_the_probe_port(default: Rendered, probe: str, path: str) -> None:
    """The admission port serves /validate only; probes have their own plain-HTTP port."""
    get = default.container[probe]["httpGet"]
    assert (get["path"], get["scheme"]) == (path, "HTTP")
    assert ports_of(default)[get["port"]] == 8080
    assert env_of(default)["GATEHOUSE_PROBE_BIND"] == "0.0.0.0:8080"


def test_each_listener_is_bound_where_its_container_port_says(ci: Rendered) -> None:
    bound = env_of(ci)
    assert ports_of(ci) == {
        "https": int(bound["GATEHOUSE_BIND"].rpartition(":")[2]),
        "http-probes": int(bound["GATEHOUSE_PROBE_BIND"].rpartition(":")[2]),
    }
    assert ports_of(ci)["https"] == 8443


def test_the_probe_port_is_configurable_and_never_the_admission_port() -> None:
    rendered = render({"server": {"probePort": 9090}})
    assert ports_of(rendered)["http-probes"] == 9090
    assert env_of(rendered)["GATEHOUSE_PROBE_BIND"] == "0.0.0.0:9090"
    assert rendered.container["livenessProbe"]["httpGet"]["port"] == "http-probes"
    with pytest.raises(helm_python.HelmRenderError, match="must differ from the admission port"):
        render({"server": {"probePort": 8443}})


def test_server_settings_reach_the_environment(default: Rendered) -> None:
    assert {
        name: value for name, value in env_of(default).items() if name in SERVER_SETTINGS.values()
    } == {
        "GATEHOUSE_WORKERS": "2",
        "GATEHOUSE_LOG_LEVEL": "info",
        "GATEHOUSE_REVIEW_BUDGET": "1",
        "GATEHOUSE_LOG_ALLOWED": "false",
        "GATEHOUSE_MAX_CONNECTIONS": "1000",
        "GATEHOUSE_MAX_CONNECTIONS_PER_PEER": "0",
    }
    values = {
        "workers": 3,
        "logLevel": "warning",
        "reviewBudget": 0.5,
        "logAllowed": True,
        "maxConnections": 4000,
        "maxConnectionsPerPeer": 200,
    }
    set_ = env_of(render({"server": values}))
    assert {SERVER_SETTINGS[key]: set_[SERVER_SETTINGS[key]] for key in values} == {
        "GATEHOUSE_WORKERS": "3",
        "GATEHOUSE_LOG_LEVEL": "warning",
        "GATEHOUSE_REVIEW_BUDGET": "0.5",
        "GATEHOUSE_LOG_ALLOWED": "true",
        "GATEHOUSE_MAX_CONNECTIONS": "4000",
        "GATEHOUSE_MAX_CONNECTIONS_PER_PEER": "200",
    }


def test_the_rendered_environment_is_one_the_server_accepts(ci: Rendered) -> None:
    """The server reads every variable the chart sets, with the values the chart sets."""
    options = ServerOptions.from_environ(env_of(ci))
    rendered = env_of(ci)
    assert options.bind == rendered["GATEHOUSE_BIND"]
    assert options.probe_bind == rendered["GATEHOUSE_PROBE_BIND"]
    assert options.review_budget == float(rendered["GATEHOUSE_REVIEW_BUDGET"])
    assert options.log_allowed is (rendered["GATEHOUSE_LOG_ALLOWED"] == "true")
    assert options.max_connections == int(rendered["GATEHOUSE_MAX_CONNECTIONS"])
    assert options.max_connections_per_peer == int(rendered["GATEHOUSE_MAX_CONNECTIONS_PER_PEER"])


@pytest.mark.parametrize(("budget", "timeout"), [(2.5, 5), (1, 2), (1, 1), ("3", 5), (15, 30)])
def test_a_budget_not_well_inside_the_api_servers_timeout_fails_rendering(
    budget: object, timeout: int
) -> None:
    message = (
        f"server.reviewBudget ({budget} s) must be under half of webhook.timeoutSeconds"
        f" ({timeout} s), so under {timeout / 2:g} s"
    )
    with pytest.raises(helm_python.HelmRenderError, match=re.escape(message)):
        render({"server": {"reviewBudget": budget}, "webhook": {"timeoutSeconds": timeout}})


@pytest.mark.parametrize(("budget", "timeout"), [(2.4, 5), (0.4, 1), ("0.5", 2), (14, 30)])
def test_a_budget_well_inside_the_timeout_renders(budget: object, timeout: int) -> None:
    rendered = render({"server": {"reviewBudget": budget}, "webhook": {"timeoutSeconds": timeout}})
    assert float(env_of(rendered)["GATEHOUSE_REVIEW_BUDGET"]) == float(budget)  # type: ignore[arg-type]


def test_a_zero_budget_is_refused() -> None:
    with pytest.raises(helm_python.HelmRenderError, match="above 0"):
        render({"server": {"reviewBudget": "0"}})


def test_grace_period_covers_prestop_and_gunicorn_graceful_timeout(default: Rendered) -> None:
    sleep = default.container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert sleep > 0
    assert default.pod_spec["terminationGracePeriodSeconds"] > sleep + GUNICORN_GRACEFUL_TIMEOUT


def test_priority_class_is_settable(default: Rendered) -> None:
    assert "priorityClassName" not in default.pod_spec
    rendered = render({"priorityClassName": "system-cluster-critical"})
    assert rendered.pod_spec["priorityClassName"] == "system-cluster-critical"


def test_cpu_and_memory_requests_and_limits(default: Rendered) -> None:
    resources = default.container["resources"]
    for section in ("requests", "limits"):
        assert set(resources[section]) == {"cpu", "memory"}


def test_pod_is_hardened(ci: Rendered) -> None:
    specs = ci.workload_pod_specs()
    assert len(specs) == len(ci.workloads()) >= 2  # the webhook's and the helm test Pod's
    for spec in specs:
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert pod["runAsUser"] == pod["runAsGroup"] == 65532  # the Dockerfile's USER
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}


def test_no_service_account_token_is_mounted(ci: Rendered, ci_vals: Obj) -> None:
    """None but the webhook pods of tls.mode=managed, whose controller calls the API."""
    managed = ci_vals.get("tls", {}).get("mode") == "managed"
    for workload in ci.workloads():
        (spec,) = [found.spec for found in pod_specs(workload)]
        wanted = managed and workload["kind"] == "Deployment"
        assert spec["automountServiceAccountToken"] is wanted
    for account in ci.all("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_container_runs_the_image_command(default: Rendered) -> None:
    """No command or args: what runs is the Dockerfile's CMD, which test_dockerfile pins."""
    assert "command" not in default.container
    assert "args" not in default.container


def test_read_only_root_has_a_writable_tmp(default: Rendered) -> None:
    mounts = {m["mountPath"]: m["name"] for m in default.container["volumeMounts"]}
    volumes = {v["name"]: v for v in default.pod_spec["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert volumes[mounts["/etc/gatehouse/tls"]]["secret"]["secretName"] == "gatehouse-tls"
    assert volumes[mounts["/etc/gatehouse/config"]]["configMap"]["name"] == "gatehouse-config"


def test_env_names_the_config_file_and_holds_no_tls_paths_or_mode(default: Rendered) -> None:
    env = {e["name"]: e.get("value") for e in default.container["env"]}
    assert env["GATEHOUSE_CONFIG"] == "/etc/gatehouse/config/config.yaml"
    assert "GATEHOUSE_MODE" not in env  # the mode lives in the config file
    assert all("valueFrom" not in e for e in default.container["env"])


def checksum(values: dict[str, object]) -> str:
    annotations = render(values).one("Deployment")["spec"]["template"]["metadata"]["annotations"]
    return str(annotations["checksum/config"])


def test_config_checksum_changes_with_the_config_only() -> None:
    base = checksum({})
    assert checksum({"mode": "enforce"}) != base
    exempt = {"no-root-containers": {"exemptions": {"images": ["x/*"]}}}
    assert checksum({"policies": exempt}) != base
    assert checksum({"replicaCount": 3}) == base


def test_image_can_be_pinned_by_digest(default: Rendered) -> None:
    assert default.container["image"] == "ghcr.io/gatehouse/gatehouse:0.1.0"
    digest = "sha256:" + "a" * 64
    assert render({"image": {"digest": digest}}).container["image"] == (
        f"ghcr.io/gatehouse/gatehouse:0.1.0@{digest}"
    )


def test_no_client_ca_by_default(default: Rendered) -> None:
    assert "GATEHOUSE_CLIENT_CA" not in {e["name"] for e in default.container["env"]}
    assert "client-ca" not in {v["name"] for v in default.pod_spec["volumes"]}


def test_a_client_ca_configmap_is_mounted_and_named_to_gatehouse() -> None:
    rendered = render({"tls": {"clientCA": {"configMap": "api-ca", "key": "bundle.pem"}}})
    env = {e["name"]: e.get("value") for e in rendered.container["env"]}
    mounts = {m["name"]: m for m in rendered.container["volumeMounts"]}
    volumes = {v["name"]: v for v in rendered.pod_spec["volumes"]}
    assert env["GATEHOUSE_CLIENT_CA"] == mounts["client-ca"]["mountPath"] + "/ca.crt"
    assert mounts["client-ca"]["readOnly"] is True
    assert volumes["client-ca"]["configMap"] == {
        "name": "api-ca",
        "items": [{"key": "bundle.pem", "path": "ca.crt"}],
    }
