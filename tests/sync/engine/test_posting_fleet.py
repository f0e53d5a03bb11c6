"""The posting engine at scale: 1,000 cases across two QuickBooks and two Xero companies, through the real
pipeline (`refundsync enqueue` -> Redis -> a real worker -> the sandbox over HTTP), with faults, and with
the worker killed mid-batch. What a bookkeeper would check: one document in the books per posting, found
by its tag, none missing, none twice.

Time compression: a provider "minute" lasts 2 s (sandbox and REFUNDSYNC_LIMIT_MINUTE_SECONDS), so the
real per-company limits (Xero 60 calls/min, QBO 500/min and 40 batches/min) apply at 30x speed.
Leases: REFUNDSYNC_TASK_TIME_LIMIT=20 and REFUNDSYNC_LEASE_SECONDS=25 (the default would be 80 s), with
REFUNDSYNC_VISIBILITY_TIMEOUT=30, so a killed worker's claims expire and its unacknowledged flush comes
back within about half a minute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from redis import Redis
from sqlalchemy import func, select

from config.tenants import load_tenants
from connectors.sandbox.testing import SandboxServer, running_sandbox
from mapping.case import RefundCase
from mapping.plan import plan_case
from sync.ledger.db import session_factory, session_scope, upgrade
from sync.ledger.models import Attempt, Posting
from sync.ledger.token_store import LedgerTokenStore
from tests.support.factories import make_case, write_csv
from tests.support.fleet import FLEET, books_by_tag, connect_fleet, fleet_seeds, fleet_tenants, tag_field
from tests.support.processes import WorkerProcess, refundsync_env, run_cli, wait_until
from tests.support.servers import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.scale]

TENANTS = sorted(FLEET)
PARTIES = {"Contact", "Vendor", "Customer"}  # created on the way, not postings


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox(seeds=fleet_seeds(), minute_seconds=2) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> dict[str, str]:
    Redis.from_url(redis_srv.url).flushall()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    key = Fernet.generate_key().decode()
    tenants = fleet_tenants(sandbox.base_url, tmp_path / "tenants.yaml")
    connect_fleet(sandbox, LedgerTokenStore(session_factory(url), key))
    return refundsync_env(broker_url=redis_srv.url, database_url=url, tenants_file=tenants, token_key=key,
                          xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret",
                          quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret",
                          task_time_limit=20, lease_seconds=25, visibility_timeout=30, max_retry_countdown=20,
                          limit_minute_seconds=2, log_level="WARNING")


def _fleet_cases(n: int, prefix: str) -> list[dict[str, Any]]:
    """``n`` cases dealt round-robin to the four tenants (both kinds, every payment method)."""
    return [make_case(i, tenant=TENANTS[i % len(TENANTS)], prefix=prefix) for i in range(1, n + 1)]


def _expected_postings(cases: list[dict[str, Any]], tenants_file: str) -> Counter[str]:
    """Per tenant, how many documents the cases map to (credits and their follow-ups): what must be posted."""
    tenants = load_tenants(Path(tenants_file))
    expected: Counter[str] = Counter()
    for case in cases:
        expected[case["tenant"]] += len(plan_case(RefundCase.model_validate(case), tenants.get(case["tenant"]))
                                        .documents)
    return expected


def _states(url: str) -> Counter[str]:
    with session_scope(url) as s:
        return Counter(dict(s.execute(select(Posting.state, func.count()).group_by(Posting.state)).all()))


def _posted_per_tenant(url: str) -> Counter[str]:
    with session_scope(url) as s:
        return Counter(dict(s.execute(select(Posting.tenant, func.count()).where(Posting.state == "posted")
                                      .group_by(Posting.tenant)).all()))


def _all_posted(url: str, expected: Counter[str]) -> bool:
    return _posted_per_tenant(url) == expected and set(_states(url)) == {"posted"}


def _run(env: dict[str, str], tmp_path: Path, cases: list[dict[str, Any]], timeout: float) -> Counter[str]:
    """Enqueue the cases with the CLI while a worker runs; return the expected postings once all are posted."""
    url = env["REFUNDSYNC_DATABASE_URL"]
    expected = _expected_postings(cases, env["REFUNDSYNC_TENANTS_FILE"])
    path = write_csv(tmp_path / "cases.csv", cases)
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "2")
    try:
        worker.wait_ready()
        result = run_cli(["enqueue", str(path), "--quiet"], env)
        assert result.returncode == 0, result.stderr
        wait_until(lambda: _all_posted(url, expected), timeout=timeout, interval=0.5,
                   what=f"every posting posted ({sum(expected.values())} expected)")
    finally:
        worker.stop()
    return expected


def _assert_one_document_per_posting(sandbox: SandboxServer, url: str, expected: Counter[str]) -> None:
    """Per tenant: the books hold exactly the postings' documents; each posting's remote id is a distinct
    document of its type bearing its tag; no tag appears twice; nothing is missing."""
    with session_scope(url) as s:
        postings = s.execute(select(Posting.tenant, Posting.document_type, Posting.remote_id, Posting.tag)).all()
    assert Counter(p.tenant for p in postings) == expected
    for tenant in TENANTS:
        mine = [p for p in postings if p.tenant == tenant]
        entities = {str(p.document_type) for p in mine}
        documents = {(d["entity"], str(d["id"])): d for entity in entities
                     for d in sandbox.admin.documents(tenant, entity=entity, origin="api")}
        assert len(documents) == len(mine), (tenant, len(documents), len(mine))
        field = tag_field(FLEET[tenant])
        remote = {(str(p.document_type), str(p.remote_id)) for p in mine}
        assert remote == set(documents), tenant  # distinct ids, all in the books, nothing else there
        for p in mine:
            assert documents[(str(p.document_type), str(p.remote_id))]["body"].get(field) == p.tag, (tenant, p)
        for entity, tags in books_by_tag(sandbox, tenant, entities).items():
            assert all(n == 1 for n in tags.values()), (tenant, entity, tags.most_common(3))
            assert set(tags) == {p.tag for p in mine if p.document_type == entity}, (tenant, entity)


def test_a_thousand_cases_across_four_tenants_are_each_posted_once(env: dict[str, str], sandbox: SandboxServer,
                                                                   tmp_path: Path) -> None:
    cases = _fleet_cases(1000, "RFS-")
    expected = _run(env, tmp_path, cases, timeout=150)
    assert set(expected) == set(TENANTS) and sum(expected.values()) > 1000  # credits plus their follow-ups
    _assert_one_document_per_posting(sandbox, env["REFUNDSYNC_DATABASE_URL"], expected)
    # posted in batches, not one call per document (how full they are depends on how fast intake runs on a
    # busy machine; bench/throughput.py measures that)
    writes = [r for r in sandbox.admin.requests() if r["method"] in ("POST", "PUT") and r.get("written")]
    assert len(writes) < sum(expected.values()) / 3, len(writes)


def test_faults_at_scale_never_duplicate_nor_lose_a_document(env: dict[str, str], sandbox: SandboxServer,
                                                             tmp_path: Path) -> None:
    """Every company drops 10% of responses after committing, answers 5% with 500/503, and opens with a
    forced 429 burst."""
    for seed, tenant in enumerate(TENANTS, start=21):
        sandbox.admin.set_faults(tenant, drop_rate=0.10, error_rate=0.05, throttle_next=3, seed=seed)
    try:
        expected = _run(env, tmp_path, _fleet_cases(1000, "RFX-"), timeout=240)
    finally:
        for tenant in TENANTS:
            sandbox.admin.clear_faults(tenant)
    outcomes = Counter(r.get("outcome") for r in sandbox.admin.requests())
    # the faults really happened (otherwise the test proves nothing)
    assert outcomes["dropped"] >= 2 and outcomes["injected_error"] >= 2 and outcomes["throttled"] >= 3, outcomes
    url = env["REFUNDSYNC_DATABASE_URL"]
    _assert_one_document_per_posting(sandbox, url, expected)
    with session_scope(url) as s:
        adopted = s.scalar(select(func.count()).select_from(Attempt).where(Attempt.operation == "lookup",
                                                                            Attempt.outcome == "adopted"))
    assert adopted, "no lost response was resolved by a lookup: the drops did not reach the engine"


def test_worker_killed_mid_batch_then_restarted_posts_each_document_once(
        env: dict[str, str], sandbox: SandboxServer, tmp_path: Path) -> None:
    """kill -9 of the worker's process group while postings are in flight and the books hold some (at least
    a tenth) but not all documents; a new worker takes over once the leases expire (25 s) and the killed flush message
    comes back (visibility timeout 30 s)."""
    url = env["REFUNDSYNC_DATABASE_URL"]
    cases = _fleet_cases(600, "RFK-")
    expected = _expected_postings(cases, env["REFUNDSYNC_TENANTS_FILE"])
    total = sum(expected.values())
    # A little latency so that requests are on the wire when the kill lands.
    for tenant in TENANTS:
        sandbox.admin.set_faults(tenant, latency_ms=150, latency_jitter_ms=100)

    written = {"seq": sandbox.admin.last_request_seq(), "count": 0}

    def created() -> int:
        """Documents the sandbox has committed so far (read from its request log, finished requests only)."""
        for r in sandbox.admin.requests(since=written["seq"]):
            if r["outcome"] == "pending":
                break  # its documents are not known yet: read it again next time
            written["seq"] = r["seq"]
            if r["provider"] in ("quickbooks", "xero"):
                written["count"] += sum(1 for w in r.get("written") or [] if w["entity"] not in PARTIES)
        return written["count"]

    def mid_batch() -> bool:
        return total // 10 < created() < total and _states(url).get("in_flight", 0) > 0

    path = write_csv(tmp_path / "cases.csv", cases)
    first = WorkerProcess(env, tmp_path / "worker-1.log", "--concurrency", "2")
    try:
        first.wait_ready()
        assert run_cli(["enqueue", str(path), "--quiet"], env).returncode == 0
        wait_until(mid_batch, timeout=60, interval=0.05, what="postings in flight, some documents created")
    finally:
        first.kill9()
    at_kill = _states(url)
    assert at_kill.get("in_flight", 0) > 0 and sum(_posted_per_tenant(url).values()) < total, at_kill
    for tenant in TENANTS:
        sandbox.admin.clear_faults(tenant)

    second = WorkerProcess(env, tmp_path / "worker-2.log", "--concurrency", "2")
    try:
        second.wait_ready()
        wait_until(lambda: _all_posted(url, expected), timeout=120, interval=0.5,
                   what=f"every posting posted after the restart ({total} expected)")
    finally:
        second.stop()
    _assert_one_document_per_posting(sandbox, url, expected)
    with session_scope(url) as s:
        looked_up = s.scalar(select(func.count()).select_from(Attempt).where(Attempt.operation == "lookup"))
    assert looked_up, "no posting left in flight by the killed worker was looked up before being re-sent"
