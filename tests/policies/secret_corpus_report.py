"""Print how the secret detector scores on the generated corpus, as a markdown table.

Run: ``.venv/bin/python -m tests.policies.secret_corpus_report`` (docs/performance.md
"Detection quality" quotes it, and the README its headline).
"""

from collections import Counter

from policies.secret_detectors import detect
from tests.policies.secret_corpus import SEED, Sample, corpus


def report(samples: list[Sample]) -> str:
    fired = [(s, detect(s.name, s.value)) for s in samples]
    positives = sum(s.secret for s in samples)
    true_pos = sum(1 for s, label in fired if s.secret and label)
    false_pos = sum(1 for s, label in fired if not s.secret and label)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / positives if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    formats = {s.label for s in samples if s.secret}
    lines = [
        f"Secret detector on the generated corpus (seed {SEED})",
        "",
        "| measure | value |",
        "|---|---|",
        f"| positives (literal secrets) | {positives} |",
        f"| negatives (look-alikes and ordinary env) | {len(samples) - positives} |",
        f"| credential formats | {len(formats)} |",
        f"| look-alike kinds | {len({s.label for s in samples if not s.secret})} |",
        f"| precision | {precision:.3f} |",
        f"| recall | {recall:.3f} |",
        f"| F1 | {f1:.3f} |",
        "",
        "| detector | true positives | false positives |",
        "|---|---|---|",
    ]
    hits = Counter(label for s, label in fired if s.secret and label)
    alarms = Counter(label for s, label in fired if not s.secret and label)
    for label in sorted(hits.keys() | alarms.keys(), key=lambda k: (-hits[k], k)):
        lines.append(f"| {label} | {hits[label]} | {alarms[label]} |")
    missed = Counter(s.label for s, label in fired if s.secret and not label)
    if missed:
        lines += ["", "Missed per format: " + ", ".join(f"{k} {n}" for k, n in missed.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(corpus()))
