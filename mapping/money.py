"""Turning wire values into exact Decimals: strings always, JSON numbers only when exact."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any


def parse_amount(value: Any) -> Decimal:
    """A Decimal from a decimal string, an int, a Decimal, or a float that stands for a short decimal.

    A float arrives when a producer wrote a JSON number and a JSON library decoded it as binary
    floating point. It is accepted only when its shortest repr round-trips and carries no more than 15
    significant digits, which is exactly when the JSON text it came from is known. Anything else is
    refused with a message telling the producer to send a string.
    """
    if isinstance(value, bool):
        raise ValueError("must be a decimal string such as \"42.50\", not a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite decimal amount")
        text = repr(value)
        result = Decimal(text)
        if "e" in text.lower() or len(result.as_tuple().digits) > 15:
            raise ValueError(
                f"the JSON number {text} cannot be represented exactly; send the amount as a string"
            )
    elif isinstance(value, str):
        text = value.strip()
        if not text or text != value:
            raise ValueError("must be a decimal string such as \"42.50\" without spaces")
        if any(c in text for c in "eE_") or text.lower() in {"nan", "inf", "-inf", "+inf", "infinity"}:
            raise ValueError(f"'{value}' is not a plain decimal amount such as \"42.50\"")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"'{value}' is not a decimal amount") from None
    else:
        raise ValueError(f"must be a decimal string such as \"42.50\", not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError("must be a finite decimal amount")
    return result


def format_amount(value: Decimal) -> str:
    """Plain text of a Decimal, never in exponent form (Decimal('1E+2') -> '100')."""
    return f"{value:f}"
