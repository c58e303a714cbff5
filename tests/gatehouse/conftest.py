"""Shared by the CLI tests: text reports as wide as their longest line."""

import pytest


@pytest.fixture(autouse=True)
def _wide_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text checks read whole lines; the tests of wrapping set their own width."""
    monkeypatch.setenv("COLUMNS", "400")
