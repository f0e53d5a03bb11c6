"""Partial batches are spaced so that the provider's minute budget lasts the minute (sync/engine/pacing.py)."""

from __future__ import annotations

from redis import Redis

from config.limits import DEFAULT_LIMITS, ProviderLimits
from sync.engine import pacing
from tests.support.servers import RedisServer


def test_the_pace_spreads_the_budget_a_batched_write_counts_against() -> None:
    # Xero: 60 calls a minute -> one partial batch a second; QuickBooks: 40 /batch requests -> one per 1.5 s
    assert pacing.pace_seconds("xero", DEFAULT_LIMITS["xero"], 60.0) == 1.0
    assert pacing.pace_seconds("quickbooks", DEFAULT_LIMITS["quickbooks"], 60.0) == 1.5
    # time compression and a tenant's own limits change it the same way
    assert pacing.pace_seconds("xero", DEFAULT_LIMITS["xero"], 6.0) == 0.1
    raised = ProviderLimits(per_minute=500, concurrency=10, batch_per_minute=120)
    assert pacing.pace_seconds("quickbooks", raised, 60.0) == 0.5


def test_a_hold_is_seen_by_every_process_until_it_runs_out(redis_srv: RedisServer) -> None:
    redis = Redis.from_url(redis_srv.url)
    redis.delete(pacing.PACE_KEY.format(tenant="t-pace"))
    assert pacing.remaining(redis, "t-pace") == 0
    pacing.hold(redis, "t-pace", 30.0)
    assert 29.0 < pacing.remaining(Redis.from_url(redis_srv.url), "t-pace") <= 30.0
    assert pacing.remaining(redis, "another-tenant") == 0
    pacing.hold(redis, "t-pace", 0.0005)  # under a millisecond: nothing to hold, the earlier hold stays
    assert pacing.remaining(redis, "t-pace") > 29.0
