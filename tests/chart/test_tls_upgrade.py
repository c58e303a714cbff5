"""tls.mode=chart on `helm upgrade`: the certificate is kept, unless it no longer fits.

helm-python-sdk renders cluster-aware through a kubeconfig; here the "cluster" is
fake_apiserver, holding the Secret the install rendered, so the chart's `lookup`
really runs and finds it.
"""

import copy
from datetime import UTC, datetime, timedelta

from tests.chart.fake_apiserver import fake_apiserver
from tests.chart.render import NAMESPACE, RELEASE, Obj, Rendered, render_against

SECRET = f"{RELEASE}-tls"


def upgrade(installed: Obj, values: Obj | None = None) -> Rendered:
    with fake_apiserver({(NAMESPACE, installed["metadata"]["name"]): installed}) as kubeconfig:
        return render_against(kubeconfig, values)


def test_upgrade_keeps_the_ca_certificate_and_key(default: Rendered) -> None:
    installed = default.one("Secret", SECRET)
    upgraded = upgrade(installed, {"mode": "enforce", "replicaCount": 3})
    kept = upgraded.one("Secret", SECRET)
    assert kept["data"] == installed["data"]
    assert kept["metadata"]["annotations"] == installed["metadata"]["annotations"]
    assert upgraded.webhook["clientConfig"]["caBundle"] == installed["data"]["ca.crt"]


def test_without_a_secret_in_the_cluster_a_new_pair_is_generated(default: Rendered) -> None:
    with fake_apiserver({}) as kubeconfig:
        fresh = render_against(kubeconfig).one("Secret", SECRET)
    assert fresh["data"]["ca.crt"] != default.one("Secret", SECRET)["data"]["ca.crt"]


def test_a_renamed_service_gets_a_certificate_for_its_new_name(default: Rendered) -> None:
    installed = default.one("Secret", SECRET)
    renamed = copy.deepcopy(installed)
    renamed["metadata"]["name"] = "admission-tls"  # where the renamed release looks
    upgraded = upgrade(renamed, {"fullnameOverride": "admission"})
    reissued = upgraded.one("Secret", "admission-tls")
    assert reissued["data"]["tls.crt"] != installed["data"]["tls.crt"]
    assert reissued["metadata"]["annotations"]["gatehouse.io/tls-dns-names"].startswith(
        "admission,admission.gatehouse,"
    )
    assert upgraded.webhook["clientConfig"]["caBundle"] == reissued["data"]["ca.crt"]


def test_a_certificate_close_to_expiry_is_renewed(default: Rendered) -> None:
    expiring = copy.deepcopy(default.one("Secret", SECRET))
    soon = datetime.now(UTC) + timedelta(days=30)  # inside the default 90-day renewal window
    expiring["metadata"]["annotations"]["gatehouse.io/tls-not-after"] = soon.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    renewed = upgrade(expiring).one("Secret", SECRET)
    assert renewed["data"]["ca.crt"] != expiring["data"]["ca.crt"]
    assert renewed["metadata"]["annotations"]["gatehouse.io/tls-not-after"] > (
        (datetime.now(UTC) + timedelta(days=3000)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def test_a_secret_the_chart_did_not_write_is_not_trusted(default: Rendered) -> None:
    foreign = copy.deepcopy(default.one("Secret", SECRET))
    del foreign["metadata"]["annotations"]
    assert upgrade(foreign).one("Secret", SECRET)["data"] != foreign["data"]
