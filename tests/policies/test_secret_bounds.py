"""A value too long or too involved to judge in full is judged in a bounded way and says so."""

import pytest

from policies.base import PodSpec
from policies.no_plaintext_secrets import Settings, check
from policies.secret_detectors import (
    MAX_PIECES,
    MAX_VALUE_BYTES,
    TOO_COMPLEX_LABEL,
    TOO_LONG_LABEL,
    detect,
    detect_in_name,
)
from tests.manifests import AWS_KEY_ID, container, pod

CLEAN = "log_level: info\nregion: eu-west-1\n"  # ordinary configuration, repeated to size


def sized(text: str, size: int) -> str:
    return (text * (size // len(text) + 1))[:size]


@pytest.mark.parametrize("name", ["VALUE", "APP_CONFIG", "LICENSE_KEY"])
def test_a_value_over_the_cap_is_reported_as_too_long_never_passed(name: str) -> None:
    assert detect(name, sized(CLEAN, MAX_VALUE_BYTES)) is None  # judged in full: clean
    assert detect(name, sized(CLEAN, MAX_VALUE_BYTES + 1)) == TOO_LONG_LABEL
    assert detect(name, sized(CLEAN, 1_000_000)) == TOO_LONG_LABEL


def test_a_secret_past_the_cap_still_makes_the_value_a_finding() -> None:
    value = sized(CLEAN, MAX_VALUE_BYTES) + AWS_KEY_ID
    assert detect("APP_CONFIG", value) == TOO_LONG_LABEL


def test_a_long_value_names_the_format_found_in_its_first_part() -> None:
    value = AWS_KEY_ID + " " + sized(CLEAN, 2 * MAX_VALUE_BYTES)
    assert detect("APP_CONFIG", value) == "AWS access key id"


def test_the_cap_counts_bytes_not_characters() -> None:
    wide = sized("é", MAX_VALUE_BYTES // 2 + 1)  # two bytes each: over the cap in UTF-8
    assert len(wide) < MAX_VALUE_BYTES
    assert detect("VALUE", wide) == TOO_LONG_LABEL


def test_more_checks_than_the_budget_is_reported_as_too_complex() -> None:
    references = ",".join(f"password{i}=$(P{i})" for i in range(MAX_PIECES + 1))
    assert len(references) < MAX_VALUE_BYTES
    assert detect("SETTINGS", references) == TOO_COMPLEX_LABEL
    within = ",".join(f"password{i}=$(P{i})" for i in range(MAX_PIECES // 2))
    assert detect("SETTINGS", within) is None  # each a reference: judged, and clean


def test_keys_without_a_credential_word_cost_nothing_from_the_budget() -> None:
    settings = ",".join(f"path{i}=/srv/{i}" for i in range(5 * MAX_PIECES))
    assert detect("SETTINGS", settings) is None


def test_a_name_over_the_cap_is_reported_as_too_long() -> None:
    assert detect_in_name("x_" * MAX_VALUE_BYTES) == TOO_LONG_LABEL
    assert detect_in_name("x_" * 1000) is None


def test_the_policy_reports_a_too_long_value_without_echoing_it() -> None:
    value = sized(CLEAN, MAX_VALUE_BYTES + 10)
    spec = PodSpec("spec", pod(container("app", env=[{"name": "BIG", "value": value}]))["spec"])
    [violation] = check(spec, Settings())
    assert violation.message == f"env BIG holds a literal {TOO_LONG_LABEL}"
    assert "region" not in repr(violation)
