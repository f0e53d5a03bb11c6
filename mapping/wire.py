"""The JSON text of a payload exactly as it goes on the wire: Decimal amounts as JSON number tokens.

Payloads keep amounts as ``Decimal`` quantized to the precision the provider stores (``Decimal('42.50')``,
``Decimal('1500')``). The standard library cannot write a Decimal as a number (it either refuses or goes
through ``float``), and python-quickbooks' encoder writes it as a *string* ("42.50"), which QuickBooks is
not documented to accept. :func:`dumps` writes the Decimal's own digits as a number token (``42.50``), so
the bytes carry exactly the value the mapping computed, whatever JSON library decodes them.

A ``float`` anywhere in a payload is a bug (binary floating point cannot hold most cent amounts), so
:func:`dumps` raises :class:`FloatInPayload` rather than writing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any


class FloatInPayload(TypeError):
    """A float reached a payload: money must stay Decimal end to end."""


def dumps(
    value: Any, *, sort_keys: bool = False, indent: int | None = None, ensure_ascii: bool = False
) -> str:
    """JSON text with Decimals as number tokens; compact unless ``indent`` is given."""
    encode_str = encode_basestring_ascii if ensure_ascii else encode_basestring
    if indent is None:
        return "".join(_compact(value, sort_keys, encode_str))
    return "".join(_pretty(value, sort_keys, encode_str, indent, 0))


def decimal_token(value: Decimal) -> str:
    """A Decimal as a JSON number token: plain notation, its own digits (``42.50``, never ``4.25E+1``)."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite amount and cannot be sent")
    if value.is_zero():
        value = abs(value)  # never "-0.00"
    return f"{value:f}"


def _scalar(value: Any, encode_str: Any) -> str | None:
    if isinstance(value, str):
        return str(encode_str(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return decimal_token(value)
    if isinstance(value, float):
        raise FloatInPayload(f"float {value!r} in a payload; amounts must be Decimal")
    if isinstance(value, int):
        return int.__repr__(value)
    return None


def _compact(value: Any, sort_keys: bool, encode_str: Any) -> list[str]:
    out: list[str] = []
    _append(value, out, sort_keys, encode_str)
    return out


def _append(value: Any, out: list[str], sort_keys: bool, encode_str: Any) -> None:
    # The hot path of every payload hash: exact-type checks first, the general ones after.
    kind = type(value)
    if kind is str:
        out.append(encode_str(value))
    elif kind is dict:
        out.append("{")
        first = True
        for key, item in sorted(value.items()) if sort_keys else value.items():
            if type(key) is not str:
                raise TypeError(f"payload keys must be text, not {type(key).__name__}")
            if first:
                first = False
            else:
                out.append(",")
            out.append(encode_str(key))
            out.append(":")
            _append(item, out, sort_keys, encode_str)
        out.append("}")
    elif kind is list or kind is tuple:
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _append(item, out, sort_keys, encode_str)
        out.append("]")
    elif kind is Decimal:
        out.append(decimal_token(value))
    else:
        scalar = _scalar(value, encode_str)
        if scalar is not None:
            out.append(scalar)
        elif isinstance(value, dict):
            _append(dict(value), out, sort_keys, encode_str)
        elif isinstance(value, list | tuple):
            _append(list(value), out, sort_keys, encode_str)
        else:
            raise TypeError(f"{type(value).__name__} cannot appear in a payload")


def _pretty(value: Any, sort_keys: bool, encode_str: Any, indent: int, level: int) -> Iterator[str]:
    scalar = _scalar(value, encode_str)
    if scalar is not None:
        yield scalar
        return
    inner = "\n" + " " * (indent * (level + 1))
    outer = "\n" + " " * (indent * level)
    if isinstance(value, dict):
        if not value:
            yield "{}"
            return
        items = sorted(value.items()) if sort_keys else list(value.items())
        yield "{"
        for i, (key, item) in enumerate(items):
            if not isinstance(key, str):
                raise TypeError(f"payload keys must be text, not {type(key).__name__}")
            yield ("," if i else "") + inner + encode_str(key) + ": "
            yield from _pretty(item, sort_keys, encode_str, indent, level + 1)
        yield outer + "}"
    elif isinstance(value, list | tuple):
        if not value:
            yield "[]"
            return
        yield "["
        for i, item in enumerate(value):
            yield ("," if i else "") + inner
            yield from _pretty(item, sort_keys, encode_str, indent, level + 1)
        yield outer + "]"
    else:
        raise TypeError(f"{type(value).__name__} cannot appear in a payload")


def find_floats(value: Any, path: str = "$") -> list[str]:
    """Paths of every float inside ``value`` (empty when the payload is clean)."""
    if isinstance(value, float):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in find_floats(v, f"{path}.{k}")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in find_floats(v, f"{path}[{i}]")]
    return []
