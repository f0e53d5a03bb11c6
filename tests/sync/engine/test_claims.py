"""Leases in the ledger (SQLite and PostgreSQL): due postings are claimed once; expired ones come back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from sync.engine.claims import claim, next_due_at, tenants_with_due
from sync.intake import receive
from sync.ledger.db import session_factory, session_scope
from sync.ledger.models import Posting, utcnow
from tests.support.factories import make_case


def _store(url: str, n: int, tenant: str = "demo-qbo") -> None:
    for i in range(1, n + 1):
        with session_scope(url) as s:
            receive(s, make_case(i, tenant=tenant, prefix=f"{tenant}-"))


def test_claims_do_not_overlap_and_expired_leases_come_back_for_lookup(ledger_url: str) -> None:
    _store(ledger_url, 5)
    sessions = session_factory(ledger_url)
    now = utcnow()
    with sessions() as s:
        first = claim(s, "demo-qbo", "w1", now=now, lease_seconds=60, limit=3)
    with sessions() as s:
        second = claim(s, "demo-qbo", "w2", now=now, lease_seconds=60, limit=3)
    with sessions() as s:
        third = claim(s, "demo-qbo", "w3", now=now, lease_seconds=60, limit=3)
    assert len(first) == 3 and len(second) == 2 and third == []
    assert not {c.posting_id for c in first} & {c.posting_id for c in second}
    assert not any(c.lookup_first for c in first + second)
    # the worker that held `first` died: after the lease its postings are due again, to be looked up first
    with sessions() as s:
        again = claim(s, "demo-qbo", "w4", now=now + timedelta(seconds=61), lease_seconds=60, limit=10)
    assert {c.posting_id for c in again} == {c.posting_id for c in first + second}
    assert all(c.lookup_first for c in again)


def test_retry_times_and_tenants_with_due_work(ledger_url: str) -> None:
    _store(ledger_url, 2, tenant="demo-qbo")
    _store(ledger_url, 1, tenant="demo-xero")
    now = utcnow()
    later = now + timedelta(seconds=30)
    with session_scope(ledger_url) as s:
        s.execute(update(Posting).where(Posting.tenant == "demo-qbo").values(next_attempt_at=later))
    with session_scope(ledger_url) as s:
        assert tenants_with_due(s, now) == ["demo-xero"]
        due = next_due_at(s, "demo-qbo", now)
        assert due is not None and abs((due - later).total_seconds()) < 1
        assert next_due_at(s, "demo-xero", now) == now
        assert claim(s, "demo-qbo", "w", now=now, lease_seconds=60, limit=10) == []
    with session_scope(ledger_url) as s:
        assert len(claim(s, "demo-qbo", "w", now=later, lease_seconds=60, limit=10)) == 2
        assert s.scalars(select(Posting.state).where(Posting.tenant == "demo-qbo")).all() == ["in_flight"] * 2
