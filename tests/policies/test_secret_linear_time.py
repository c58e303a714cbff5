"""The secret detector's cost grows linearly with the value, on inputs built to make it not.

Inputs come from ``tests.adversarial``: for every credential format and every
other pattern the detector runs, its own prefixes, classes and separators,
repeated, nested, crossed and broken at the end, at two sizes.

How it counts. RE2 does its work in C, where no step can be counted from here,
and wall-clock time on a shared machine is noisy. So each input is timed at
2 KiB and at 16 KiB in the same process, the two sizes interleaved so that they
see the same load, and the minimum of several runs is kept for each (noise only
ever adds time). Under a neutral name and under ``LICENSE_KEY``, whose checks
include every check a credential-style name adds. Linear work costs the same per byte at both sizes; quadratic
work would cost 8 times as much per byte at the larger, exponential work far
more. The bar is 3 times per byte, plus 50 microseconds for the timer's own
jitter on the fast inputs. A pair over the bar is timed again with more runs
before it fails: a real quadratic fails both times, a hiccup of the machine does
not.
"""

import time
from collections import defaultdict

import pytest

from policies.secret_detectors import detect
from tests.adversarial import Adversary, adversarial_values

SMALL, LARGE = 2 * 1024, 16 * 1024
# A neutral name (the format and place checks) and a key hint (every check a name adds).
NAMES = ("VALUE", "LICENSE_KEY")
PER_BYTE_BAR = 3.0
JITTER_NS = 50_000


def _by_target() -> dict[str, list[tuple[Adversary, Adversary]]]:
    groups: dict[str, list[tuple[Adversary, Adversary]]] = defaultdict(list)
    rows = zip(adversarial_values(SMALL, NAMES), adversarial_values(LARGE, NAMES), strict=True)
    for small, large in rows:
        assert small[:3] == large[:3], "the generator must yield the same rows at every size"
        groups[small.target].append((small, large))
    return groups


PAIRS = _by_target()


def _costs(small: Adversary, large: Adversary, runs: int) -> tuple[int, int]:
    """The least time of ``runs`` calls at each size, in nanoseconds, sizes interleaved."""
    best_small = best_large = 1 << 62
    for _ in range(runs):
        start = time.perf_counter_ns()
        detect(small.name, small.value)
        best_small = min(best_small, time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        detect(large.name, large.value)
        best_large = min(best_large, time.perf_counter_ns() - start)
    return best_small, best_large


def _over_the_bar(small: Adversary, large: Adversary, runs: int) -> float | None:
    cost_small, cost_large = _costs(small, large, runs)
    scale = len(large.value) / max(len(small.value), 1)
    if cost_large <= PER_BYTE_BAR * scale * cost_small + JITTER_NS:
        return None
    return (cost_large / len(large.value)) / (cost_small / max(len(small.value), 1))


@pytest.mark.parametrize("target", sorted(PAIRS))
def test_cost_per_byte_stays_flat_on_inputs_built_from_the_pattern(target: str) -> None:
    slow = []
    for small, large in PAIRS[target]:
        if _over_the_bar(small, large, runs=3) is None:
            continue
        ratio = _over_the_bar(small, large, runs=15)
        if ratio is not None:
            slow.append(f"{small.shape} under {small.name}: {ratio:.1f}x per byte")
    assert not slow, f"{target}: " + "; ".join(slow)


def test_the_generator_covers_every_pattern_and_the_issue_shapes() -> None:
    from policies.linear_regex import REGISTRY
    from policies.secret_formats import FORMATS, PUBLIC_FORMATS
    from tests.adversarial import TARGETS

    targets = {source for _, source in TARGETS}
    assert {f.pattern for f in FORMATS + PUBLIC_FORMATS} <= targets
    combined = {p.source for p in REGISTRY} - targets
    # What is left out is made of the formats above: the per-format and combined programs.
    assert all("(?:" in source for source in combined)
    shapes = {(a.target, a.shape) for a in adversarial_values(64, names=("VALUE",))}
    assert ("not a secret: ssh keys", "nested repetition") in shapes
    assert ("JSON Web Token", "word starts in a run it crosses") in shapes
    assert ("GitHub token", "word starts in a run it crosses") in shapes
    assert ("key=value setting", "a key that never ends") in shapes
