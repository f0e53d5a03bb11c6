"""Pacing a tenant's partial batches, so that a trickle of cases does not spend the provider's budget.

The scarce thing is the provider's request budget, not our CPU: Xero gives a tenant 60 calls a minute,
and a call carries up to 50 credit notes. A flush that sends whatever is due the moment it is due spends
a call on every one or two cases while they trickle in, uses up the minute in seconds, and then every
case waits for the window to slide (measured: 36 documents a call on average, p50 latency 40 s at the
ceiling's arrival rate). So after a *partial* batch (the backlog is drained) the tenant's next send waits
one pace interval, the minute's budget spread evenly (Xero: 60 s / 60 = 1 s; QuickBooks: 60 s / 40
/batch requests = 1.5 s), and the cases arriving meanwhile share the next request. A full batch is never
held back: when there is a backlog, only the fleet limiter decides.

The interval is a key with a time to live in the coordination Redis, so it holds whichever worker
process runs the tenant's next flush; a flush that finds it set books itself for when it runs out
instead of sleeping in the task.
"""

from __future__ import annotations

from redis import Redis

from config.limits import ProviderLimits

PACE_KEY = "refundsync:paced:{tenant}"


def pace_seconds(provider: str, limits: ProviderLimits, minute_seconds: float) -> float:
    """The interval that spreads the budget a batched write counts against evenly over the minute."""
    per_minute = limits.per_minute
    if provider == "quickbooks" and limits.batch_per_minute:
        per_minute = min(per_minute, limits.batch_per_minute)
    return minute_seconds / per_minute


def hold(redis: Redis, tenant: str, seconds: float) -> None:
    """After a partial batch: the tenant's next send waits ``seconds``."""
    millis = int(seconds * 1000)
    if millis > 0:
        redis.set(PACE_KEY.format(tenant=tenant), "1", px=millis)


def remaining(redis: Redis, tenant: str) -> float:
    """Seconds until the tenant may send again (0: now)."""
    millis = int(redis.pttl(PACE_KEY.format(tenant=tenant)))
    return max(0, millis) / 1000
