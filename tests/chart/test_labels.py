"""Every object carries the standard labels: `kubectl get -l app.kubernetes.io/...` finds it."""

from tests.chart.render import RELEASE, Rendered

STANDARD = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)


def test_every_object_has_the_standard_labels(ci: Rendered) -> None:
    for obj in ci.objects:
        labels = obj["metadata"]["labels"]
        missing = [key for key in STANDARD if key not in labels]
        assert not missing, (obj["kind"], obj["metadata"]["name"], missing)
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "gatehouse-0.1.0"
        assert labels["app.kubernetes.io/part-of"] == "gatehouse"


def test_pod_template_has_them_and_the_test_pod_is_not_selected(default: Rendered) -> None:
    deployment = default.one("Deployment")
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert set(STANDARD) <= set(template_labels)
    selector = deployment["spec"]["selector"]["matchLabels"]
    (test_pod,) = default.hooks()
    assert not selector.items() <= test_pod["metadata"]["labels"].items()
