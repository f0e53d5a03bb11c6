"""When flushes run: right after intake (debounced), when a retry falls due, and from beat as a safety net."""

from __future__ import annotations

from datetime import datetime

from redis import Redis

SCHEDULED_KEY = "refundsync:flush-scheduled:{tenant}"
#: Cases closing within this window are posted by one flush (and so in one batch).
DEBOUNCE_SECONDS = 0.5


def should_schedule(redis: Redis, tenant: str, countdown: float) -> bool:
    """True for the first caller in a window; the flush clears the key when it starts."""
    ttl = max(1, int(countdown) + 5)
    return bool(redis.set(SCHEDULED_KEY.format(tenant=tenant), "1", nx=True, ex=ttl))


def clear(redis: Redis, tenant: str) -> None:
    redis.delete(SCHEDULED_KEY.format(tenant=tenant))


def countdown_until(when: datetime | None, now: datetime, cap: float) -> float | None:
    if when is None:
        return None
    return min(cap, max(0.0, (when - now).total_seconds()))
