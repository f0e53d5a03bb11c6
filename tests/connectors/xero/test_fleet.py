"""The fleet: real worker processes sharing one Redis and one token store against one sandbox.

* 8 processes that find the access token expired at the same moment: exactly 1 call to the token
  endpoint (counted in the sandbox's own request log), and all 8 carry on.
* 4 processes posting for one tenant as fast as they can, 60 calls a (compressed) minute: zero 429s,
  and at least 90 % of the allowed calls used, measured per sandbox window over several windows.
* a 429's Retry-After, received by one process, holds another process's next call until it is over.
"""

from __future__ import annotations

import math
import multiprocessing
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from connectors.errors import Action
from connectors.protocol import CallFailed
from connectors.sandbox.server import running_sandbox
from connectors.xero.client import XeroClient
from tests.connectors.xero import procs
from tests.connectors.xero.helpers import XERO, SharedRuntime, store_tokens, token_calls, xero_requests
from tests.support.connectors import sandbox_tenants

MINUTE_SECONDS = 2.0  # one provider minute, in the sandbox and in limit_minute_seconds alike
POSTING_SECONDS = 7 * MINUTE_SECONDS + 1.5


def _context() -> BaseContext:
    """forkserver: every worker is a fresh process (no state inherited from this one), and the heavy imports
    happen once in the server instead of eight times on two busy cores."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.connectors.xero.procs"])
    return ctx


def _run(ctx: BaseContext, count: int, target: Callable[..., None], args: Callable[[int, Any, Any], tuple[Any, ...]],
         timeout: float, parties: int | None = None, before_results: Callable[[Any], None] | None = None
         ) -> list[dict[str, Any]]:
    """Start ``count`` workers meeting at one barrier (of ``parties``, when the test joins it too)."""
    barrier = ctx.Barrier(parties or count)  # type: ignore[attr-defined]
    results = ctx.Queue()  # type: ignore[attr-defined]
    workers = [ctx.Process(target=target, args=args(i, barrier, results)) for i in range(count)]  # type: ignore[attr-defined]
    for worker in workers:
        worker.start()
    try:
        if before_results is not None:
            before_results(barrier)
        out = [results.get(timeout=timeout) for _ in workers]
    finally:
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.kill()
    return out


def test_eight_processes_with_an_expired_token_cause_one_refresh(redis_url: str, tmp_path: Path) -> None:
    with running_sandbox() as sandbox:
        shared = SharedRuntime.create(redis_url, tmp_path, sandbox.base_url)
        runtime = shared.runtime()
        tenant = sandbox_tenants(sandbox.base_url).get(XERO)
        before = store_tokens(runtime, sandbox, tenant, expires_in=-1)  # our record: expired
        sandbox.admin.advance_clock(minutes=31)  # and Xero's view: expired too
        start = sandbox.admin.last_request_seq()

        results = _run(_context(), 8, procs.listing_worker, lambda i, b, q: (shared, b, q), timeout=120)

        assert all(r["ok"] for r in results), results
        assert [r["contacts"] for r in results] == [9] * 8  # all 8 carry on with a real call
        spread = max(r["started"] for r in results) - min(r["started"] for r in results)
        refreshes = token_calls(sandbox, start)
        calls = xero_requests(sandbox, start)
        print(f"\n8 workers started within {spread * 1000:.0f} ms; token endpoint calls: {len(refreshes)}; "
              f"API calls: {[r['status'] for r in calls]}")
        assert len(refreshes) == 1 and refreshes[0]["status"] == 200
        assert [r["status"] for r in calls] == [200] * 8  # nobody used the dead token
        stored = runtime.keeper.store.load(XERO)
        assert stored is not None and stored.state == "active" and stored.version == 2
        assert stored.tokens.refresh_token != before.refresh_token


def test_four_processes_use_the_minute_budget_without_a_single_429(redis_url: str, tmp_path: Path) -> None:
    with running_sandbox(minute_seconds=MINUTE_SECONDS, xero_access_token_minutes=100_000) as sandbox:
        shared = SharedRuntime.create(redis_url, tmp_path, sandbox.base_url, minute_seconds=MINUTE_SECONDS)
        store_tokens(shared.runtime(), sandbox, sandbox_tenants(sandbox.base_url).get(XERO))
        limit = sandbox.admin.company(XERO)["limits"]["per_minute"]
        start = sandbox.admin.last_request_seq()

        results = _run(_context(), 4, procs.posting_worker,
                       lambda i, b, q: (shared, i, b, POSTING_SECONDS, q), timeout=POSTING_SECONDS + 90)

        assert all(r["ok"] for r in results), results
        outcomes = sum((Counter(r["counts"]) for r in results), Counter())
        log = [r for r in xero_requests(sandbox, start) if r["company"] is not None]
        throttled = [r for r in log if r["outcome"] == "throttled"]
        admitted = [r for r in log if r["admitted"]]
        window = Decimal(str(MINUTE_SECONDS))  # the sandbox's windows are epoch-aligned in its own time
        per_window = Counter(math.floor(Decimal(r["admitted_at"]) / window) for r in admitted)
        first, last = min(per_window), max(per_window)
        full = [w for w in range(first + 1, last)]  # the first and last windows are partly outside the run
        used = sum(per_window[w] for w in full)
        allowed = limit * len(full)
        print(f"\n4 workers, {limit} calls per {MINUTE_SECONDS:.0f}-s minute: calls per full window "
              f"{[per_window[w] for w in full]}; used {used}/{allowed} = {used / allowed:.1%}; "
              f"429s received: {len(throttled)}; outcomes {dict(outcomes)}")
        assert throttled == [] and "xero.rate_limited" not in outcomes
        assert len(full) >= 5
        assert max(per_window.values()) <= limit
        assert used / allowed >= 0.90
        assert outcomes["created"] == len(admitted)


def test_a_429_in_one_process_holds_the_next_call_of_another_until_retry_after(redis_url: str,
                                                                              tmp_path: Path) -> None:
    with running_sandbox(minute_seconds=3, xero_access_token_minutes=600) as sandbox:
        shared = SharedRuntime.create(redis_url, tmp_path, sandbox.base_url, minute_seconds=3)
        tenant = sandbox_tenants(sandbox.base_url).get(XERO)
        runtime = shared.runtime()
        store_tokens(runtime, sandbox, tenant)
        client = XeroClient(tenant, runtime)
        client.list_parties("Contact")  # warm: the other process's call must not wait for anything else
        sandbox.admin.set_faults(XERO, throttle_next=1)
        seen: dict[str, Any] = {}

        def throttled_then_release(barrier: Any) -> None:
            seen["error"] = None
            try:
                client.list_parties("Contact")
            except CallFailed as exc:
                seen["error"] = exc
            barrier.wait(timeout=60)  # the other worker, already running, now makes its call

        results = _run(_context(), 1, procs.listing_worker, lambda i, b, q: (shared, b, q), timeout=60, parties=2,
                       before_results=throttled_then_release)

        assert results[0]["ok"], results
        error = seen["error"]
        assert isinstance(error, CallFailed)
        assert (error.classification.action, error.classification.rule) == (Action.RATE_LIMITED,
                                                                             "xero.rate_limited")
        wait = error.classification.retry_after
        assert wait is not None and 1 <= wait <= 3
        log = xero_requests(sandbox)
        throttled = [r for r in log if r["outcome"] == "throttled"]
        after = [r for r in log if r["seq"] > throttled[0]["seq"]]
        gap = after[0]["started"] - throttled[0]["finished"]
        print(f"\n429 with Retry-After {wait:.0f} s in one process; the other process's call reached Xero "
              f"{gap:.2f} s later ({results[0]['took']:.2f} s after it was made)")
        assert len(throttled) == 1 and [r["outcome"] for r in after] == ["ok"]
        assert gap >= wait - 0.05
        assert results[0]["took"] >= wait - 0.5  # it was made right away and held by the fleet limiter
