"""Rate and concurrency limits per company (and per app for Xero), in fixed windows of sandbox time.

Both providers count in fixed windows (a calendar minute, a day), not sliding ones. A request that is
refused does not count against any window. The pipeline runs on one event loop thread, so a check and
the increment that follows it cannot interleave with another request: the limits are exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from connectors.sandbox.clock import SandboxClock


class FixedWindow:
    """Counts events per window of ``length`` real seconds, aligned on the epoch."""

    def __init__(self, length: float) -> None:
        self.length = length
        self._index = -1
        self._count = 0

    def _roll(self, now: float) -> None:
        index = math.floor(now / self.length)
        if index != self._index:
            self._index = index
            self._count = 0

    def count(self, now: float) -> int:
        self._roll(now)
        return self._count

    def add(self, now: float) -> None:
        self._roll(now)
        self._count += 1

    def seconds_left(self, now: float) -> float:
        self._roll(now)
        return (self._index + 1) * self.length - now


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: ``problem`` uses Xero's X-Rate-Limit-Problem words."""

    problem: str  # "minute" | "day" | "concurrent" | "appminute" | "batch"
    retry_after: int | None


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class CompanyLimiter:
    """The limits of one company: per minute, per day (Xero), concurrent, QBO batch requests per minute."""

    def __init__(
        self,
        clock: SandboxClock,
        per_minute: int,
        concurrent: int,
        per_day: int | None = None,
        batch_per_minute: int | None = None,
    ) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.concurrent = concurrent
        self.per_day = per_day
        self.batch_per_minute = batch_per_minute
        self.minute = FixedWindow(clock.minutes(1))
        self.day = FixedWindow(clock.days(1))
        self.batch_minute = FixedWindow(clock.minutes(1))
        self.in_flight = 0
        self.high_water = 0

    def check(self, now: float, batch: bool = False) -> Refusal | None:
        """The first limit this request would break, or None. Does not count anything."""
        if self.per_day is not None and self.day.count(now) >= self.per_day:
            return Refusal("day", _retry_after(self.day.seconds_left(now)))
        if self.minute.count(now) >= self.per_minute:
            return Refusal("minute", _retry_after(self.minute.seconds_left(now)))
        if batch and self.batch_per_minute is not None and self.batch_minute.count(now) >= self.batch_per_minute:
            return Refusal("batch", _retry_after(self.batch_minute.seconds_left(now)))
        if self.in_flight >= self.concurrent:
            return Refusal("concurrent", None)
        return None

    def admit(self, now: float, batch: bool = False) -> None:
        """Count an admitted request and occupy a concurrency slot (release it with ``release``)."""
        self.minute.add(now)
        self.day.add(now)
        if batch:
            self.batch_minute.add(now)
        self.in_flight += 1
        self.high_water = max(self.high_water, self.in_flight)

    def release(self) -> None:
        self.in_flight -= 1

    def remaining(self, now: float) -> tuple[int, int | None]:
        minute_left = max(0, self.per_minute - self.minute.count(now))
        day_left = max(0, self.per_day - self.day.count(now)) if self.per_day is not None else None
        return minute_left, day_left

    def snapshot(self, now: float) -> dict[str, int | None]:
        minute_left, day_left = self.remaining(now)
        return {
            "per_minute": self.per_minute,
            "per_day": self.per_day,
            "concurrent": self.concurrent,
            "batch_per_minute": self.batch_per_minute,
            "minute_used": self.minute.count(now),
            "day_used": self.day.count(now) if self.per_day is not None else None,
            "minute_remaining": minute_left,
            "day_remaining": day_left,
            "in_flight": self.in_flight,
            "high_water": self.high_water,
        }


class AppLimiter:
    """Xero's app-wide minute limit, one window per OAuth client across all tenants."""

    def __init__(self, clock: SandboxClock, per_minute: int) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self._windows: dict[str, FixedWindow] = {}

    def _window(self, client_id: str) -> FixedWindow:
        window = self._windows.get(client_id)
        if window is None:
            window = self._windows[client_id] = FixedWindow(self.clock.minutes(1))
        return window

    def check(self, client_id: str, now: float) -> Refusal | None:
        window = self._window(client_id)
        if window.count(now) >= self.per_minute:
            return Refusal("appminute", _retry_after(window.seconds_left(now)))
        return None

    def admit(self, client_id: str, now: float) -> None:
        self._window(client_id).add(now)

    def remaining(self, client_id: str, now: float) -> int:
        return max(0, self.per_minute - self._window(client_id).count(now))
