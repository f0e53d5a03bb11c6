"""Which tenants are due a scheduled back-sync: each tenant's own interval, kept in Redis.

Beat runs ``refundsync.backsync_due`` every ``REFUNDSYNC_BACKSYNC_CHECK_SECONDS``; a tenant is due when
its Redis key has expired. Setting the key (``SET NX EX interval``) and enqueueing happen together, so
any number of beat ticks or duplicate beats enqueue a tenant at most once per interval; the run itself
is single-flight per tenant (see :mod:`sync.backsync.run`).
"""

from __future__ import annotations

from redis import Redis

from config.tenants import TenantsFile

DUE_KEY = "refundsync:backsync-due:{tenant}"


def claim_due(redis: Redis, tenants: TenantsFile) -> list[str]:
    """Tenants whose interval has passed; each one returned is booked for its next interval."""
    due = []
    for name, tenant in sorted(tenants.tenants.items()):
        if not tenant.backsync.enabled:
            continue
        interval_ms = max(1, int(tenant.backsync.interval_minutes * 60_000))
        if redis.set(DUE_KEY.format(tenant=name), "1", nx=True, px=interval_ms):
            due.append(name)
    return due
