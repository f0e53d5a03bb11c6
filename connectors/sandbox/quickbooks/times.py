"""QBO timestamps: Intuit writes them in the company's time zone with an explicit offset.

``MetaData.CreateTime`` looks like ``2026-11-22T10:33:39-08:00`` and the envelope's ``time`` carries
milliseconds. A ``changedSince`` or a query literal without an offset is read in the company's zone,
which is what Intuit does and why python-quickbooks' offset-less CDC timestamps shift by hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "America/Los_Angeles"


def company_zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")  # +0000
    return f"{text[:3]}:{text[3:]}"


def entity_time(epoch: float, zone: tzinfo) -> str:
    """``2026-11-22T10:33:39-08:00`` (MetaData times, no fraction)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC).astimezone(zone)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + _offset(moment)


def envelope_time(epoch: float, zone: tzinfo) -> str:
    """``2026-11-22T10:33:39.082-08:00`` (the ``time`` of every response)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC).astimezone(zone)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + _offset(moment)


def company_today(epoch: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).astimezone(zone).date().isoformat()


def parse_timestamp(text: str, zone: tzinfo) -> float:
    """Epoch seconds of an ISO date or date-time; without an offset it is read in ``zone``."""
    value = text.strip()
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()
