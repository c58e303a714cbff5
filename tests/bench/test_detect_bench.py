"""make bench-detect: every target of the adversarial generator gets a worst time."""

from bench.detect_bench import measure
from tests.adversarial import TARGETS


def test_every_detector_and_the_issue_shapes_get_a_worst_time() -> None:
    worst, baseline = measure(96)
    expected = {target for target, _ in TARGETS} | {
        "not a secret: ssh keys",
        "JSON Web Token",
        "GitHub token",
        "key=value setting",
        "all formats",
    }
    assert set(worst) == expected
    assert all(seconds > 0 and shape for seconds, shape in worst.values())
    assert baseline > 0
