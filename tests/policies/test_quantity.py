"""Kubernetes quantities, read for their sign, at any length in linear time."""

import pytest

from policies.quantity import sign_of


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
