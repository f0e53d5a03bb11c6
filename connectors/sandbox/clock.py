"""Sandbox time: the wall clock plus an offset an admin can advance, and compressed durations.

Document timestamps follow the sandbox clock (so advancing it ages tokens and idempotency keys the way
waiting would), while every *duration* the providers define (token lifetimes, rate-limit windows,
idempotency windows) is measured in sandbox minutes of ``minute_seconds`` real seconds each.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SandboxClock:
    """Current sandbox time in epoch seconds, and conversion of provider durations to real seconds."""

    def __init__(self, minute_seconds: float = 60.0) -> None:
        if minute_seconds <= 0:
            raise ValueError("minute_seconds must be positive")
        self.minute_seconds = minute_seconds
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def advance(self, seconds: float) -> None:
        """Move sandbox time forward (never back: cached windows and token expiries assume it)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset += seconds

    def minutes(self, count: float) -> float:
        """Real seconds that ``count`` sandbox minutes last."""
        return count * self.minute_seconds

    def days(self, count: float) -> float:
        return self.minutes(count * 24 * 60)
