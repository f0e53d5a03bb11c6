"""Xero's date forms: ``/Date(1551744000000+0000)/`` out, several forms in.

Xero answers every date and timestamp in the Microsoft JSON form. It accepts ``YYYY-MM-DD``,
``YYYY-MM-DDTHH:MM:SS`` and the ``/Date(ms)/`` form (which xero-python sends) on input.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

_MS = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def ms_date(epoch_seconds: float) -> str:
    return f"/Date({round(epoch_seconds * 1000)}+0000)/"


def date_to_ms(day: date) -> str:
    return ms_date(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def parse_date(value: object) -> date | None:
    """A calendar date from any accepted form; None when the value is not a date."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _MS.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC).date()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    except ValueError:
        return None


def parse_ms(value: str) -> float | None:
    """Epoch seconds of a ``/Date(ms+0000)/`` value."""
    match = _MS.match(value.strip()) if isinstance(value, str) else None
    return int(match.group(1)) / 1000 if match else None


def parse_http_time(value: str) -> float | None:
    """If-Modified-Since: RFC 1123 (``Tue, 01 Dec 2026 10:00:00 GMT``) or ISO 8601; naive means UTC."""
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def lock_date_text(day: date) -> str:
    """``31-Jul-2013``, the form Xero's lock-date messages use."""
    return day.strftime("%d-%b-%Y")


def utc_text(epoch_seconds: float) -> str:
    """``11/22/2026 10:00:00``, the form of Xero's TokenExpired detail."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%m/%d/%Y %H:%M:%S")
