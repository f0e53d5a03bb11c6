"""Amendments through the real flush (sync/engine/flush.py + amend.py), a real ledger (SQLite and PostgreSQL),
a real Redis and the sandbox over HTTP: revision 2 of a posted case changes, replaces or keeps the document
in the books, and the books always hold exactly one live document per party."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select

from connectors.limits import FleetLimiter
from connectors.protocol import TenantClient
from connectors.registry import ConnectorRuntime, build_client
from connectors.sandbox.server import SandboxServer
from connectors.sandbox.testing import running_sandbox
from mapping.placeholders import PARTY_ID, bind
from mapping.plan import plan_case
from sync.engine.claims import claim
from sync.engine.flush import EngineDeps, FlushReport, flush_tenant
from sync.intake import store_case
from sync.ledger.db import session_factory
from sync.ledger.models import Attempt, CaseRevision, Posting
from tests.mapping.helpers import make_case
from tests.support.connectors import connect, make_runtime, sandbox_tenants
from tests.support.servers import RedisServer

QBO, XERO = "demo-qbo", "demo-xero"


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    with running_sandbox() as server:
        yield server


@dataclasses.dataclass
class Books:
    """The engine and what it posts into: flush one tenant, read the ledger and the sandbox."""

    sandbox: SandboxServer
    deps: EngineDeps
    now: list[datetime]

    def client(self, tenant: str) -> TenantClient:
        return self.deps.client_for(self.deps.tenants().get(tenant))

    def store(self, **case: Any) -> None:
        with self.deps.sessions() as session:
            store_case(session, make_case(**case))

    def flush(self, tenant: str) -> FlushReport:
        report = flush_tenant(self.deps, tenant)
        self.now[0] += timedelta(minutes=5)  # whatever waits for a retry is due at the next flush
        return report

    def flush_one_round(self, tenant: str) -> FlushReport:
        """A flush that claims once and stops (its clock runs past the time budget after the first batch)."""
        ticks = [self.now[0]]

        def ticking() -> datetime:
            ticks[0] += timedelta(seconds=0.6)
            return ticks[0]

        report = flush_tenant(dataclasses.replace(self.deps, clock=ticking, time_budget_seconds=1.0), tenant)
        self.now[0] = ticks[0] + timedelta(minutes=5)
        return report

    def settle(self, tenant: str, rounds: int = 6) -> None:
        """Flush until nothing is due (follow-ups are created when their credit is posted)."""
        for _ in range(rounds):
            report = self.flush(tenant)
            if report.claimed == 0:
                return
        raise AssertionError("postings still due after several flushes")

    def postings(self, case_id: str) -> list[tuple[int, str, str, str | None, str | None]]:
        """(revision, role, state, remote id, reason) of every posting of the case, oldest first."""
        with self.deps.sessions() as session:
            rows = session.execute(
                select(CaseRevision.revision, Posting.role, Posting.state, Posting.remote_id, Posting.reason)
                .join(CaseRevision, Posting.case_revision_id == CaseRevision.id)
                .where(Posting.case_id == case_id).order_by(CaseRevision.revision, Posting.created_at)).all()
        order = {"credit": 0, "refund": 1, "application": 2}
        return sorted((tuple(r) for r in rows), key=lambda r: (r[0], order[r[1]]))  # type: ignore[misc]

    def posting(self, case_id: str, revision: int, role: str = "credit", party: str | None = None) -> Posting:
        with self.deps.sessions() as session:
            found = session.scalars(
                select(Posting).join(CaseRevision, Posting.case_revision_id == CaseRevision.id)
                .where(Posting.case_id == case_id, CaseRevision.revision == revision, Posting.role == role)).all()
            session.expunge_all()
        found = [p for p in found if party is None or p.party_name == party]
        assert len(found) == 1, found
        return found[0]

    def attempts(self, posting_id: str) -> list[tuple[str, str]]:
        with self.deps.sessions() as session:
            return [(a.operation, a.outcome) for a in session.scalars(
                select(Attempt).where(Attempt.posting_id == posting_id).order_by(Attempt.id))]

    def documents(self, tenant: str, entity: str, number_prefix: str) -> list[dict[str, Any]]:
        field = "DocNumber" if tenant == QBO else "CreditNoteNumber"
        if entity == "Payment" and tenant == XERO:
            field = "Reference"
        return [d["body"] for d in self.sandbox.admin.documents(tenant, entity, include_deleted=True)
                if str(d["body"].get(field, "")).startswith(number_prefix)]

    def provider_calls(self, tenant: str, since: int) -> list[tuple[str, str]]:
        provider = "quickbooks" if tenant == QBO else "xero"
        return [(r["method"], r["path"]) for r in self.sandbox.admin.requests(provider=provider, since=since)]


@pytest.fixture
def books(sandbox_server: SandboxServer, redis_srv: RedisServer, ledger_url: str, tmp_path: Path) -> Books:
    sandbox_server.admin.reset(reseed=True)
    Redis.from_url(redis_srv.url).flushdb()
    built = make_runtime(redis_srv.url, tmp_path)
    runtime: ConnectorRuntime = dataclasses.replace(
        built, limiter=FleetLimiter(Redis.from_url(redis_srv.url), prefix=f"amend-{uuid.uuid4().hex[:10]}"))
    tenants = sandbox_tenants(sandbox_server.base_url)
    clients = {}
    for name in (QBO, XERO):
        connect(runtime, sandbox_server, tenants.get(name))
        clients[name] = build_client(tenants.get(name), runtime)
    now = [datetime.now(UTC)]
    deps = EngineDeps(sessions=session_factory(ledger_url), tenants=lambda: tenants,
                      client_for=lambda config: clients[config.name], redis=Redis.from_url(redis_srv.url),
                      owner="amend-test", clock=lambda: now[0],
                      # No pacing: the test's clock jumps five minutes between flushes, while the pace is held in
                      # Redis in real time (sync/engine/pacing.py; its own tests cover it).
                      minute_seconds=0.0)
    return Books(sandbox_server, deps, now)


def _case(tenant: str, case_id: str, amount: str, revision: int = 1, **extra: Any) -> dict[str, Any]:
    return {"tenant": tenant, "case_id": case_id, "amount": amount, "revision": revision, "lines": None,
            "payment": None, "original_document": None, **extra}


# --- QuickBooks: always edited in place --------------------------------------------------------------------


def test_quickbooks_revision_two_updates_the_vendor_credit_in_place(books: Books) -> None:
    books.store(**_case(QBO, "RF-AM-Q1", "42.50"))
    books.settle(QBO)
    first = books.posting("RF-AM-Q1", 1)
    books.store(**_case(QBO, "RF-AM-Q1", "30.00", revision=2))
    books.settle(QBO)

    [credit] = books.documents(QBO, "VendorCredit", "RF-AM-Q1")
    assert (credit["Id"], credit["TotalAmt"], credit["SyncToken"], credit["DocNumber"]) == (
        first.remote_id, 30, "1", "RF-AM-Q1~r2")
    assert books.postings("RF-AM-Q1") == [
        (1, "credit", "superseded", first.remote_id, "amended in place by revision 2"),
        (2, "credit", "posted", first.remote_id, "amended in place from revision 1 (RF-AM-Q1 -> RF-AM-Q1~r2)")]
    second = books.posting("RF-AM-Q1", 2)
    assert second.remote_version == "1" and second.tag == "RF-AM-Q1~r2"
    assert books.attempts(second.id) == [("read", "read"), ("amend", "update"), ("update", "updated")]


def test_quickbooks_lost_answer_to_the_update_is_recognised_not_repeated(books: Books) -> None:
    books.store(**_case(QBO, "RF-AM-Q2", "42.50"))
    books.settle(QBO)
    books.store(**_case(QBO, "RF-AM-Q2", "30.00", revision=2))
    books.sandbox.admin.set_faults(QBO, drop_next=1)  # QuickBooks saves the update, the answer is lost
    start = books.sandbox.admin.last_request_seq()
    books.settle(QBO)

    [credit] = books.documents(QBO, "VendorCredit", "RF-AM-Q2")
    assert (credit["TotalAmt"], credit["SyncToken"]) == (30, "1")  # one update only
    updates = [c for c in books.provider_calls(QBO, start) if c[0] == "POST"]
    assert len(updates) == 1
    second = books.posting("RF-AM-Q2", 2)
    assert second.state == "posted" and second.remote_id == credit["Id"]
    assert books.attempts(second.id) == [("read", "read"), ("amend", "update"), ("update", "uncertain"),
                                         ("read", "updated")]


def test_quickbooks_credit_with_a_deposit_is_updated_and_its_deposit_replaced(books: Books) -> None:
    payment = {"method": "bank_transfer", "transaction_id": "PAY-1"}
    books.store(**_case(QBO, "RF-AM-Q3", "42.50", payment=payment))
    books.settle(QBO)
    old_deposit = books.posting("RF-AM-Q3", 1, "refund")
    books.store(**_case(QBO, "RF-AM-Q3", "40.00", revision=2, payment=payment))
    books.settle(QBO)

    [credit] = books.documents(QBO, "VendorCredit", "RF-AM-Q3")
    assert (credit["TotalAmt"], credit["DocNumber"]) == (40, "RF-AM-Q3~r2")
    live = [d for d in books.sandbox.admin.documents(QBO, "Deposit") if d["body"]["DocNumber"].startswith("RF-AM-Q3")]
    assert [(d["body"]["DocNumber"], d["body"]["TotalAmt"]) for d in live] == [("RF-AM-Q3~r2~p", 40)]
    assert "replaces RF-AM-Q3~p, voided; case RF-AM-Q3 revision 2" in live[0]["body"]["PrivateNote"]
    assert [(r, role, state) for r, role, state, _, _ in books.postings("RF-AM-Q3")] == [
        (1, "credit", "superseded"), (1, "refund", "voided"), (2, "credit", "posted"), (2, "refund", "posted")]
    assert books.attempts(old_deposit.id)[-1] == ("void", "deleted")


# --- Xero: edited while nothing is allocated or paid, else voided and reposted --------------------------------


def test_xero_unallocated_credit_note_is_updated_in_place(books: Books) -> None:
    books.store(**_case(XERO, "RF-AM-X1", "42.50"))
    books.settle(XERO)
    first = books.posting("RF-AM-X1", 1)
    books.store(**_case(XERO, "RF-AM-X1", "30.00", revision=2))
    books.settle(XERO)

    [note] = books.documents(XERO, "CreditNote", "RF-AM-X1")
    assert (note["CreditNoteID"], note["Total"], note["Status"], note["CreditNoteNumber"]) == (
        first.remote_id, 30, "AUTHORISED", "RF-AM-X1~r2")
    assert [s for _, _, s, _, _ in books.postings("RF-AM-X1")] == ["superseded", "posted"]


@pytest.mark.parametrize("settlement", ["allocation", "refund payment"])
def test_xero_settled_credit_note_is_voided_and_reposted_with_a_link(books: Books, settlement: str) -> None:
    extra: dict[str, Any] = ({"original_document": "BILL-1042"} if settlement == "allocation" else
                             {"payment": {"method": "bank_transfer", "transaction_id": "PAY-9"}})
    books.store(**_case(XERO, "RF-AM-X2", "42.50", **extra))
    books.settle(XERO)
    first = books.posting("RF-AM-X2", 1)
    books.store(**_case(XERO, "RF-AM-X2", "30.00", revision=2, **extra))
    books.settle(XERO)

    notes = {n["CreditNoteNumber"]: n for n in books.documents(XERO, "CreditNote", "RF-AM-X2")}
    assert {k: (n["Status"], n["Total"]) for k, n in notes.items()} == {
        "RF-AM-X2": ("VOIDED", Decimal("42.50")), "RF-AM-X2~r2": ("PAID", 30)}  # settled in full by its follow-up
    assert notes["RF-AM-X2"]["CreditNoteID"] == first.remote_id
    assert notes["RF-AM-X2~r2"]["LineItems"][0]["Description"].endswith(
        "replaces RF-AM-X2, voided; case RF-AM-X2 revision 2")
    live = [n for n in notes.values() if n["Status"] not in ("VOIDED", "DELETED")]
    assert len(live) == 1
    follow = "application" if settlement == "allocation" else "refund"
    assert [(r, role, state) for r, role, state, _, _ in books.postings("RF-AM-X2")] == [
        (1, "credit", "voided"), (1, follow, "voided"), (2, "credit", "posted"), (2, follow, "posted")]
    if settlement == "refund payment":
        payments = {p["Reference"]: p["Status"] for p in books.documents(XERO, "Payment", "RF-AM-X2")}
        assert payments == {"RF-AM-X2~p": "DELETED", "RF-AM-X2~r2~p": "AUTHORISED"}
    else:
        assert notes["RF-AM-X2~r2"]["RemainingCredit"] == 0  # the new allocation applied it in full


def test_xero_replacement_survives_lost_answers_to_both_voids(books: Books) -> None:
    extra = {"original_document": "BILL-1042"}
    books.store(**_case(XERO, "RF-AM-X3", "42.50", **extra))
    books.settle(XERO)
    books.store(**_case(XERO, "RF-AM-X3", "30.00", revision=2, **extra))
    books.sandbox.admin.set_faults(XERO, drop_next=2)  # the allocation delete and the void: saved, answers lost
    start = books.sandbox.admin.last_request_seq()
    books.settle(XERO)

    writes = [(m, p.split("/2.0/")[1]) for m, p in books.provider_calls(XERO, start) if m in ("PUT", "POST", "DELETE")]
    old = books.posting("RF-AM-X3", 1)
    assert [m for m, _ in writes] == ["DELETE", "POST", "PUT", "PUT"]  # each void once, then the new note and
    assert writes[1][1] == f"CreditNotes/{old.remote_id}"  # its allocation
    notes = {n["CreditNoteNumber"]: n["Status"] for n in books.documents(XERO, "CreditNote", "RF-AM-X3")}
    assert notes == {"RF-AM-X3": "VOIDED", "RF-AM-X3~r2": "PAID"}
    new = books.posting("RF-AM-X3", 2)
    allocation = books.posting("RF-AM-X3", 1, "application")
    # the decision is taken once; every later round re-reads the books before acting
    assert books.attempts(new.id) == [("read", "read"), ("amend", "replace"), ("read", "read"), ("read", "read"),
                                      ("create", "created")]
    assert books.attempts(allocation.id) == [("create", "created"), ("void", "uncertain"), ("void", "deleted")]
    assert books.attempts(old.id) == [("create", "created"), ("void", "uncertain")]  # then found voided: no call
    assert [s for _, _, s, _, _ in books.postings("RF-AM-X3")] == ["voided", "voided", "posted", "posted"]


# --- both providers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tenant", [QBO, XERO])
def test_identical_revision_two_makes_no_call(books: Books, tenant: str) -> None:
    payment = {"method": "bank_transfer", "transaction_id": "PAY-2"}
    books.store(**_case(tenant, "RF-AM-S1", "42.50", payment=payment))
    books.settle(tenant)
    first = books.posting("RF-AM-S1", 1)
    start = books.sandbox.admin.last_request_seq()
    books.store(**_case(tenant, "RF-AM-S1", "42.50", revision=2, payment=payment,
                        closed_at="2026-11-22T10:00:00Z"))
    books.settle(tenant)

    assert books.provider_calls(tenant, start) == []
    assert [(r, role, state) for r, role, state, _, _ in books.postings("RF-AM-S1")] == [
        (1, "credit", "superseded"), (1, "refund", "superseded"), (2, "credit", "posted"), (2, "refund", "posted")]
    second = books.posting("RF-AM-S1", 2)
    assert (second.remote_id, second.tag) == (first.remote_id, first.tag)
    assert books.attempts(second.id) == [("amend", "adopted")]


@pytest.mark.parametrize("tenant", [QBO, XERO])
def test_a_party_dropped_from_revision_two_has_its_document_voided(books: Books, tenant: str) -> None:
    def lines(*names: str) -> list[dict[str, Any]]:
        return [{"description": f"part for {n}", "amount": "10.00", "party": {"name": n, "external_id": None},
                 "account": None} for n in names]

    books.store(**_case(tenant, "RF-AM-P1", "20.00", lines=lines("Nordic Paper AB", "Shenzhen Lianhua Trading Co.")))
    books.settle(tenant)
    dropped = books.posting("RF-AM-P1", 1, party="Nordic Paper AB")
    books.store(**_case(tenant, "RF-AM-P1", "10.00", revision=2, lines=lines("Shenzhen Lianhua Trading Co.")))
    books.settle(tenant)

    entity = "VendorCredit" if tenant == QBO else "CreditNote"
    live = [d["body"] for d in books.sandbox.admin.documents(tenant, entity)
            if str(d["body"].get("DocNumber") or d["body"].get("CreditNoteNumber", "")).startswith("RF-AM-P1")
            and d["body"].get("Status", "AUTHORISED") not in ("VOIDED", "DELETED")]
    assert len(live) == 1 and dropped.remote_id not in {d.get("Id") or d.get("CreditNoteID") for d in live}
    with books.deps.sessions() as session:
        voided = session.get(Posting, dropped.id)
        assert voided is not None and voided.state == "voided"
        assert voided.reason is not None and "no longer in revision 2" in voided.reason


def test_an_older_revision_with_an_unknown_outcome_is_looked_up_not_sent_and_then_amended(books: Books) -> None:
    books.store(**_case(QBO, "RF-AM-U1", "42.50"))
    books.sandbox.admin.set_faults(QBO, drop_next=1)  # revision 1 is saved, its answer lost: outcome unknown
    assert books.flush_one_round(QBO).claimed == 1
    assert [s for _, _, s, _, _ in books.postings("RF-AM-U1")] == ["unknown"]
    books.store(**_case(QBO, "RF-AM-U1", "30.00", revision=2))  # arrives before the look-up
    start = books.sandbox.admin.last_request_seq()
    books.settle(QBO)

    [credit] = books.documents(QBO, "VendorCredit", "RF-AM-U1")  # never sent twice, never posted anew
    assert (credit["TotalAmt"], credit["DocNumber"], credit["SyncToken"]) == (30, "RF-AM-U1~r2", "1")
    assert [c[0] for c in books.provider_calls(QBO, start) if c[0] == "POST" and "query" not in c[1]] == ["POST"]
    old = books.posting("RF-AM-U1", 1)
    assert books.attempts(old.id) == [("create", "uncertain"), ("lookup", "adopted")]
    assert [s for _, _, s, _, _ in books.postings("RF-AM-U1")] == ["superseded", "posted"]


def test_an_older_revision_never_sent_is_superseded_without_a_call(books: Books) -> None:
    books.store(**_case(XERO, "RF-AM-U2", "42.50"))
    books.store(**_case(XERO, "RF-AM-U2", "30.00", revision=2))
    start = books.sandbox.admin.last_request_seq()
    books.settle(XERO)

    notes = books.documents(XERO, "CreditNote", "RF-AM-U2")
    assert [(n["CreditNoteNumber"], n["Total"]) for n in notes] == [("RF-AM-U2~r2", 30)]
    writes = [w for w in books.provider_calls(XERO, start) if w[0] in ("PUT", "POST")]
    assert writes == [("PUT", "/api.xro/2.0/CreditNotes")]
    assert [s for _, _, s, _, _ in books.postings("RF-AM-U2")] == ["superseded", "posted"]


def test_quickbooks_refund_receipt_that_becomes_a_credit_memo_is_replaced(books: Books) -> None:
    customer = {"kind": "customer_refund", "party": {"name": "Northwind Retail Inc.", "external_id": None}}
    books.store(**_case(QBO, "RF-AM-Q4", "45.00", payment={"method": "card", "transaction_id": "CH-1"}, **customer))
    books.settle(QBO)
    receipt = books.posting("RF-AM-Q4", 1)
    books.store(**_case(QBO, "RF-AM-Q4", "45.00", revision=2, **customer))  # store credit instead of cash
    books.settle(QBO)

    assert [d["body"]["DocNumber"] for d in books.sandbox.admin.documents(QBO, "RefundReceipt")
            if d["body"]["DocNumber"].startswith("RF-AM-Q4")] == []  # QuickBooks has no void for it: deleted
    assert len(books.documents(QBO, "RefundReceipt", "RF-AM-Q4")) == 1  # (kept in the sandbox's deleted list)
    [memo] = books.documents(QBO, "CreditMemo", "RF-AM-Q4")
    assert (memo["DocNumber"], memo["TotalAmt"]) == ("RF-AM-Q4~r2", 45)
    assert memo["PrivateNote"].endswith("replaces RF-AM-Q4, voided; case RF-AM-Q4 revision 2")
    assert books.attempts(receipt.id) == [("create", "created"), ("void", "deleted")]
    assert [(role, s) for _, role, s, _, _ in books.postings("RF-AM-Q4")] == [
        ("credit", "voided"), ("credit", "posted")]


# --- a worker killed mid-way: its lease expires, the next one re-examines the books before acting -------------


def _dead_worker_claims(books: Books, tenant: str) -> None:
    """What a worker killed with SIGKILL leaves behind: its claim, in flight, with a lease that then runs out."""
    with books.deps.sessions() as session:
        assert claim(session, tenant, "killed-worker", now=books.now[0], lease_seconds=60, limit=50)
    books.now[0] += timedelta(minutes=2)


def _revision_payload(books: Books, tenant: str, case: dict[str, Any]) -> dict[str, Any]:
    config = books.deps.tenants().get(tenant)
    plan = plan_case(make_case(**case), config)
    credit = plan.documents[0]
    party = books.deps.parties.resolve(books.client(tenant), plan.parties[0], "QuickBooks")
    payload: dict[str, Any] = bind(credit.payload, {PARTY_ID: party.id})
    return payload


def test_an_update_made_by_a_killed_worker_is_found_by_reading_and_not_repeated(books: Books) -> None:
    books.store(**_case(QBO, "RF-AM-K1", "42.50"))
    books.settle(QBO)
    first = books.posting("RF-AM-K1", 1)
    rev2 = _case(QBO, "RF-AM-K1", "30.00", revision=2)
    books.store(**rev2)
    _dead_worker_claims(books, QBO)
    # the killed worker had sent the update, QuickBooks saved it; nothing reached the ledger
    books.client(QBO).update("VendorCredit", first.remote_id or "", first.remote_version,
                             _revision_payload(books, QBO, rev2))
    start = books.sandbox.admin.last_request_seq()
    books.settle(QBO)

    [credit] = books.documents(QBO, "VendorCredit", "RF-AM-K1")
    assert (credit["TotalAmt"], credit["SyncToken"]) == (30, "1")
    assert [c for c in books.provider_calls(QBO, start) if c[0] == "POST" and "query" not in c[1]] == []
    second = books.posting("RF-AM-K1", 2)
    assert (second.state, second.remote_id, second.remote_version) == ("posted", first.remote_id, "1")
    assert books.attempts(second.id) == [("read", "updated")]
    assert [s for _, _, s, _, _ in books.postings("RF-AM-K1")] == ["superseded", "posted"]


def test_voids_made_by_a_killed_worker_are_not_repeated(books: Books) -> None:
    extra = {"original_document": "BILL-1042"}
    books.store(**_case(XERO, "RF-AM-K2", "42.50", **extra))
    books.settle(XERO)
    credit, allocation = books.posting("RF-AM-K2", 1), books.posting("RF-AM-K2", 1, "application")
    books.store(**_case(XERO, "RF-AM-K2", "30.00", revision=2, **extra))
    _dead_worker_claims(books, XERO)
    # the killed worker had removed the allocation and voided the credit note; nothing reached the ledger
    client = books.client(XERO)
    client.void("Allocation", allocation.remote_id or "")
    client.void("CreditNote", credit.remote_id or "")
    start = books.sandbox.admin.last_request_seq()
    books.settle(XERO)

    writes = [(m, p.split("/2.0/")[1]) for m, p in books.provider_calls(XERO, start) if m in ("PUT", "POST", "DELETE")]
    assert [m for m, _ in writes] == ["PUT", "PUT"]  # only the new credit note and its allocation
    notes = {n["CreditNoteNumber"]: n["Status"] for n in books.documents(XERO, "CreditNote", "RF-AM-K2")}
    assert notes == {"RF-AM-K2": "VOIDED", "RF-AM-K2~r2": "PAID"}
    assert [s for _, _, s, _, _ in books.postings("RF-AM-K2")] == ["voided", "voided", "posted", "posted"]
    assert books.attempts(allocation.id) == [("create", "created"), ("void", "deleted")]  # read, not re-sent


def test_quickbooks_credit_applied_to_a_bill_is_updated_and_applied_again_for_the_new_amount(books: Books) -> None:
    extra = {"original_document": "BILL-1043", "party": {"name": "深圳市联华贸易有限公司", "external_id": None},
             "reason_code": "PRICE_ADJUSTMENT"}
    books.store(**_case(QBO, "RF-AM-Q5", "310.25", **extra))
    books.settle(QBO)
    old_payment = books.posting("RF-AM-Q5", 1, "application")
    bill = books.client(QBO).outstanding("Bill", "DocNumber", "BILL-1043")
    assert bill is not None and bill.balance == Decimal("8489.75")
    books.store(**_case(QBO, "RF-AM-Q5", "300.00", revision=2, **extra))
    books.settle(QBO)

    [credit] = books.documents(QBO, "VendorCredit", "RF-AM-Q5")
    assert (credit["TotalAmt"], credit["SyncToken"], credit["Balance"]) == (300, "1", 0)
    payments = {p["DocNumber"]: p for p in books.documents(QBO, "BillPayment", "RF-AM-Q5")}
    assert sorted(payments) == ["RF-AM-Q5~a", "RF-AM-Q5~r2~a"]
    assert "Voided" in payments["RF-AM-Q5~a"].get("PrivateNote", "")
    assert payments["RF-AM-Q5~r2~a"]["Line"][0]["Amount"] == 300
    bill = books.client(QBO).outstanding("Bill", "DocNumber", "BILL-1043")
    assert bill is not None and bill.balance == Decimal("8500.00")  # the bill owes what revision 2 says
    assert books.attempts(old_payment.id) == [("create", "created"), ("void", "voided")]
    assert [(role, s) for _, role, s, _, _ in books.postings("RF-AM-Q5")] == [
        ("credit", "superseded"), ("application", "voided"), ("credit", "posted"), ("application", "posted")]
