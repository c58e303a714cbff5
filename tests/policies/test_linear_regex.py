"""policies.linear_regex: every pattern on RE2, and what is read from a pattern is right."""

import ast
import re._parser as sre_parse
from pathlib import Path

import pytest

import policies
from policies import secret_detectors  # noqa: F401  (registers every pattern)
from policies.linear_regex import REGISTRY, LinearPattern, min_length

DETECTOR_MODULES = sorted(
    p
    for p in Path(policies.__file__).parent.glob("*.py")
    if p.stem.startswith(("secret_", "linear_"))
)


@pytest.mark.parametrize("path", DETECTOR_MODULES, ids=lambda p: p.name)
def test_the_detector_never_imports_a_backtracking_engine(path: Path) -> None:
    """Linear by construction: no module of the detector can reach Python's re."""
    tree = ast.parse(path.read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {"re", "regex", "sre_parse", "sre_compile"} & imported


@pytest.mark.parametrize("pattern", REGISTRY, ids=lambda p: p.name)
def test_every_registered_pattern_compiles_on_re2(pattern: LinearPattern) -> None:
    assert pattern.compiled() is not None


def test_a_pattern_re2_cannot_run_fails_at_compile_time() -> None:
    import re2

    with pytest.raises(re2.error):
        LinearPattern("lookahead", r"a(?=b)").compiled()
    REGISTRY.pop()  # the test's own pattern: not the detector's


@pytest.mark.parametrize("pattern", REGISTRY, ids=lambda p: p.name)
def test_min_length_agrees_with_pythons_own_parser(pattern: LinearPattern) -> None:
    assert min_length(pattern.source) == sre_parse.parse(pattern.source).getwidth()[0]


@pytest.mark.parametrize(
    ("source", "shortest"),
    [
        (r"abc", 3),
        (r"a|bc", 1),
        (r"(?:ab){3,}c?", 6),
        (r"x[a-z]{2,5}?y", 4),
        (r"(?P<k>\d+)\.\s*", 2),
        (r"(?i:bearer|tok)\b", 3),
        (r"^$", 0),
        (r"[]a]\]", 2),
    ],
)
def test_min_length_on_the_syntax_the_detector_uses(source: str, shortest: int) -> None:
    assert min_length(source) == shortest


def test_matches_do_not_overlap_and_an_empty_match_steps_on() -> None:
    pattern = LinearPattern("test: letters", r"[a-z]*")
    try:
        spans = [m[0] for m in pattern.finditer(b"ab1cd")]
        assert spans == [(0, 2), (2, 2), (3, 5), (5, 5)]
        assert pattern.search(b"12ab", 3) == [(3, 4)]
        assert pattern.match(b"12ab", 2) == [(2, 4)]
        assert pattern.fullmatch(b"abc") and not pattern.fullmatch(b"ab1")
    finally:
        REGISTRY.remove(pattern)
