"""Score ``detect`` on the independent holdout set; never prints a value."""

from collections import Counter

from policies.secret_detectors import detect
from tests.policies.secret_holdout import HOLDOUT

SCORED = [row for row in HOLDOUT if not row[3].startswith("grey:")]
GREY = [row for row in HOLDOUT if row[3].startswith("grey:")]


def _outcomes() -> tuple[int, int, int, list[str], list[str]]:
    tp = fp = fn = 0
    misses: list[str] = []
    false_positives: list[str] = []
    for name, value, is_secret, category in SCORED:
        label = detect(name, value)
        if is_secret and label:
            tp += 1
        elif is_secret:
            fn += 1
            misses.append(f"{category} {name}")
        elif label:
            fp += 1
            false_positives.append(f"{category} {name} ({label})")
    return tp, fp, fn, misses, false_positives


def test_holdout_shape() -> None:
    positives = [row for row in SCORED if row[2]]
    negatives = [row for row in SCORED if not row[2]]
    assert len(HOLDOUT) >= 400
    assert len(positives) >= 220
    assert len(negatives) >= 180
    assert len({row[3] for row in positives}) >= 35
    dupes = [k for k, n in Counter((row[0], row[1]) for row in HOLDOUT).items() if n > 1]
    assert not dupes, f"{len(dupes)} duplicate rows"


def test_holdout_precision_and_recall() -> None:
    tp, fp, fn, misses, false_positives = _outcomes()
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    report = (
        f"precision={precision:.3f} recall={recall:.3f} tp={tp} fp={fp} fn={fn}\n"
        "misses:\n  " + "\n  ".join(misses or ["-"]) + "\n"
        "false positives:\n  " + "\n  ".join(false_positives or ["-"])
    )
    assert precision >= 0.95 and recall >= 0.95, report
