"""Score ``detect`` on the second holdout, written blind to the detector; never prints a value.

Its first-sight score on the detector it was written for (RE2, formats as data)
was precision 0.976 and recall 0.993; the floor here is the issue's 0.97 on both,
so the rows it missed at first sight stay as they were labelled.
"""

from policies.secret_detectors import detect
from tests.policies.secret_holdout_blind import HOLDOUT

SCORED = [row for row in HOLDOUT if not row[3].startswith("grey:")]


def test_blind_holdout_shape() -> None:
    positives = [row for row in SCORED if row[2]]
    assert len(positives) >= 250 and len(SCORED) - len(positives) >= 200
    assert len({row[3] for row in positives}) >= 50


def test_blind_holdout_precision_and_recall() -> None:
    tp = fp = fn = 0
    wrong: list[str] = []
    for name, value, is_secret, category in SCORED:
        found = detect(name, value) is not None
        tp += found and is_secret
        fp += found and not is_secret
        fn += is_secret and not found
        if found != is_secret:
            wrong.append(f"{category} {name}")
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    report = f"precision={precision:.3f} recall={recall:.3f}\n  " + "\n  ".join(wrong)
    assert precision >= 0.97 and recall >= 0.97, report
