"""Kubernetes resource quantities (``500m``, ``256Mi``, ``1e3``, ``0.5``), read for their sign.

A policy needs to know only whether a limit is a positive amount: a limit of
zero means no limit at all. The grammar is apimachinery's ``resource.Quantity``:
a signed decimal (``1``, ``1.5``, ``.5``, ``5.``) followed by a binary suffix
(``Ki`` .. ``Ei``), a decimal suffix (``n u m k M G T P E`` or none) or a
decimal exponent (``e3``, ``E-2``). A JSON number is a quantity too. Whether a
quantity is zero depends on its digits alone, so nothing is ever converted to a
number: ``0e999999`` costs what its length costs.
"""

import re
from functools import lru_cache
from typing import Literal

Sign = Literal["positive", "zero", "negative", "invalid"]

_QUANTITY = re.compile(
    r"(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?"
)


def sign_of(quantity: object) -> Sign:
    """Whether ``quantity`` (a string or a JSON number) is above, at or below zero, or not one."""
    if isinstance(quantity, str):
        # Manifests repeat a handful of quantities (``500m``, ``256Mi``): short ones are
        # remembered, so the cache stays small whatever a review sends.
        return _sign_of_short(quantity) if len(quantity) <= 32 else _sign_of_text(quantity)
    if isinstance(quantity, bool):  # a subclass of int, but never a quantity
        return "invalid"
    if isinstance(quantity, int | float):
        if quantity != quantity:  # NaN
            return "invalid"
        return "positive" if quantity > 0 else "zero" if quantity == 0 else "negative"
    return "invalid"


def _sign_of_text(quantity: str) -> Sign:
    match = _QUANTITY.fullmatch(quantity)
    if match is None:
        return "invalid"
    if match["number"].strip("0.") == "":
        return "zero"
    return "negative" if match["sign"] == "-" else "positive"


_sign_of_short = lru_cache(maxsize=512)(_sign_of_text)
