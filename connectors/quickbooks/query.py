"""Intuit's query language, written safely: every literal escaped, every name checked.

python-quickbooks builds WHERE clauses by string formatting and escapes only ``'`` (``build_where_clause``),
so a DocNumber or a vendor name ending in a backslash, or a field name taken from configuration, could
change the query. Here a literal is always quoted with ``\\`` and ``'`` escaped by a backslash (Intuit's
escape), and entity and field names must look like names (``DocNumber``, ``MetaData.LastUpdatedTime``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$")
_OPS = frozenset({"=", "<", ">", "<=", ">=", "IN", "LIKE"})

Literal = str | bool | int | Decimal | datetime


class QueryError(ValueError):
    """A query refundsync would not send (a bad name or operator): a programming error."""


def name(value: str) -> str:
    if not _NAME.match(value):
        raise QueryError(f"{value!r} is not a QuickBooks entity or field name")
    return value


def literal(value: Literal) -> str:
    """One value as Intuit's query language writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return f"'{value}'"
    if isinstance(value, datetime):
        return quote(timestamp(value))
    if isinstance(value, str):
        return quote(value)
    raise QueryError(f"cannot write {type(value).__name__} into a QuickBooks query")


def quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def timestamp(moment: datetime) -> str:
    """``2026-11-22T18:33:39+00:00``: always with an offset, because Intuit reads an offset-less time in the
    company's own time zone (python-quickbooks' ``qb_datetime_format`` drops it). Seconds are truncated,
    so a "changed after" boundary never skips the second it falls in."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise QueryError("a QuickBooks timestamp needs a time zone; pass an aware datetime")
    return moment.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Literal | Sequence[Literal]

    def render(self) -> str:
        op = self.op.upper()
        if op not in _OPS:
            raise QueryError(f"operator {self.op!r} is not part of Intuit's query language")
        if op == "IN":
            values = self.value
            if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
                raise QueryError("IN needs a non-empty list of values")
            return f"{name(self.field)} IN ({', '.join(literal(v) for v in values)})"
        if isinstance(self.value, list | tuple):
            raise QueryError(f"{op} takes one value")
        return f"{name(self.field)} {op} {literal(self.value)}"  # type: ignore[arg-type]


def select(entity: str, conditions: Sequence[Condition] = (), *, order_by: str | None = None,
           start: int = 1, max_results: int = 1000) -> str:
    """``SELECT * FROM Entity WHERE a AND b ORDERBY f STARTPOSITION n MAXRESULTS m``."""
    if start < 1 or not 1 <= max_results <= 1000:
        raise QueryError("STARTPOSITION starts at 1 and MAXRESULTS is 1 to 1000")
    text = f"SELECT * FROM {name(entity)}"
    if conditions:
        text += " WHERE " + " AND ".join(c.render() for c in conditions)
    if order_by:
        text += f" ORDERBY {name(order_by)}"
    return f"{text} STARTPOSITION {start} MAXRESULTS {max_results}"
