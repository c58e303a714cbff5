"""tls.mode=managed in the chart: nothing random rendered, RBAC on exactly the pods' own Secret
and webhook configuration, a token only for these pods, and env the server reads as meant."""

import base64
import copy
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import trustme
from helm_python import HelmError

from tests.chart.fake_apiserver import SECRETS, VALIDATING_WEBHOOKS, FakeApiServer
from tests.chart.render import (
    NAMESPACE,
    RELEASE,
    Obj,
    Rendered,
    chart,
    ci_values,
    parse,
    render,
    render_against,
    to_yaml,
)
from webhook.options import ServerOptions

MANAGED = {"tls": {"mode": "managed"}}
SECRET = f"{RELEASE}-managed-tls"


def render_fresh(values: Obj) -> str:
    """One `helm template`, bypassing the session's cache of renderings."""
    manifests = chart().render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return "".join(manifests[path] for path in sorted(manifests))


@pytest.fixture(scope="module")
def managed() -> Rendered:
    return render(MANAGED)


def test_rendering_twice_gives_identical_output() -> None:
    values = ci_values()["managed"]
    assert render_fresh(values) == render_fresh(values)
    # The check can fail: tls.mode=chart makes a new CA on every render without a cluster.
    assert render_fresh({}) != render_fresh({})


def test_nothing_secret_and_no_ca_bundle_is_rendered(managed: Rendered) -> None:
    assert managed.all("Secret") == []
    assert "caBundle" not in managed.webhook["clientConfig"]
    assert "BEGIN" not in to_yaml(managed.objects)


def test_rbac_is_exactly_its_own_secret_and_webhook_configuration(managed: Rendered) -> None:
    account = managed.one("ServiceAccount")["metadata"]["name"]
    (role,) = managed.all("Role")
    assert role["metadata"]["namespace"] == NAMESPACE
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "resourceNames": [SECRET],
            "verbs": ["get", "update"],
        },
        # create cannot be narrowed by name: the name is in the body, not the URL.
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
    ]
    (cluster_role,) = managed.all("ClusterRole")
    assert cluster_role["rules"] == [
        {
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": ["validatingwebhookconfigurations"],
            "resourceNames": [managed.one("ValidatingWebhookConfiguration")["metadata"]["name"]],
            "verbs": ["get", "patch"],
        }
    ]
    for kind, role_kind, bound in (
        ("RoleBinding", "Role", role),
        ("ClusterRoleBinding", "ClusterRole", cluster_role),
    ):
        (binding,) = managed.all(kind)
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": role_kind,
            "name": bound["metadata"]["name"],
        }
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account, "namespace": NAMESPACE}
        ]


@pytest.mark.parametrize("mode", ["chart", "managed", "cert-manager", "secret"])
def test_only_managed_pods_get_a_token_and_rbac(mode: str) -> None:
    values = ci_values()["secret-tls"] if mode == "secret" else {"tls": {"mode": mode}}
    rendered = render(values)
    spec = rendered.pod_spec
    assert spec["automountServiceAccountToken"] is (mode == "managed")
    assert rendered.one("ServiceAccount")["automountServiceAccountToken"] is False
    assert bool(rendered.all("Role") or rendered.all("ClusterRole")) is (mode == "managed")


def test_the_pods_issue_into_a_writable_memory_volume(managed: Rendered) -> None:
    (tls,) = [v for v in managed.pod_spec["volumes"] if v["name"] == "tls"]
    assert tls == {"name": "tls", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}
    (mount,) = [m for m in managed.container["volumeMounts"] if m["name"] == "tls"]
    assert mount["readOnly"] is False


def test_the_server_reads_the_rendered_env_as_the_chart_means_it(managed: Rendered) -> None:
    env = {e["name"]: str(e["value"]) for e in managed.container["env"]}
    options = ServerOptions.from_environ(env)
    assert options.managed_tls is not None
    assert options.tls_files.issued_in_pod
    assert options.managed_tls.namespace == NAMESPACE
    assert options.managed_tls.secret_name == SECRET
    assert (
        options.managed_tls.webhook
        == (managed.one("ValidatingWebhookConfiguration")["metadata"]["name"])
    )
    # The same names tls.mode=chart puts in its certificate: decided in one place.
    chart_names = render().one("Secret", f"{RELEASE}-tls")["metadata"]["annotations"]
    assert ",".join(options.managed_tls.dns_names) == chart_names["gatehouse.io/tls-dns-names"]
    assert (options.managed_tls.ca_days, options.managed_tls.cert_days) == (1095, 90)
    assert options.managed_tls.kubeconfig is None  # the pod's own service account


def test_the_helm_test_pod_verifies_with_the_managed_ca(managed: Rendered) -> None:
    (test_pod,) = [p for p in managed.all("Pod") if p in managed.hooks()]
    (volume,) = test_pod["spec"]["volumes"]
    assert volume["secret"] == {
        "secretName": SECRET,
        "items": [{"key": "ca.crt", "path": "ca.crt"}],
    }


def test_a_serving_certificate_may_not_outlive_its_ca() -> None:
    lifetimes = {"caValidityDays": 365, "certValidityDays": 400}
    with pytest.raises(HelmError, match=r"certValidityDays \(400\) must not exceed .* \(365\)"):
        render({"tls": {"mode": "managed", "managed": lifetimes}})


@contextmanager
def cluster_with_webhook(ca_bundle: bytes | None) -> Iterator[str]:
    """A cluster whose webhook configuration (as tls.mode=chart left it) has ``ca_bundle``."""
    api = FakeApiServer(resources=[SECRETS, VALIDATING_WEBHOOKS])
    configuration = copy.deepcopy(render().one("ValidatingWebhookConfiguration"))
    if ca_bundle is None:
        configuration["webhooks"][0]["clientConfig"].pop("caBundle")
    else:
        configuration["webhooks"][0]["clientConfig"]["caBundle"] = base64.b64encode(
            ca_bundle
        ).decode()
    api.add(configuration)
    with api.serve() as kubeconfig:
        yield kubeconfig


def test_an_upgrade_renders_the_live_ca_bundle_back() -> None:
    """Switching from tls.mode=chart: Helm must not remove the caBundle the running pods'
    certificate verifies against before the new pods have put theirs in."""
    live = trustme.CA().cert_pem.bytes()
    with cluster_with_webhook(live) as kubeconfig:
        first = render_against(kubeconfig, MANAGED)
        second = render_against(kubeconfig, MANAGED)
    assert base64.b64decode(first.webhook["clientConfig"]["caBundle"]) == live
    assert to_yaml(first.objects) == to_yaml(second.objects)
    assert first.all("Secret") == []


def test_an_upgrade_without_a_ca_bundle_renders_none() -> None:
    with cluster_with_webhook(None) as kubeconfig:
        upgraded = render_against(kubeconfig, MANAGED)
    assert "caBundle" not in upgraded.webhook["clientConfig"]
    assert to_yaml(upgraded.objects) == to_yaml(parse_offline())


def parse_offline() -> tuple[Obj, ...]:
    manifests = chart().render(MANAGED, name=RELEASE, namespace=NAMESPACE, is_upgrade=True)
    return parse(manifests).objects
