"""webhook/metrics.py: counts stay right past the label children it remembers."""

from webhook.metrics import REMEMBERED_CHILDREN, Metrics


def test_counts_are_right_for_kinds_past_the_remembered_children() -> None:
    metrics = Metrics()
    kinds = [f"Kind{n}" for n in range(REMEMBERED_CHILDREN + 10)]
    for kind in kinds + kinds[-3:]:  # the last kinds were never remembered: counted again
        metrics.count_review("CREATE", kind, "allow", [], 0.001)
    text = metrics.exposition().decode()
    for kind, count in (("Kind0", 1.0), (kinds[-1], 2.0)):
        sample = f'gatehouse_admission_requests_total{{decision="allow",kind="{kind}",operation="CREATE"}}'
        assert f"{sample} {count}" in text
    assert len(metrics._children) == REMEMBERED_CHILDREN
