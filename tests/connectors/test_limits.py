"""The fleet-wide limiter against a real redis-server: never over a limit, and close to it under load."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from redis import Redis

from connectors.limits import Budget, FleetLimiter, LimiterTimeout, LimitScope
from tests.support.servers import RedisServer


@pytest.fixture
def limiter(redis_srv: RedisServer) -> Iterator[FleetLimiter]:
    client = Redis.from_url(redis_srv.url)
    client.flushall()
    yield FleetLimiter(client, prefix="test")
    client.close()


def _max_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_threads_never_exceed_the_rate_and_use_at_least_90_percent(limiter: FleetLimiter) -> None:
    scope = LimitScope("xero:t1", concurrency=5, budgets=(Budget("minute", 20, 1.0),))
    sent: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + 4.0

    def hammer() -> None:
        while time.monotonic() < stop:
            try:
                with limiter.slot(scope, timeout=max(0.01, stop - time.monotonic())):
                    with lock:
                        sent.append(time.monotonic())  # the moment the request would leave
                    time.sleep(0.005)
            except LimiterTimeout:
                return

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert _max_in_any_window(sent, 1.0) <= 20
    # 4 s at 20 per second is 80 requests at most; the first window is full at once.
    assert len(sent) >= 0.9 * 80, len(sent)


def test_concurrency_is_exact_under_20_threads(limiter: FleetLimiter) -> None:
    scope = LimitScope("qbo:r1", concurrency=3, budgets=(Budget("minute", 10_000, 60.0),))
    current = 0
    peak = 0
    lock = threading.Lock()
    observed: list[int] = []

    def work() -> None:
        nonlocal current, peak
        for _ in range(5):
            with limiter.slot(scope):
                with lock:
                    current += 1
                    peak = max(peak, current)
                observed.append(limiter.in_flight(scope))
                time.sleep(0.01)
                with lock:
                    current -= 1

    threads = [threading.Thread(target=work) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert peak == 3
    assert max(observed) <= 3
    assert limiter.in_flight(scope) == 0


def test_a_crashed_holder_frees_its_slot_when_the_lease_ends(limiter: FleetLimiter) -> None:
    scope = LimitScope("xero:t2", concurrency=1, budgets=(), lease_seconds=0.5)
    limiter.acquire(scope)  # never released: the process "died"
    slot, _wait, why = limiter.try_acquire(scope)
    assert slot is None and why == "concurrency"
    started = time.monotonic()
    limiter.acquire(scope, timeout=5)
    assert 0.3 <= time.monotonic() - started < 2.0


def test_retry_after_blocks_the_whole_fleet(limiter: FleetLimiter) -> None:
    scope = LimitScope("xero:t3", concurrency=5, budgets=(Budget("minute", 60, 60.0),))
    limiter.block_for(scope, 0.6)
    slot, wait, why = limiter.try_acquire(scope)
    assert slot is None and why == "blocked" and 0.3 < wait <= 0.6
    with pytest.raises(LimiterTimeout):
        limiter.acquire(scope, timeout=0.1)
    started = time.monotonic()
    limiter.release(limiter.acquire(scope, timeout=5))
    assert time.monotonic() - started >= 0.3


def test_remaining_headers_count_calls_we_did_not_make(limiter: FleetLimiter) -> None:
    scope = LimitScope("xero:t4", concurrency=5, budgets=(Budget("minute", 10, 60.0),))
    limiter.release(limiter.acquire(scope))
    # the provider says 4 remain: 6 used, 1 of them ours
    assert limiter.observe_remaining(scope, "minute", remaining=4) == 5
    admitted = 0
    while True:
        slot, _, why = limiter.try_acquire(scope)
        if slot is None:
            assert why == "minute"
            break
        limiter.release(slot)
        admitted += 1
    assert admitted == 4


def test_app_budget_is_shared_by_every_tenant(limiter: FleetLimiter) -> None:
    app = Budget("app:xero:minute", 3, 60.0)
    a = LimitScope("xero:a", concurrency=5, budgets=(Budget("minute", 60, 60.0), app))
    b = LimitScope("xero:b", concurrency=5, budgets=(Budget("minute", 60, 60.0), app))
    for scope in (a, b, a):
        limiter.release(limiter.acquire(scope, timeout=1))
    slot, _, why = limiter.try_acquire(b)
    assert slot is None and why == "app:xero:minute"


def test_a_request_counts_from_when_it_completed(limiter: FleetLimiter) -> None:
    scope = LimitScope("qbo:r2", concurrency=5, budgets=(Budget("minute", 1, 0.5),))
    slot = limiter.acquire(scope)
    time.sleep(0.6)  # in flight longer than the window: still counts
    assert limiter.try_acquire(scope)[0] is None
    limiter.release(slot)
    blocked, wait, _ = limiter.try_acquire(scope)
    assert blocked is None and 0.3 < wait <= 0.5
