"""Inputs built to make a pattern slow: from each pattern's own literals, alphabets and separators.

Fuzzing with fixed fragments never finds the inputs that hurt a regular
expression: those are made of the pattern itself. So each pattern the secret
detector runs (the credential formats, and every other pattern in
``policies.linear_regex.REGISTRY``) is read with Python's own parser into its
parts, and inputs are built from them:

- its literal prefixes repeated (``ghp_ghp_ghp_``) and nested behind separators
  (``-eyJ-eyJ-eyJ``), and a prefix followed by more of itself, then a character
  that breaks the end (``github_pat__github_pat_..._github_pat_-``);
- runs of each of its character classes, alone and after a prefix;
- an example match repeated, glued and separated, and near misses (an example
  without its last character) repeated;
- for a repeated group that holds a repetition (nested repetition), that
  group's example repeated and a breaking character at the end
  (``ssh-rsa AAAA ssh-rsa AAAA ... \\n!``);
- a soup of every format's literals, for the one program that holds them all.

``adversarial_values(size)`` yields ``Adversary`` rows (the detector or pattern
aimed at, the shape, a name, a value of about ``size`` characters), each under
a neutral name and under names that send the value down the credential-name
checks. ``pattern_parts`` exposes the parts, for hypothesis strategies and the
server's hostile-request benchmarks. Seeded: the same rows on every run.
"""

import random
import re._constants as sre
import re._parser as sre_parse
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from policies import secret_detectors
from policies.linear_regex import REGISTRY
from policies.secret_formats import FORMATS, PUBLIC_FORMATS

PRINTABLE = string.printable
# Names that send a value down each branch of the detector: the format checks only,
# a secret's (what is plainly not one), a key hint's (entropy, base64).
NAMES = ("VALUE", "API_TOKEN", "LICENSE_KEY")
SEPARATORS = " -_./=:@,;\n"
BREAKERS = "!\n\x00~"
_MAX_PARTS = 3  # prefixes and alphabets used per pattern, to keep the set small


class Adversary(NamedTuple):
    target: str  # the format label or the registered pattern's name
    shape: str
    name: str
    value: str


@dataclass
class Parts:
    """What a pattern is made of."""

    prefixes: list[str] = field(default_factory=list)
    literals: list[str] = field(default_factory=list)
    alphabets: list[str] = field(default_factory=list)
    separators: list[str] = field(default_factory=list)
    nested: list[Any] = field(default_factory=list)  # sub-patterns of nested repetitions
    tree: Any = None

    @property
    def alphabet(self) -> str:
        """Every character the pattern names, for a fuzzer to draw from."""
        chars = set("".join(self.literals) + "".join(self.alphabets) + "".join(self.separators))
        return "".join(sorted(chars)) or PRINTABLE


@cache
def pattern_parts(source: str) -> Parts:
    tree = sre_parse.parse(source)
    parts = Parts(tree=tree)
    _collect(list(tree), parts, False)
    parts.prefixes = _dedupe(p for p in _prefixes(list(tree), False) if p)[:_MAX_PARTS]
    parts.literals = _dedupe(parts.literals)
    parts.alphabets = _dedupe(parts.alphabets)[:_MAX_PARTS]
    parts.separators = _dedupe(parts.separators)
    return parts


def _dedupe(items: Any) -> list[Any]:
    return list(dict.fromkeys(items))


_CLASSES: dict[str, str] = {}


def _class_chars(items: list[Any]) -> str:
    """The printable characters a character class accepts (its complement when negated)."""
    key = repr(items)
    if key not in _CLASSES:
        _CLASSES[key] = _read_class(items)
    return _CLASSES[key]


def _read_class(items: list[Any]) -> str:
    accepted: set[str] = set()
    negate = False
    for op, arg in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            accepted.add(chr(arg))
        elif op is sre.RANGE:
            accepted.update(chr(c) for c in range(arg[0], arg[1] + 1) if c < 0x3000)
        elif op is sre.CATEGORY:
            accepted.update(c for c in PRINTABLE if _in_category(c, arg))
    if negate:
        return "".join(c for c in PRINTABLE if c not in accepted)
    return "".join(sorted(accepted))


def _in_category(char: str, category: Any) -> bool:
    tests = {
        sre.CATEGORY_DIGIT: str.isdigit,
        sre.CATEGORY_NOT_DIGIT: lambda c: not c.isdigit(),
        sre.CATEGORY_SPACE: str.isspace,
        sre.CATEGORY_NOT_SPACE: lambda c: not c.isspace(),
        sre.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
        sre.CATEGORY_NOT_WORD: lambda c: not (c.isalnum() or c == "_"),
    }
    return bool(tests.get(category, lambda c: False)(char))


def _collect(items: list[Any], parts: Parts, ignore_case: bool) -> None:
    run = ""
    for op, arg in items:
        if op is sre.LITERAL:
            run += chr(arg)
            continue
        if run:
            _literal(run, parts, ignore_case)
            run = ""
        if op is sre.NOT_LITERAL:
            parts.alphabets.append("".join(c for c in PRINTABLE if c != chr(arg)))
        elif op is sre.IN:
            chars = _class_chars(arg)
            if chars:
                parts.alphabets.append(chars)
        elif op is sre.ANY:
            parts.alphabets.append(PRINTABLE)
        elif op is sre.BRANCH:
            for branch in arg[1]:
                _collect(list(branch), parts, ignore_case)
        elif op is sre.SUBPATTERN:
            case = ignore_case or bool(arg[1] & sre.SRE_FLAG_IGNORECASE)
            _collect(list(arg[3]), parts, case)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            body = list(arg[2])
            if _holds_repeat(body) and arg[1] > 1:
                parts.nested.append(arg[2])
            _collect(body, parts, ignore_case)
    if run:
        _literal(run, parts, ignore_case)


def _literal(run: str, parts: Parts, ignore_case: bool) -> None:
    parts.literals.append(run)
    if ignore_case:
        parts.literals.append(run.upper())
    if len(run) == 1 and not run.isalnum():
        parts.separators.append(run)


def _holds_repeat(items: list[Any]) -> bool:
    for op, arg in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and arg[1] > 1:
            return True
        if op is sre.SUBPATTERN and _holds_repeat(list(arg[3])):
            return True
        if op is sre.BRANCH and any(_holds_repeat(list(b)) for b in arg[1]):
            return True
    return False


def _prefixes(items: list[Any], ignore_case: bool) -> list[str]:
    """The literal runs a match can start with, one per leading branch."""
    out = [""]
    for op, arg in items:
        if op is sre.LITERAL:
            out = [p + chr(arg) for p in out]
        elif op is sre.AT:
            continue
        elif op is sre.SUBPATTERN:
            inner = _prefixes(list(arg[3]), ignore_case)
            return [p + i for p in out for i in inner]
        elif op is sre.BRANCH:
            starts = [p for b in arg[1] for p in _prefixes(list(b), ignore_case)]
            if all(s == "" for s in starts):
                continue  # a boundary such as (?:^|[^A-Za-z0-9]): look past it
            return [p + s for p in out for s in starts]
        else:
            return out
    return out


def example(tree: Any, rng: random.Random, extra: int = 0) -> str:
    """A string the (sub)pattern matches: fewest repeats, plus ``extra`` on unbounded ones."""
    out: list[str] = []
    for op, arg in tree:
        if op is sre.LITERAL:
            out.append(chr(arg))
        elif op is sre.NOT_LITERAL:
            out.append(rng.choice([c for c in string.ascii_letters if c != chr(arg)]))
        elif op is sre.IN:
            chars = _class_chars(arg)
            out.append(rng.choice(chars) if chars else "")
        elif op is sre.ANY:
            out.append(rng.choice(string.ascii_letters))
        elif op is sre.BRANCH:
            choices = [b for b in arg[1] if not any(o is sre.AT for o, _ in b)] or arg[1]
            out.append(example(rng.choice(choices), rng, extra))
        elif op is sre.SUBPATTERN:
            out.append(example(arg[3], rng, extra))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high = arg[0], arg[1]
            count = low + (extra if high == sre.MAXREPEAT else min(extra, high - low))
            out.extend(example(arg[2], rng, 0) for _ in range(count))
    return "".join(out)


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // max(len(unit), 1) + 1))[:size] if unit else ""


def _run(alphabet: str, size: int, rng: random.Random) -> str:
    """``size`` characters of ``alphabet``: the same first characters whatever the size.

    A random block of a prime length, repeated: as hard on a pattern as a longer
    random run, and quick to build at a megabyte.
    """
    block = "".join(random.Random(rng.random()).choices(alphabet, k=1021))
    return _repeat(block, size)


def shapes(source: str, size: int, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(shape, value) pairs of about ``size`` characters built from the pattern's parts.

    Every random draw comes from ``rng`` in the same order whatever the size, so a
    shape at two sizes differs in length only.
    """
    parts = pattern_parts(source)
    seps = [*parts.separators, " ", "-"][:3]
    for prefix in parts.prefixes:
        yield "prefix repeated", _repeat(prefix, size)
        for sep in seps:
            yield f"prefix nested behind {sep!r}", _repeat(sep + prefix, size)
        yield (
            "prefix, then a run the pattern crosses",
            (prefix + _repeat(seps[-1] + prefix, size - len(prefix) - 1) + "-"),
        )
    for alphabet in parts.alphabets:
        run = _run(alphabet, size, rng)
        yield "a run of one class", run
        for prefix in parts.prefixes[:1]:
            yield (
                "a prefix, a run of its class, a breaker",
                prefix + run[: size - len(prefix) - 1] + "!",
            )
    one = example(parts.tree, random.Random(rng.random()))
    long = example(parts.tree, random.Random(rng.random()), extra=900)
    sep, breaker = rng.choice(seps), rng.choice(BREAKERS)
    if one:
        yield "an example repeated", _repeat(one, size)
        yield "an example repeated, separated", _repeat(one + sep, size)
        if one[:-1].strip():
            yield "near misses repeated", _repeat(one[:-1] + breaker, size)
    if long:
        yield "a long example, its end broken", _repeat(long[:-1] + "\x00", size)
    for group in parts.nested[:2]:
        unit = example(group, random.Random(rng.random()), extra=1)
        if unit:
            yield "nested repetition, broken at the end", _repeat(unit, size - 2) + "\n!"


def _targets() -> Iterator[tuple[str, str]]:
    """(target, source): every format, then every other registered pattern."""
    for table in (FORMATS, PUBLIC_FORMATS):
        for fmt in table:
            yield fmt.label, fmt.pattern
    per_format = {  # the combined and per-format programs are built from the formats above
        p.source
        for table in (secret_detectors.SECRETS, secret_detectors.PUBLIC)
        for e in table.order
        for p in (e.own, e.bare)
    } | {
        p.source
        for table in (secret_detectors.SECRETS, secret_detectors.PUBLIC)
        for p in (table.find_any, table.find_plain, table.find_checked, table.find_whole)
    }
    for pattern in REGISTRY:
        if pattern.source not in per_format:
            yield pattern.name, pattern.source


TARGETS = tuple({source: (target, source) for target, source in _targets()}.values())


def issue_regressions(size: int) -> Iterator[Adversary]:
    """The three shapes first found by hand, kept as they were reported."""
    yield Adversary(
        "not a secret: ssh keys",
        "nested repetition",
        "API_TOKEN",
        _repeat("ssh-rsa AAAA ", size - 2) + "\n!",
    )
    yield Adversary(
        "JSON Web Token", "word starts in a run it crosses", "VALUE", _repeat("-eyJ", size)
    )
    yield Adversary(
        "GitHub token",
        "word starts in a run it crosses",
        "VALUE",
        "github_pat_" + _repeat("_github_pat_", size - 12) + "-",
    )
    yield Adversary(
        "key=value setting", "a key that never ends", "VALUE", "=" + _repeat("z-", size - 1)
    )


def soup(size: int, rng: random.Random) -> Iterator[Adversary]:
    """Every literal of every format, mixed: for the one program that holds them all."""
    literals = sorted({lit for _, src in TARGETS for lit in pattern_parts(src).literals})
    picks = random.Random(rng.random())
    words = [
        picks.choice(literals) + picks.choice(SEPARATORS + string.ascii_letters)
        for _ in range(size)
    ]
    yield Adversary("all formats", "literal soup", "VALUE", "".join(words)[:size])
    picks = random.Random(rng.random())
    glued = "".join(picks.choice(literals) for _ in range(size))
    yield Adversary("all formats", "glued literal soup", "VALUE", glued[:size])


def adversarial_values(size: int, names: tuple[str, ...] = NAMES) -> Iterator[Adversary]:
    """Every shape of every target at about ``size`` characters, under each of ``names``."""
    for target, source in TARGETS:
        # Seeded by the pattern, not the size: each shape grows, its parts stay the same.
        rng = random.Random(f"adversarial {source}")
        for shape, value in shapes(source, size, rng):
            for name in names:
                yield Adversary(target, shape, name, value)
    yield from issue_regressions(size)
    yield from soup(size, random.Random("adversarial soup"))


def random_value(size: int, seed: str = "plain") -> str:
    """A plain random value of printable characters: the baseline next to the adversaries."""
    rng = random.Random(f"{seed} {size}")
    return "".join(rng.choices(string.ascii_letters + string.digits + " -_./=:", k=size))
