"""What only a kubelet would otherwise try: the chart's container answers its probes where
the chart points them (scheme, port, path), on the test host, as a kubelet calls them."""

import ssl
import urllib.request

import pytest

from tests.cluster.gatehouse import ClusterGatehouse, probes

pytestmark = pytest.mark.cluster


def test_the_charts_probes_answer_where_the_chart_points_them(
    gatehouse: ClusterGatehouse,
) -> None:
    assert gatehouse.rendered is not None
    found = probes(gatehouse.rendered)
    assert {"readinessProbe", "livenessProbe"} <= found.keys(), found
    # A kubelet does not verify a probe's certificate.
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    answers = {}
    for kind, (scheme, port, path) in found.items():
        url = f"{scheme.lower()}://{gatehouse.host.address}:{port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5, context=insecure) as response:  # noqa: S310
                answers[kind] = (url, response.status)
        except OSError as error:
            answers[kind] = (url, str(error))
    assert all(status == 200 for _, status in answers.values()), answers
