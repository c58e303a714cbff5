"""Worst time per env value of the secret detector, on inputs built to make it slow.

For each size, every row of ``tests.adversarial.adversarial_values`` (each
pattern's own prefixes, classes and separators, repeated, nested, crossed,
broken at the end; the three shapes first found by hand) is judged by
``detect`` under three names (neutral, a secret's, a key hint's), and the
least of ``RUNS`` timings is kept for each row: the worst of those, per
detector, is what one value can cost. A plain random value of the same size
is timed next to it. 64 KiB is the largest value judged in full; larger ones
have their first 64 KiB searched for credential formats and are reported as too
long to check.

    make bench-detect          # or: python -m bench.detect_bench [--markdown]
"""

import argparse
import os
import sys
import time
from collections import defaultdict

from policies.secret_detectors import MAX_VALUE_BYTES, detect
from tests.adversarial import NAMES, adversarial_values, random_value

SIZES = (
    ("1 KB", 1_000),
    ("64 KiB (the cap)", MAX_VALUE_BYTES),
    ("100 KB", 100_000),
    ("1 MB", 1_000_000),
)
RUNS = 5
BENCH_NAMES = ("VALUE", "API_TOKEN", *[n for n in NAMES if n not in ("VALUE", "API_TOKEN")])


def least_time(name: str, value: str, runs: int = RUNS) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        detect(name, value)
        best = min(best, time.perf_counter() - start)
    return best


def measure(size: int) -> tuple[dict[str, tuple[float, str]], float]:
    """Worst seconds per target (and the shape that cost it), and the random baseline."""
    worst: dict[str, tuple[float, str]] = defaultdict(lambda: (0.0, ""))
    for row in adversarial_values(size, BENCH_NAMES):
        seconds = least_time(row.name, row.value)
        if seconds > worst[row.target][0]:
            worst[row.target] = (seconds, f"{row.shape} under {row.name}")
    plain = random_value(size)
    baseline = max(least_time(name, plain) for name in BENCH_NAMES)
    return dict(worst), baseline


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def run(markdown: bool) -> None:
    results = {label: measure(size) for label, size in SIZES}
    labels = [label for label, _ in SIZES]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; least of {RUNS} runs per value"
    )
    print("\nWorst time per value (adversarial inputs, every detector):\n")
    print(
        "| size | worst adversarial value, ms | its detector and shape | plain random value, ms |"
    )
    print("|---|---:|---|---:|")
    for label in labels:
        worst, baseline = results[label]
        target, (seconds, shape) = max(worst.items(), key=lambda item: item[1][0])
        print(f"| {label} | {ms(seconds)} | {target}: {shape} | {ms(baseline)} |")
    if not markdown:
        return
    print("\nPer detector, worst time per value in ms:\n")
    print("| detector | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    targets = sorted(results[labels[0]][0], key=lambda t: -results[labels[1]][0][t][0])
    for target in targets:
        cells = " | ".join(ms(results[label][0][target][0]) for label in labels)
        print(f"| {target} | {cells} |")
    print("| *plain random value* | " + " | ".join(ms(results[lb][1]) for lb in labels) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="also the table per detector")
    run(parser.parse_args().markdown)
