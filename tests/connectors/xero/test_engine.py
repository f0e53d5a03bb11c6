"""The Xero client under the real posting engine (sync/engine/flush.py) and a real ledger: cases in, credit
notes, payments and allocations out, a lost response adopted by its tag and never posted twice."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import select

from sync.engine.flush import EngineDeps, flush_tenant
from sync.intake import store_case
from sync.ledger.db import session_factory
from sync.ledger.models import Attempt, Posting
from tests.connectors.xero.conftest import XeroEnv
from tests.connectors.xero.helpers import (
    XERO,
    customer_card_refund_eur,
    stored,
    vendor_cash_refund,
    vendor_credit_on_bill,
    writes,
)
from tests.support.connectors import sandbox_tenants


def test_the_engine_posts_every_document_once_even_when_an_answer_is_lost(env: XeroEnv, ledger_url: str,
                                                                        redis_url: str) -> None:
    sessions = session_factory(ledger_url)
    with sessions() as session:
        for case in (vendor_cash_refund(), vendor_credit_on_bill(), customer_card_refund_eur()):
            store_case(session, case)
    tenants = sandbox_tenants(env.sandbox.base_url)
    deps = EngineDeps(sessions=sessions, tenants=lambda: tenants, client_for=lambda _config: env.client,
                      redis=Redis.from_url(redis_url), owner="xero-test", clock=lambda: datetime.now(UTC))
    # Xero commits, the answer is lost: first the new contact (Émilie Dubois), then the credit notes
    env.sandbox.admin.set_faults(XERO, drop_next=2)

    report = flush_tenant(deps, XERO)
    while report.next_due is not None:  # as the task does: after a partial batch the next flush is a pace later
        time.sleep(max(0.0, (report.next_due - deps.clock()).total_seconds()))
        report = flush_tenant(deps, XERO)

    with sessions() as session:
        postings = session.scalars(select(Posting).order_by(Posting.created_at)).all()
        attempts = Counter((a.operation, a.outcome) for a in session.scalars(select(Attempt)))
    assert Counter((p.role, p.state) for p in postings) == {("credit", "posted"): 3, ("refund", "posted"): 2,
                                                            ("application", "posted"): 1}, report
    assert all(p.remote_id for p in postings)
    assert attempts[("create", "uncertain")] == 3 and attempts[("lookup", "adopted")] == 3
    # what Xero holds: each document exactly once, follow-ups attached to the adopted credit notes
    notes = list(stored(env.sandbox, "CreditNote"))
    assert sorted(n["Reference"] for n in notes) == ["RF-2026-000501", "RF-2026-000502", "RF-2026-000503"]
    assert {p.remote_id for p in postings if p.role == "credit"} == {n["CreditNoteID"] for n in notes}
    payments = list(stored(env.sandbox, "Payment"))
    assert sorted(p["Reference"] for p in payments) == ["RF-2026-000501~p", "RF-2026-000503~p"]
    allocation = next(p for p in postings if p.role == "application")
    allocation_credit = next(p.remote_id for p in postings if p.id == allocation.depends_on_id)
    assert allocation.remote_id is not None and len(allocation.remote_id) == 64
    assert env.client.get("Allocation", allocation.remote_id) is not None
    sent = [(r["method"], r["path"].split("/2.0/")[1], r["outcome"]) for r in writes(env.sandbox)]
    assert sent == [("PUT", "Contacts", "dropped"),  # create_party looked the contact up instead of re-sending
                    ("PUT", "CreditNotes", "dropped"),  # the engine looked the credit notes up: all adopted
                    ("PUT", "Payments", "ok"),
                    ("PUT", f"CreditNotes/{allocation_credit}/Allocations", "ok")]
    assert [c["Name"] for c in stored(env.sandbox, "Contact")].count("Émilie Dubois") == 1
