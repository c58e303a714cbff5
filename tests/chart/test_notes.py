"""NOTES.txt says how to check Gatehouse and warns about settings that put the cluster at risk."""

from tests.chart.render import Rendered, ci_values, render


def test_default_notes_show_how_to_check_and_how_to_enforce(default: Rendered) -> None:
    assert "helm test gatehouse -n gatehouse" in default.notes
    assert "--dry-run=server" in default.notes
    assert "helm upgrade gatehouse ./chart -n gatehouse --reuse-values --set mode=enforce" in (
        default.notes
    )
    assert "WARNING" not in default.notes


def test_enforce_notes_expect_a_denial_and_warn_about_nothing(enforce: Rendered) -> None:
    assert "denied the request" in enforce.notes
    assert "--set mode=enforce" not in enforce.notes
    assert "WARNING" not in enforce.notes


def test_single_replica_with_fail_is_warned_about() -> None:
    notes = render(ci_values()["single-replica"]).notes
    assert "WARNING: failurePolicy is Fail with 1 replica(s)" in notes
    assert "WARNING: failurePolicy is Fail without a PodDisruptionBudget" in notes


def test_fail_open_and_fail_closed_mismatches_are_warned_about() -> None:
    fail_open = render({"mode": "enforce", "webhook": {"failurePolicy": "Ignore"}}).notes
    assert "WARNING: failurePolicy is Ignore in enforce mode" in fail_open
    blocking_report = render({"webhook": {"failurePolicy": "Fail"}}).notes
    assert "WARNING: failurePolicy is Fail in dry-run mode" in blocking_report


def test_label_opt_out_and_long_timeouts_are_warned_about() -> None:
    notes = render(
        {"webhook": {"objectSelector": {"matchLabels": {"a": "b"}}, "timeoutSeconds": 15}}
    ).notes
    assert "WARNING: webhook.objectSelector is set" in notes
    assert "WARNING: webhook.timeoutSeconds is 15" in notes


def test_notes_show_where_health_and_metrics_are(default: Rendered) -> None:
    assert "plain HTTP on port 8080" in default.notes
    assert "kubectl -n gatehouse port-forward deployment/gatehouse 8080" in default.notes
    assert "curl http://127.0.0.1:8080/metrics" in default.notes
    moved = render({"server": {"probePort": 9102}}).notes
    assert "curl http://127.0.0.1:9102/metrics" in moved


def test_managed_tls_notes_name_the_secret_and_the_field_to_ignore() -> None:
    notes = render({"tls": {"mode": "managed"}}).notes
    assert "kubectl -n gatehouse get secret gatehouse-managed-tls" in notes
    assert ".webhooks[].clientConfig.caBundle of ValidatingWebhookConfiguration\ngatehouse" in notes
    assert "managed-tls" not in render().notes
