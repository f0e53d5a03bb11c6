"""Several worker processes on one realm: the token is refreshed once for all of them, and together they
use the realm's request budget to the full without ever being throttled.

Children are ``spawn``-ed (not forked: this process runs the sandbox's server thread) and build their own
runtime like a worker does (see workers.py); they share only Redis, the ledger file and the sandbox.
"""

from __future__ import annotations

import math
import multiprocessing
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from connectors.auth import TokenSet
from connectors.sandbox.server import SandboxServer, running_sandbox
from sync.ledger.db import session_factory, upgrade
from sync.ledger.token_store import LedgerTokenStore
from tests.connectors.quickbooks.support import QBO, REALM
from tests.connectors.quickbooks.workers import WorkerSetup, post_until, read_after_barrier
from tests.support.connectors import sandbox_tenants
from tests.support.servers import RedisServer

SPAWN = multiprocessing.get_context("spawn")
TOKEN_PATH = "/oauth2/v1/tokens/bearer"


def prepare(sandbox: SandboxServer, redis_srv: RedisServer, tmp_path: Path, minute_seconds: float,
            local_expiry: timedelta | None = None) -> tuple[WorkerSetup, LedgerTokenStore]:
    """A ledger with the tenant's tokens (as `refundsync connect` leaves it) and a tenants file."""
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(ledger_url)
    key = Fernet.generate_key().decode()
    store = LedgerTokenStore(session_factory(ledger_url), key)
    issued = sandbox.admin.issue_tokens(QBO)
    tokens = TokenSet.from_response({"access_token": issued.access_token, "refresh_token": issued.refresh_token,
                                     "expires_in": issued.expires_in,
                                     "x_refresh_token_expires_in": issued.refresh_expires_in})
    if local_expiry is not None:
        tokens = replace(tokens, access_expires_at=datetime.now(UTC) + local_expiry)
    store.save(QBO, "quickbooks", tokens, expected_version=None)
    tenants_file = tmp_path / "tenants.yaml"
    sandbox_tenants(sandbox.base_url, tenants_file)
    setup = WorkerSetup(redis_srv.url, ledger_url, key, f"test-{uuid.uuid4().hex[:12]}", minute_seconds,
                        tenants_file)
    return setup, store


def run_processes(count: int, target: Any, *args: Any) -> list[tuple[int, str, Any]]:
    barrier = SPAWN.Barrier(count)
    results = SPAWN.Queue()
    procs = [SPAWN.Process(target=target, args=(args[0], barrier, results, i, *args[1:])) for i in range(count)]
    for proc in procs:
        proc.start()
    try:
        got = [results.get(timeout=180) for _ in procs]
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
    errors = [detail for _, status, detail in got if status != "ok"]
    assert not errors, "\n".join(errors)
    return sorted(got)


@pytest.mark.parametrize("noticed", ["stale_in_the_store", "refused_with_401"])
def test_eight_processes_refresh_an_expired_access_token_exactly_once(
        noticed: str, redis_srv: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_sandbox() as sandbox:  # Intuit's real lifetimes: access token 60 minutes
        # stale in the store: every worker sees it expired before calling; refused: the store still trusts
        # it (someone revoked or aged it at Intuit), so all eight get a 401 at the same moment
        local = timedelta(seconds=-1) if noticed == "stale_in_the_store" else timedelta(hours=1)
        setup, store = prepare(sandbox, redis_srv, tmp_path, 60.0, local_expiry=local)
        before = store.load(QBO)
        assert before is not None
        sandbox.admin.advance_clock(minutes=61)  # expired at Intuit as well
        start = sandbox.admin.last_request_seq()

        results = run_processes(8, read_after_barrier, setup)

        assert [detail for _, _, detail in results] == [["130"]] * 8  # all eight carried on
        log = sandbox.admin.requests(since=start)
        assert len([r for r in log if r["path"] == TOKEN_PATH]) == 1
        queries = [r["status"] for r in log if r["path"].endswith("/query")]
        assert queries.count(200) == 8
        refused = queries.count(401)
        if noticed == "refused_with_401":
            # the ones that read the store after the refresh was saved use the new token straight away
            assert 2 <= refused <= 8
        else:
            assert refused == 0
        with capsys.disabled():
            print(f"\n8 processes, token {noticed}: token endpoint calls 1, 401s {refused}, all 8 carried on")
        after = store.load(QBO)
        assert after is not None and after.version == before.version + 1 and after.state == "active"


def test_four_processes_use_the_realm_budget_without_a_single_429(redis_srv: RedisServer, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    minute = 3.0  # one provider minute = 3 s, in the sandbox and in the limiter alike
    windows = 6
    with running_sandbox(minute_seconds=minute) as sandbox:
        limits = sandbox.admin.company(QBO)["limits"]
        assert (limits["per_minute"], limits["concurrent"]) == (500, 10)
        # a little latency, so requests overlap in the sandbox and the 10-at-once limit is real; 4 threads
        # per process make 16 senders for 10 slots
        sandbox.admin.set_faults(QBO, latency_ms=15, latency_jitter_ms=10)
        setup, _ = prepare(sandbox, redis_srv, tmp_path, minute)
        start = sandbox.admin.last_request_seq()

        results = run_processes(4, post_until, setup, windows * minute, 4)

        log = [r for r in sandbox.admin.requests(since=start) if r["company"] == REALM]
    outcomes: dict[str, int] = {}
    for _, _, counts in results:
        for key, value in counts.items():
            outcomes[key] = outcomes.get(key, 0) + value
    throttled = [r for r in log if r["outcome"] == "throttled"]
    admitted = [r for r in log if r["admitted"]]
    per_window: dict[int, int] = {}
    for record in admitted:
        index = math.floor(float(record["admitted_at"]) / minute)
        per_window[index] = per_window.get(index, 0) + 1
    first, last = min(per_window), max(per_window)
    measured = [per_window.get(i, 0) for i in range(first + 1, last)]  # full windows only
    peak = _peak_concurrency(admitted)
    with capsys.disabled():
        print(f"\n4 processes x 4 threads, 500/min and 10 concurrent, 1 min = {minute:g} s: posted {outcomes}; "
              f"429s received: {len(throttled)}; requests per full window: {measured} "
              f"({', '.join(f'{100 * n / 500:.1f}%' for n in measured)}); "
              f"used overall {100 * sum(measured) / (500 * len(measured)):.1f}%; peak concurrency {peak}")
    assert throttled == []
    assert set(outcomes) == {"created"}
    assert len(measured) >= windows - 2
    assert max(measured) <= 500 and 5 <= peak <= 10
    assert sum(measured) >= 0.9 * 500 * len(measured)


def _peak_concurrency(records: list[dict[str, Any]]) -> int:
    """Most requests the sandbox was serving at once, from its own start/release times."""
    events = sorted([(r["served_started"], 1) for r in records] + [(r["released"], -1) for r in records],
                    key=lambda e: (e[0], e[1]))
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak
