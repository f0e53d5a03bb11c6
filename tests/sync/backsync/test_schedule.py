"""Which tenants beat sends to back-sync: each at its own interval, at most once per interval (real Redis)."""

from __future__ import annotations

from redis import Redis

from config.tenants import parse_tenants
from sync.backsync.schedule import claim_due
from tests.support.processes import wait_until
from tests.support.servers import RedisServer


def test_each_tenant_is_due_once_per_its_own_interval(redis_srv: RedisServer) -> None:
    redis = Redis.from_url(redis_srv.url)
    redis.flushall()
    tenants = parse_tenants({"tenants": {
        "fast": {"provider": "xero", "tenant_id": "a", "backsync": {"interval_minutes": 0.01}},  # 0.6 s
        "slow": {"provider": "xero", "tenant_id": "b"},  # the default 15 minutes
        "off": {"provider": "xero", "tenant_id": "c", "backsync": {"enabled": False}},
    }})
    assert claim_due(redis, tenants) == ["fast", "slow"]
    assert claim_due(redis, tenants) == []  # a second beat tick (or a second beat) books nothing more
    wait_until(lambda: claim_due(redis, tenants) == ["fast"], timeout=10, interval=0.1, what="fast due again")
    assert 14 * 60_000 < redis.pttl("refundsync:backsync-due:slow") <= 15 * 60_000
