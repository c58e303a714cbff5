"""Every credential format in the table proves itself: values it catches, near misses it passes.

The evidence sits in the table itself (``policies/secret_formats.py``) as recipes;
they are expanded here with a generator seeded by the format's label, so every run
and every xdist worker sees the same values, and no token sits in the source.
"""

import random

import pytest

from policies.secret_detectors import PUBLIC, SECRETS, detect
from policies.secret_formats import FORMATS, PUBLIC_FORMATS, Format, Recipe

NEUTRAL = "VALUE"  # a name that says nothing: the format alone must decide


def expand(recipe: Recipe, seed: str) -> str:
    rng = random.Random(seed)
    return "".join(
        part if isinstance(part, str) else "".join(rng.choice(part[0]) for _ in range(part[1]))
        for part in recipe
    )


def evidence(table: tuple[Format, ...], kind: str) -> list[tuple[Format, str]]:
    return [
        pytest.param(fmt, expand(recipe, f"{fmt.label} {i}"), id=f"{fmt.label} {i}")
        for fmt in table
        for i, recipe in enumerate(getattr(fmt, kind))
    ]


@pytest.mark.parametrize(("fmt", "value"), evidence(FORMATS, "catches"))
def test_a_format_finds_what_it_must_catch(fmt: Format, value: str) -> None:
    assert detect(NEUTRAL, value) == fmt.label
    assert detect(NEUTRAL, f"one {value} two") == fmt.label  # inside a longer value too


@pytest.mark.parametrize(("fmt", "value"), evidence(FORMATS, "passes"))
def test_a_format_passes_its_near_misses(fmt: Format, value: str) -> None:
    assert detect(NEUTRAL, value) is None


def starts_with_its_format(fmt: Format, value: str) -> bool:
    entry = next(e for e in SECRETS.order if e.fmt is fmt)
    return not fmt.anywhere and entry.bare.match(value.encode()) is not None


@pytest.mark.parametrize(
    ("fmt", "value"),
    [p for p in evidence(FORMATS, "catches") if starts_with_its_format(*p.values)],
)
def test_a_format_inside_a_longer_word_is_not_that_format(fmt: Format, value: str) -> None:
    assert detect(NEUTRAL, "q7" + value) != fmt.label


@pytest.mark.parametrize(("fmt", "value"), evidence(FORMATS, "catches"))
@pytest.mark.parametrize("prefix", ["NEXT_PUBLIC_", "VITE_", "REACT_APP_", "PUBLIC_"])
def test_a_framework_prefix_never_excuses_a_secret_format(
    fmt: Format, value: str, prefix: str
) -> None:
    """There the value ships to every browser."""
    assert detect(f"{prefix}PUBLISHABLE_SITE_KEY", value) == fmt.label


@pytest.mark.parametrize(("fmt", "value"), evidence(PUBLIC_FORMATS, "catches"))
def test_a_public_key_is_reported_only_when_asked(fmt: Format, value: str) -> None:
    for name in (NEUTRAL, "API_KEY", "CLIENT_TOKEN", "NEXT_PUBLIC_KEY", "DB_PASSWORD"):
        assert detect(name, value) is None, name
    assert detect(NEUTRAL, value, report_public_keys=True) == fmt.label


@pytest.mark.parametrize(("fmt", "value"), evidence(PUBLIC_FORMATS, "passes"))
def test_a_public_format_passes_its_near_misses_even_when_asked(fmt: Format, value: str) -> None:
    found = detect(NEUTRAL, value, report_public_keys=True)
    assert found != fmt.label


def test_every_format_has_its_own_label_or_shares_it_on_purpose() -> None:
    """Two entries share a label only when they are two shapes of one credential."""
    labels = [f.label for f in FORMATS]
    shared = {label for label in labels if labels.count(label) > 1}
    assert shared == {"PEM private key"}
    assert not {f.label for f in FORMATS} & {f.label for f in PUBLIC_FORMATS}


def test_a_format_without_evidence_cannot_exist() -> None:
    with pytest.raises(ValueError, match="needs a value it catches and a near miss"):
        Format("Untested token", r"untested_[a-z]{20}", catches=(), passes=(("x",),))
    with pytest.raises(ValueError, match="needs a value it catches and a near miss"):
        Format("Untested token", r"untested_[a-z]{20}", catches=(("x",),), passes=())


@pytest.mark.parametrize("table", [SECRETS, PUBLIC], ids=["secret", "public"])
def test_derived_first_characters_start_every_caught_value(table) -> None:  # type: ignore[no-untyped-def]
    """The first characters the detector works out from each pattern hold for its evidence."""
    for entry in table.order:
        for i, recipe in enumerate(entry.fmt.catches):
            value = expand(recipe, f"{entry.fmt.label} {i}").encode()
            spans = entry.bare.search(value)
            assert spans is not None, entry.fmt.label
            assert value.startswith(entry.prefix, spans[0][0]), entry.fmt.label
