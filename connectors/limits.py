"""A fleet-wide limiter in Redis: every worker process on every host draws from one budget per tenant.

Providers count requests per company (QBO 500/min and 10 at once per realm; Xero 60/min, 5,000/day and 5
at once per tenant, 10,000/min per app). One Lua script admits a request only if *every* budget it
belongs to has room, atomically, using Redis's clock so hosts with skewed clocks still agree.

How a request is counted, and why it never overshoots:
- Each budget is a sliding log (a sorted set). An admitted request is entered with score ``+inf`` while
  it is in flight, and re-scored with its *completion* time when released. A request reaches the provider
  before it completes, so counting it from completion for one window is never shorter than the
  provider's own count, whether the provider's windows are fixed or sliding.
- Concurrency is a sorted set of holders scored by lease expiry, so a holder that died (kill -9) frees
  its slot when the lease runs out instead of leaking it forever.
- ``Retry-After`` blocks the tenant until then; ``X-*-Remaining`` headers that show someone else using
  the same budget (another app, the provider's UI) are entered as phantom requests.

Windows are configuration (``window_seconds``), so tests and benchmarks can compress a minute into a
few seconds.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from redis import Redis

from config.limits import ProviderLimits
from connectors import metrics

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[1]) or '0')
if blocked > now then return {0, blocked - now, 'blocked'} end
local climit = tonumber(ARGV[3])
if climit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= climit then return {0, tonumber(ARGV[5]), 'concurrency'} end
end
local n = tonumber(ARGV[4])
local wait = 0
local why = ''
for i = 1, n do
  local limit = tonumber(ARGV[4 + 2 * i])
  local window = tonumber(ARGV[5 + 2 * i])
  local key = KEYS[2 + i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - window))
  if redis.call('ZCARD', key) >= limit then
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(ARGV[5])
    local score = tonumber(first[2])
    if score ~= nil and score < math.huge then w = math.max(1, score + window - now) end
    if w > wait then wait = w; why = key end
  end
end
if wait > 0 then return {0, wait, why} end
if climit > 0 then redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1]) end
for i = 1, n do
  redis.call('ZADD', KEYS[2 + i], '+inf', ARGV[1])
  redis.call('PEXPIRE', KEYS[2 + i], tonumber(ARGV[5 + 2 * i]) * 2 + tonumber(ARGV[2]))
end
if climit > 0 then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) * 2) end
return {1, 0, ''}
"""

_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, #KEYS do redis.call('ZADD', KEYS[i], 'XX', now, ARGV[1]) end
return now
"""

_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current then redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 1000) end
return until_ms
"""

_OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local used_by_provider = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
local ours = redis.call('ZCARD', KEYS[1])
local added = 0
while ours + added < used_by_provider do
  redis.call('ZADD', KEYS[1], now, 'phantom:' .. ARGV[3] .. ':' .. added)
  added = added + 1
end
redis.call('PEXPIRE', KEYS[1], window * 2)
return added
"""


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` requests in any ``window_seconds``, shared by everyone using ``name``."""

    name: str
    limit: int
    window_seconds: float

    @property
    def window_ms(self) -> int:
        return max(1, math.ceil(self.window_seconds * 1000))


@dataclass(frozen=True)
class LimitScope:
    """Everything one request to one tenant counts against."""

    key: str  # e.g. "xero:tenant-id"
    concurrency: int
    budgets: tuple[Budget, ...]
    lease_seconds: float = 120.0

    def budget(self, name: str) -> Budget | None:
        return next((b for b in self.budgets if b.name == name), None)


@dataclass
class Slot:
    """An admitted request; release it (the context manager does) when the response is in."""

    scope: LimitScope
    token: str
    waited_seconds: float
    budget_names: tuple[str, ...] = field(default_factory=tuple)


class LimiterTimeout(TimeoutError):
    """No slot within the caller's deadline; nothing was sent. ``wait``: seconds until one is expected."""

    def __init__(self, message: str, wait: float = 0.0):
        super().__init__(message)
        self.wait = wait


class FleetLimiter:
    """The limiter; one per process is enough (it holds no state besides the Redis client)."""

    def __init__(self, redis: Redis, prefix: str = "refundsync:limits"):
        self.redis = redis
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._block = redis.register_script(_BLOCK)
        self._observe = redis.register_script(_OBSERVE)

    # keys -----------------------------------------------------------------------------------------
    def _blocked_key(self, scope: LimitScope) -> str:
        return f"{self.prefix}:{scope.key}:blocked"

    def _concurrency_key(self, scope: LimitScope) -> str:
        return f"{self.prefix}:{scope.key}:inflight"

    def _budget_key(self, scope: LimitScope, budget: Budget) -> str:
        # Budgets whose name starts with "app:" are shared across tenants (Xero's per-app minute).
        if budget.name.startswith("app:"):
            return f"{self.prefix}:{budget.name}"
        return f"{self.prefix}:{scope.key}:{budget.name}"

    # admission ------------------------------------------------------------------------------------
    def try_acquire(self, scope: LimitScope, budgets: Sequence[str] | None = None) -> tuple[Slot | None, float, str]:
        """One atomic attempt: (slot, 0, "") or (None, seconds to wait, which limit is full)."""
        chosen = [b for b in scope.budgets if budgets is None or b.name in budgets]
        token = uuid.uuid4().hex
        keys = [self._blocked_key(scope), self._concurrency_key(scope), *(self._budget_key(scope, b) for b in chosen)]
        poll_ms = 25
        args: list[int | str] = [token, math.ceil(scope.lease_seconds * 1000), scope.concurrency, len(chosen),
                                 poll_ms]
        for b in chosen:
            args += [b.limit, b.window_ms]
        admitted, wait_ms, why = self._acquire(keys=keys, args=args)
        if int(admitted) == 1:
            return Slot(scope, token, 0.0, tuple(b.name for b in chosen)), 0.0, ""
        reason = why.decode() if isinstance(why, bytes) else str(why)
        names = {self._budget_key(scope, b): b.name for b in chosen}
        return None, int(wait_ms) / 1000, names.get(reason, reason)

    def acquire(self, scope: LimitScope, budgets: Sequence[str] | None = None, *,
                timeout: float | None = None) -> Slot:
        """Wait (sleeping, never spinning) until every budget has room; raise LimiterTimeout past ``timeout``."""
        started = time.monotonic()
        while True:
            slot, wait, _why = self.try_acquire(scope, budgets)
            if slot is not None:
                slot.waited_seconds = time.monotonic() - started
                metrics.limiter_wait(scope.key, slot.waited_seconds)
                return slot
            if timeout is not None and time.monotonic() - started + wait > timeout:
                metrics.limiter_wait(scope.key, time.monotonic() - started)
                raise LimiterTimeout(f"no request slot for {scope.key} within {timeout:g} s", wait=wait)
            # A little jitter so processes woken together do not collide on the same free slot.
            time.sleep(wait * (1 + random.random() * 0.05) + 0.001)

    def release(self, slot: Slot) -> None:
        keys = [self._concurrency_key(slot.scope)]
        keys += [self._budget_key(slot.scope, b) for b in slot.scope.budgets if b.name in slot.budget_names]
        self._release(keys=keys, args=[slot.token])

    @contextmanager
    def slot(self, scope: LimitScope, budgets: Sequence[str] | None = None, *,
             timeout: float | None = None) -> Iterator[Slot]:
        acquired = self.acquire(scope, budgets, timeout=timeout)
        try:
            yield acquired
        finally:
            self.release(acquired)

    # feedback from the provider -----------------------------------------------------------------
    def block_for(self, scope: LimitScope, seconds: float) -> None:
        """The provider said wait (Retry-After): nobody in the fleet sends to this tenant until then."""
        self._block(keys=[self._blocked_key(scope)], args=[max(1, math.ceil(seconds * 1000))])

    def observe_remaining(self, scope: LimitScope, budget_name: str, remaining: int) -> int:
        """The provider reports ``remaining`` calls in a budget; count calls we did not make. Returns how many."""
        budget = scope.budget(budget_name)
        if budget is None:
            return 0
        used = max(0, budget.limit - remaining)
        added = self._observe(keys=[self._budget_key(scope, budget)],
                              args=[used, budget.window_ms, uuid.uuid4().hex[:8]])
        return int(added)

    def in_flight(self, scope: LimitScope) -> int:
        return int(self.redis.zcard(self._concurrency_key(scope)))


def scope_for(provider: str, company_id: str, limits: ProviderLimits, minute_seconds: float = 60.0,
              lease_seconds: float = 120.0) -> LimitScope:
    """The budgets one request to one company counts against (see config.limits for the numbers)."""
    budgets = [Budget("minute", limits.per_minute, minute_seconds)]
    if limits.per_day:
        budgets.append(Budget("day", limits.per_day, minute_seconds * 1440))
    if limits.batch_per_minute:
        budgets.append(Budget("batch", limits.batch_per_minute, minute_seconds))
    if limits.app_per_minute:
        budgets.append(Budget(f"app:{provider}:minute", limits.app_per_minute, minute_seconds))
    return LimitScope(f"{provider}:{company_id}", limits.concurrency, tuple(budgets), lease_seconds)


#: Budgets an ordinary call counts against: everything but the QBO batch budget.
def request_budgets(scope: LimitScope, *, batch: bool = False) -> list[str]:
    return [b.name for b in scope.budgets if batch or b.name != "batch"]
