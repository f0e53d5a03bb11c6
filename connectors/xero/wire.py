"""Xero's wire forms on our side: exact JSON both ways, ``/Date(...)/`` stamps, ``where`` literals.

Bodies are written by :func:`mapping.wire.dumps` (Decimals as their own digits, a float refused) and read
with ``parse_float=Decimal``, so no amount ever passes through binary floating point.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mapping.wire import dumps

__all__ = ["dumps", "loads", "modified_since", "parse_date", "parse_datetime", "where_equals"]

_MS = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def loads(data: bytes | str) -> Any:
    """JSON with every non-integer number as a Decimal."""
    return json.loads(data, parse_float=Decimal)


def parse_datetime(value: object) -> datetime | None:
    """A UTC datetime from ``/Date(1551812346157+0000)/`` (the offset is informational: the
    milliseconds are since the epoch in UTC) or an ISO 8601 text; None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    match = _MS.match(value.strip())
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_date(value: object) -> date | None:
    moment = parse_datetime(value)
    return moment.date() if moment else None


def where_equals(field: str, value: str) -> str:
    """``Field=="value"`` with the value's backslashes and double quotes escaped (Xero's C#-like syntax),
    so a tag can never end the string literal and inject a condition."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]*", field):
        raise ValueError(f"not a Xero field name: {field!r}")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{field}=="{escaped}"'


def modified_since(moment: datetime) -> datetime:
    """If-Modified-Since as Xero documents it (UTC, whole seconds). Rounded *down*, so a document changed
    in the same second as ``moment`` is read again rather than missed."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return utc.replace(microsecond=0, tzinfo=None)
