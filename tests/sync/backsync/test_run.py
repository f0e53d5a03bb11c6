"""The back-sync run in process (real sandbox over HTTP, real Redis, real SQLite ledger): the cursor moves
only after a run is recorded, a failed run says why and keeps the cursor, one run at a time per tenant,
and a tenant that opted in gets a removed entry put back in line to post."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from connectors.sandbox.testing import SandboxServer
from sync.backsync.run import LOCK_KEY, BacksyncFailed, backsync_tenant
from sync.engine import pacing
from sync.engine.flush import EngineDeps, flush_tenant
from sync.engine.runtime import ClientCache
from sync.intake import receive
from sync.ledger.db import session_factory, upgrade
from sync.ledger.models import Attempt, BacksyncCursor, Posting, ReconciliationRun, utcnow
from tests.support.connectors import connect, make_runtime, sandbox_tenants
from tests.support.factories import make_case
from tests.support.servers import RedisServer

TENANT = "demo-qbo"


def _deps(url: str, tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer, auto_repost: bool = False
          ) -> EngineDeps:
    Redis.from_url(redis_srv.url).flushall()
    upgrade(url)  # already done for the ledger_url fixture; harmless again
    tenants = sandbox_tenants(sandbox.base_url, None,
                              **{TENANT: {"backsync": {"auto_repost_removed": auto_repost}}})
    runtime = make_runtime(redis_srv.url, tmp_path, minute_seconds=2)
    connect(runtime, sandbox, tenants.get(TENANT))
    return EngineDeps(sessions=session_factory(url), tenants=lambda: tenants, client_for=ClientCache(runtime).get,
                      redis=Redis.from_url(redis_srv.url), owner="test", clock=utcnow, lease_seconds=60.0)


def _post(deps: EngineDeps, count: int) -> list[Posting]:
    with deps.sessions() as session:
        for i in range(1, count + 1):
            receive(session, make_case(i, tenant=TENANT, prefix="BR-", payment=None, original_document=None))
    flush_tenant(deps, TENANT)
    with deps.sessions() as session:
        postings = list(session.scalars(select(Posting).order_by(Posting.case_id)))
        session.expunge_all()
    assert {p.state for p in postings} == {"posted"}
    return postings


def _cursor(deps: EngineDeps) -> str | None:
    with deps.sessions() as session:
        cursor = session.get(BacksyncCursor, TENANT)
        return cursor.cursor if cursor else None


def test_the_cursor_moves_only_after_a_recorded_run_and_a_failed_run_keeps_it(
        ledger_url: str, tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> None:
    deps = _deps(ledger_url, tmp_path, redis_srv, sandbox)
    _post(deps, 3)
    first = backsync_tenant(deps, TENANT)
    assert first.counts == {"confirmed": 3} and first.cursor_before is None
    cursor = _cursor(deps)
    assert cursor == first.cursor_after

    sandbox.admin.set_faults(TENANT, offline=True)
    with pytest.raises(BacksyncFailed) as failed:
        backsync_tenant(deps, TENANT)
    sandbox.admin.clear_faults(TENANT)
    assert "offline" in failed.value.reason.lower() or "unavailable" in failed.value.reason.lower()
    assert _cursor(deps) == cursor  # nothing recorded, nothing skipped
    with deps.sessions() as session:
        runs = list(session.scalars(select(ReconciliationRun).order_by(ReconciliationRun.id)))
    assert [(r.kind, r.outcome) for r in runs] == [("backsync", "ok"), ("backsync", "failed")]
    assert runs[1].error == failed.value.reason and runs[1].cursor_after is None
    assert json.loads(runs[0].counts) == {"confirmed": 3}

    again = backsync_tenant(deps, TENANT)
    assert again.error is None and again.cursor_before == cursor
    assert _cursor(deps) is not None and _cursor(deps) != cursor


def test_one_run_at_a_time_per_tenant(tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> None:
    deps = _deps(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, redis_srv, sandbox)
    _post(deps, 1)
    held = deps.redis.lock(LOCK_KEY.format(tenant=TENANT), timeout=30)
    assert held.acquire(blocking=False)
    try:
        result = backsync_tenant(deps, TENANT)
    finally:
        held.release()
    assert result.locked_out and result.run_id is None
    with deps.sessions() as session:
        assert session.scalars(select(Posting.state)).all() == ["posted"]  # nothing was checked
    assert backsync_tenant(deps, TENANT).counts == {"confirmed": 1}


@pytest.mark.parametrize("auto_repost", [False, True])
def test_a_removed_entry_is_reported_and_reposted_only_when_the_tenant_opted_in(
        ledger_url: str, tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer, auto_repost: bool) -> None:
    deps = _deps(ledger_url, tmp_path, redis_srv, sandbox, auto_repost=auto_repost)
    [posting] = _post(deps, 1)
    backsync_tenant(deps, TENANT)
    sandbox.admin.delete_document(TENANT, posting.document_type or "", posting.remote_id or "")
    seq = sandbox.admin.last_request_seq()
    result = backsync_tenant(deps, TENANT)
    # back-sync only reads the books, whatever it finds (a re-post goes through the engine later)
    requests = sandbox.admin.requests(company=TENANT, since=seq)
    assert requests and [r for r in requests if r["method"] != "GET" and not r["path"].endswith("/query")] == []
    assert result.counts == {"removed": 1}
    with deps.sessions() as session:
        after = session.get(Posting, posting.id)
        assert after is not None
        operations = [(a.operation, a.outcome) for a in session.scalars(
            select(Attempt).where(Attempt.posting_id == posting.id).order_by(Attempt.id))]
        if auto_repost:
            assert (after.state, after.generation, after.remote_id) == ("pending", 1, None)
            assert after.next_attempt_at is not None and after.next_attempt_at <= utcnow() + timedelta(seconds=1)
            # recorded as an operator's `repost` is: the engine gives the new document a tag of its own
            assert operations[-2:] == [("backsync", "removed"), ("operator", "repost")]
            assert result.reposted == [posting.id]
        else:
            assert (after.state, after.generation, after.remote_id) == ("removed", 0, posting.remote_id)
            assert operations[-1] == ("backsync", "removed") and result.reposted == []
    if auto_repost:
        # the engine posts it again under a tag of its own (the deleted one's may not be reusable), with a
        # fresh key, and the next back-sync confirms the new document
        time.sleep(pacing.remaining(deps.redis, TENANT))  # the first flush's partial batch set a pace
        assert flush_tenant(deps, TENANT).counts == {"created": 1}
        assert backsync_tenant(deps, TENANT).counts == {"confirmed": 1}
        with deps.sessions() as session:
            again = session.get(Posting, posting.id)
            assert again is not None and again.state == "confirmed"
            assert again.remote_id not in (None, posting.remote_id) and again.tag == f"{posting.tag}~g1"
        live = sandbox.admin.documents(TENANT, posting.document_type or "", origin="api")
        assert [d["body"]["DocNumber"] for d in live] == [f"{posting.tag}~g1"]


def test_a_posting_older_than_the_window_is_read_by_its_id(tmp_path: Path, redis_srv: RedisServer,
                                                           sandbox: SandboxServer) -> None:
    """Posted before the run's window (adopted late, say): the feed cannot show it, a read by id does."""
    deps = _deps(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, redis_srv, sandbox)
    postings = _post(deps, 2)
    sandbox.admin.delete_document(TENANT, postings[1].document_type or "", postings[1].remote_id or "")
    seq = sandbox.admin.last_request_seq()
    result = backsync_tenant(deps, TENANT, since=utcnow() + timedelta(minutes=1))
    assert result.counts == {"confirmed": 1, "missing": 1}
    reads = [r["path"] for r in sandbox.admin.requests(company=TENANT, since=seq) if r["method"] == "GET"]
    own = f"/{(postings[0].document_type or '').lower()}/{postings[0].remote_id}"
    assert any(r.endswith(own) for r in reads), reads
