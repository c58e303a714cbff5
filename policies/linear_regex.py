"""Regular expressions whose cost is linear in their input, whatever the input.

Every pattern the secret detector runs is compiled here by RE2 (google-re2): an
automaton engine that never backtracks, so no value, however built, makes a
match take more than a constant number of steps per byte. RE2 has no lookaround
and no backreferences: a pattern that used them fails to compile, at import.
A check a pattern cannot express is made in Python on the match, over the
match's own bytes only.

Patterns read bytes: a value is encoded once and every pattern runs on that,
so no call re-encodes the text or maps offsets back to characters. Each
compiled pattern is listed in ``REGISTRY`` under a name, for the test that keeps
every one of them linear and for ``make bench-detect``.

Calls go to the compiled program's ``Match`` directly: the module's ``re``-like
wrapper builds a generator and a match object per call, which cost about 1 us
more than the search itself on the short values that make up most env.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import re2

# Spans of the whole match and of each group, (-1, -1) for a group that did not take part.
Spans = list[tuple[int, int]]

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a bad pattern raises at import; RE2 need not also print it
# Room for the lazily built DFA states of the largest pattern (all formats in one),
# so that inputs built to visit many states rarely push RE2 to its slower NFA.
_OPTIONS.max_mem = 64 << 20
_UNANCHORED = re2._Anchor.UNANCHORED
_ANCHOR_START = re2._Anchor.ANCHOR_START
_ANCHOR_BOTH = re2._Anchor.ANCHOR_BOTH


@dataclass(eq=False)
class LinearPattern:
    """One RE2 pattern, named for the tests and benchmarks that walk ``REGISTRY``.

    Compiled on first use: a program that never needs a pattern (most of the
    per-format ones) never pays for it, and start-up stays fast. ``warm`` compiles
    one at once.
    """

    name: str
    source: str
    _run: Callable[[Any, bytes, int, int], Spans] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._run = self._compile_and_run
        REGISTRY.append(self)

    def compiled(self) -> Any:
        """The RE2 object; raises ``re2.error`` if the pattern is not RE2 syntax."""
        return re2.compile(self.source, _OPTIONS)

    def warm(self) -> None:
        """Compile now, for a pattern every value needs: in a webhook worker before it serves."""
        self._run = self.compiled()._regexp.Match

    def _compile_and_run(self, anchor: Any, data: bytes, pos: int, end: int) -> Spans:
        self._run = self.compiled()._regexp.Match
        return self._run(anchor, data, pos, end)

    def search(self, data: bytes, pos: int = 0) -> Spans | None:
        spans = self._run(_UNANCHORED, data, pos, len(data))
        return spans if spans[0][0] >= 0 else None

    def match(self, data: bytes, pos: int = 0) -> Spans | None:
        """A match that starts at ``pos``."""
        spans = self._run(_ANCHOR_START, data, pos, len(data))
        return spans if spans[0][0] >= 0 else None

    def fullmatch(self, data: bytes) -> bool:
        return self._run(_ANCHOR_BOTH, data, 0, len(data))[0][0] >= 0

    def finditer(self, data: bytes, pos: int = 0) -> Iterator[Spans]:
        """Matches left to right, none overlapping: each search starts where the last ended."""
        end = len(data)
        while pos <= end:
            spans = self._run(_UNANCHORED, data, pos, end)
            if spans[0][0] < 0:
                return
            yield spans
            pos = spans[0][1] + (spans[0][1] == spans[0][0])  # step past an empty match

    def possible_prefix(self) -> bytes:
        """The literal every match starts with, as RE2 works it out ("" when none)."""
        low, high = self.compiled().possiblematchrange(64)
        common = 0
        while common < min(len(low), len(high)) and low[common] == high[common]:
            common += 1
        return bytes(low[:common])


REGISTRY: list[LinearPattern] = []


def min_length(source: str) -> int:
    """The fewest characters any match of ``source`` can have: a value shorter than that
    needs no search.

    A small reader of the RE2 syntax the detector's patterns use: literals,
    escapes, classes, groups, alternation, ``* + ? {m} {m,} {m,n}`` (lazy or not)
    and zero-width ``^ $ \\b``. The tests hold it to Python's own parser on every
    registered pattern.
    """
    length, _ = _min_alternation(source, 0)
    return length


def _min_alternation(source: str, at: int) -> tuple[int, int]:
    """Shortest match of the alternation starting at ``at``, and where it ends (``)`` or end)."""
    best: int | None = None
    total = 0
    last = 0  # the length of the last atom, which a quantifier multiplies
    while at < len(source) and source[at] != ")":
        char = source[at]
        if char == "|":
            best = total if best is None else min(best, total)
            total = last = 0
            at += 1
            continue
        if char in "*+?{":
            low, at = _quantifier(source, at)
            total += last * (low - 1)
            last *= low
            continue
        if char == "(":
            at = _group_body(source, at)
            last, at = _min_alternation(source, at)
            at += 1  # the closing parenthesis
        elif char == "[":
            last, at = 1, _class_end(source, at)
        elif char == "\\":
            last = 0 if source[at + 1] in "bBAz" else 1
            at += 2
            if source[at - 1] == "x" and source[at : at + 1] == "{":
                at = source.index("}", at) + 1
        else:
            last = 0 if char in "^$" else 1
            at += 1
        total += last
    best = total if best is None else min(best, total)
    return best, at


def _group_body(source: str, at: int) -> int:
    """Where a group's pattern starts: past ``(``, ``(?:``, ``(?i:``, ``(?P<name>``."""
    if source.startswith("(?P<", at):
        return source.index(">", at) + 1
    if source.startswith("(?", at):
        return source.index(":", at) + 1
    return at + 1


def _class_end(source: str, at: int) -> int:
    at += 1
    if source[at : at + 1] == "^":
        at += 1
    if source[at : at + 1] == "]":
        at += 1
    while source[at] != "]":
        at += 2 if source[at] == "\\" else 1
    return at + 1


def _quantifier(source: str, at: int) -> tuple[int, int]:
    """The least count a quantifier allows, and where it ends (after a lazy ``?``)."""
    char = source[at]
    if char == "{":
        end = source.index("}", at)
        low = int(source[at + 1 : end].split(",")[0])
        at = end + 1
    else:
        low = 1 if char == "+" else 0
        at += 1
    if source[at : at + 1] == "?":
        at += 1
    return low, at


def group(data: bytes, spans: Spans, index: int) -> bytes | None:
    start, end = spans[index]
    return None if start < 0 else data[start:end]
