"""webhook/metrics.py: label values come from closed sets, whatever a caller sends."""

from webhook.metrics import Metrics


def _requests(text: str) -> list[str]:
    return [
        line for line in text.splitlines() if line.startswith("gatehouse_admission_requests_total")
    ]


def test_kinds_and_operations_outside_the_known_ones_are_other() -> None:
    metrics = Metrics()
    for n in range(3000):  # a caller naming a fresh 2 KB kind and operation every time
        metrics.count_review(f"OP{n}" * 100, f"Kind{n}" * 200, "allow", [], 0.001)
    metrics.count_review("CREATE", "Deployment", "deny", [], 0.001)
    text = metrics.exposition().decode()
    assert _requests(text) == [
        'gatehouse_admission_requests_total{decision="allow",kind="other",operation="other"} 3000.0',
        'gatehouse_admission_requests_total{decision="deny",kind="Deployment",operation="CREATE"} 1.0',
    ]
    assert len(text) < 8_000


def test_every_known_kind_and_operation_is_its_own_label() -> None:
    metrics = Metrics()
    for operation in ("CREATE", "UPDATE", "DELETE", "CONNECT"):
        for kind in ("Pod", "CronJob", "ReplicationController"):
            metrics.count_review(operation, kind, "allow", [], 0.001)
    text = metrics.exposition().decode()
    for operation in ("CREATE", "UPDATE", "DELETE", "CONNECT"):
        for kind in ("Pod", "CronJob", "ReplicationController"):
            assert f'kind="{kind}",operation="{operation}"}} 1.0' in text


def test_budget_overruns_are_counted() -> None:
    metrics = Metrics()
    metrics.count_review("CREATE", "Pod", "deny", [], 1.2, over_budget=True)
    metrics.count_review("CREATE", "Pod", "allow", [], 0.001)
    assert "gatehouse_review_budget_exceeded_total 1.0" in metrics.exposition().decode()
