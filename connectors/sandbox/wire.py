"""Exact JSON on the wire: money stays ``Decimal`` from request bytes to response bytes.

Python's ``json`` module can only write Decimals as strings or through ``float``. Both are wrong for a
stand-in of QuickBooks and Xero: the real APIs answer amounts as JSON *numbers*, and a float detour
could turn ``0.1 + 0.2`` into ``0.30000000000000004``. So requests are parsed with
``parse_float=Decimal`` and responses are written by a small encoder that prints Decimals verbatim.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

#: Non-ASCII text is written as UTF-8, not \u escapes, as both providers do.
_encode_string = json.encoder.encode_basestring


class WireError(ValueError):
    """A request value that cannot be used (not JSON, not a number)."""


def loads(data: bytes | str) -> Any:
    """Parse JSON with every non-integer number as an exact Decimal."""
    try:
        return json.loads(data, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"not valid JSON: {exc}") from None


def dumps(value: Any) -> str:
    """Serialise to compact JSON; Decimals become JSON numbers with exactly their digits."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite float cannot be written as JSON")
        out.append(repr(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_encode_string(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def decimal_text(value: Decimal) -> str:
    """A Decimal as a JSON number literal, never in exponent form (``Decimal('1E+2')`` -> ``100``)."""
    if not value.is_finite():
        raise ValueError("non-finite Decimal cannot be written as JSON")
    text = f"{value:f}"
    return "0" if text in {"-0", "+0"} else text


def to_decimal(value: Any) -> Decimal:
    """A wire amount as a Decimal: JSON numbers (already Decimal or int) and numeric strings.

    Both providers accept amounts written as strings (python-quickbooks sends Decimals that way);
    booleans, blanks and non-finite values are refused.
    """
    if isinstance(value, bool) or value is None:
        raise WireError("not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # Only reachable for values built in-process; wire input is parsed with parse_float=Decimal.
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise WireError("not a number")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise WireError(f"'{value}' is not a number") from None
    else:
        raise WireError("not a number")
    if not result.is_finite():
        raise WireError("not a finite number")
    return result
