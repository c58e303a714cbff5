"""Kubernetes quantities, read for their sign, at any length in linear time."""

import pytest

from policies.quantity import _sign_of_short, sign_of


@pytest.mark.parametrize(
    "quantity, sign",
    [
        ("1", "positive"),
        ("500m", "positive"),
        ("256Mi", "positive"),
        ("1.5Gi", "positive"),
        (".5", "positive"),
        ("5.", "positive"),
        ("1e3", "positive"),
        ("2E-3", "positive"),
        ("100n", "positive"),
        ("3u", "positive"),
        ("+1k", "positive"),
        ("7Ei", "positive"),
        ("0", "zero"),
        ("0m", "zero"),
        ("0Mi", "zero"),
        ("0.0", "zero"),
        ("0e3", "zero"),
        ("-0", "zero"),
        ("000.000Ki", "zero"),
        ("-1", "negative"),
        ("-0.5Gi", "negative"),
        (1, "positive"),
        (0.25, "positive"),
        (0, "zero"),
        (0.0, "zero"),
        (-3, "negative"),
        ("", "invalid"),
        (".", "invalid"),
        ("Mi", "invalid"),
        ("1 Mi", "invalid"),
        ("1MiB", "invalid"),
        ("1.0.0", "invalid"),
        ("--1", "invalid"),
        ("1e", "invalid"),
        ("1e1.5", "invalid"),
        ("\uff11", "invalid"),  # a fullwidth digit is not a digit to the API server
        (True, "invalid"),
        (None, "invalid"),
        (float("nan"), "invalid"),
        ([], "invalid"),
    ],
)
def test_sign_of(quantity: object, sign: str) -> None:
    assert sign_of(quantity) == sign


def test_huge_quantities_are_read_without_converting_them() -> None:
    assert sign_of("0" * 100_000 + "e" + "9" * 100_000) == "zero"
    assert sign_of("9" * 100_000 + "Ki") == "positive"
    assert sign_of("1" * 100_000 + "x") == "invalid"


@pytest.mark.parametrize(
    "quantity, sign",
    [
        ("0" * 32, "zero"),  # the longest that is remembered
        ("0" * 33, "zero"),  # the shortest that is not
        ("-" + "1" * 31, "negative"),
        ("-" + "1" * 32, "negative"),
        ("1" * 31 + "x", "invalid"),
        ("1" * 32 + "x", "invalid"),
    ],
)
def test_remembered_or_not_a_quantity_reads_the_same(quantity: str, sign: str) -> None:
    assert sign_of(quantity) == sign
    assert sign_of(quantity) == sign  # the second time, from memory if it is short


def test_what_is_remembered_stays_small_whatever_a_review_sends() -> None:
    for n in range(5000):
        assert sign_of(f"{n}m") == ("zero" if n == 0 else "positive")
        assert sign_of(f"{n:040d}Mi") == ("zero" if n == 0 else "positive")  # too long to keep
    info = _sign_of_short.cache_info()
    assert info.maxsize == 512 and info.currsize <= 512
