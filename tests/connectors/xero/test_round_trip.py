"""Every document the mapping produces for demo-xero, against the sandbox: post, find by tag, read the
change feed, void. Payloads come from ``plan_case`` on realistic cases, bound with the ids Xero gave."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.errors import Action
from connectors.protocol import CREDIT_LOOKUP, CallFailed, RemoteStatus
from tests.connectors.xero.conftest import MakeEnv, XeroEnv
from tests.connectors.xero.helpers import (
    BILL_1042,
    INV_2001,
    Poster,
    credits_of,
    customer_card_refund_eur,
    customer_credit_on_invoice,
    follow_ups_of,
    plans,
    stored,
    vendor_cash_refund,
    vendor_credit_on_bill,
    vendor_multi_jpy,
    writes,
    xero_case,
)


def test_every_document_type_posts_is_found_shows_in_the_feed_and_voids(env: XeroEnv) -> None:
    client, sandbox = env.client, env.sandbox
    since = datetime.now(UTC) - timedelta(seconds=1)
    cases = [vendor_cash_refund(), vendor_credit_on_bill(), customer_card_refund_eur(), customer_credit_on_invoice(),
             vendor_multi_jpy()]
    planned = plans(env.tenant, cases)
    poster = Poster(client)

    # 1. the credit notes of all five cases: ACCPAYCREDIT and ACCRECCREDIT together, one PUT
    first_write = sandbox.admin.last_request_seq()
    credits = credits_of(planned)
    outcomes = poster.post(credits)
    assert all(o.ok for o in outcomes), [o.classification for o in outcomes]
    puts = [r for r in writes(sandbox, first_write) if r["path"].endswith("/CreditNotes")]
    assert len(puts) == 1 and "summarizeErrors=false" in puts[0]["query"] and len(puts[0]["written"]) == 6
    by_tag = {}
    for (_plan, doc), outcome in zip(credits, outcomes, strict=True):
        created = outcome.created
        assert created is not None
        assert (created.type, created.amount, created.currency) == ("CreditNote", doc.amount, doc.currency)
        assert created.number == created.reference == doc.tag and created.status is RemoteStatus.ACTIVE
        by_tag[doc.tag] = created
    notes = {n["CreditNoteID"]: n for n in stored(sandbox, "CreditNote")}
    assert {n["Type"] for n in notes.values()} == {"ACCPAYCREDIT", "ACCRECCREDIT"}
    eur = notes[by_tag["RF-2026-000503"].remote_id]
    assert (eur["CurrencyCode"], eur["CurrencyRate"], eur["LineItems"][0]["TaxType"]) == (
        "EUR", Decimal("0.923191"), "OUTPUT2")  # the sandbox keeps 6 places of the rate we sent
    assert eur["LineItems"][0]["Tracking"][0]["Option"] == "Europe"
    assert eur["TotalTax"] == Decimal("10.82") and eur["Total"] == Decimal("64.90")
    shipping = notes[by_tag["RF-2026-000501"].remote_id]["LineItems"][1]
    assert (shipping["AccountCode"], shipping["LineAmount"]) == ("425", Decimal("20.00"))
    new_contacts = [c["Name"] for c in stored(sandbox, "Contact") if c.get("ContactNumber")]
    assert sorted(new_contacts) == ["Émilie Dubois", "株式会社　山田陶器"]

    # 2. the follow-ups: two payments in one PUT, one allocation request per credit note
    first_follow = sandbox.admin.last_request_seq()
    follow = follow_ups_of(planned)
    assert sorted(d.type for _, d in follow) == ["Allocation", "Allocation", "Payment", "Payment"]
    done = poster.post(follow)
    assert all(o.ok for o in done), [o.classification for o in done]
    paths = sorted(r["path"].split("/2.0/")[1] for r in writes(sandbox, first_follow))
    assert paths == sorted([f"CreditNotes/{poster.credit_ids[('RF-2026-000502', planned[1].documents[0].party_key)]}"
                            "/Allocations",
                            f"CreditNotes/{poster.credit_ids[('RF-2026-000504', planned[3].documents[0].party_key)]}"
                            "/Allocations", "Payments"])
    follow_docs = {d.tag or f"{p.case_id}:allocation": o.created for (p, d), o in zip(follow, done, strict=True)}
    bill = next(i for i in stored(sandbox, "Invoice") if i["InvoiceID"] == BILL_1042)
    invoice = next(i for i in stored(sandbox, "Invoice") if i["InvoiceID"] == INV_2001)
    assert (bill["AmountDue"], invoice["AmountDue"]) == (Decimal("1080.00"), Decimal("442.13"))
    refunded = client.get("CreditNote", by_tag["RF-2026-000501"].remote_id)
    assert refunded is not None and refunded.remaining == Decimal("0.00")

    # 3. find every document again by its tag (allocations through their credit note)
    for tag, created in by_tag.items():
        assert [d.remote_id for d in client.find_by_tag("CreditNote", "Reference", tag)] == [created.remote_id]
    for tag in ("RF-2026-000501~p", "RF-2026-000503~p"):
        found = client.find_by_tag("Payment", "Reference", tag)
        assert [d.remote_id for d in found] == [follow_docs[tag].remote_id]  # type: ignore[union-attr]
    for case_id in ("RF-2026-000502", "RF-2026-000504"):
        allocation = follow_docs[f"{case_id}:allocation"]
        assert allocation is not None
        found = client.find_by_tag("Allocation", CREDIT_LOOKUP, by_tag[case_id].remote_id)
        assert [(d.remote_id, d.amount, d.status) for d in found] == [
            (allocation.remote_id, allocation.amount, RemoteStatus.ACTIVE)]
        assert client.get("Allocation", allocation.remote_id) == found[0]
    assert client.find_by_tag("CreditNote", "Reference", "RF-2026-999999") == []

    # 4. the change feed has exactly what we wrote (the seed is older), each document once per kind
    feed = list(client.changes(["CreditNote", "Payment", "Allocation"], since))
    seen = {(c.document.type, c.document.remote_id) for c in feed}
    expected = ({("CreditNote", d.remote_id) for d in by_tag.values()}
                | {(d.type, d.remote_id) for d in follow_docs.values() if d is not None})
    assert seen == expected and len(feed) == len(expected)
    assert all(c.changed_at is not None and c.changed_at >= since.replace(microsecond=0) for c in feed)

    # 5. void: a credit with an allocation is refused (permanent, says what to do) ...
    allocated_credit = by_tag["RF-2026-000502"].remote_id
    with pytest.raises(CallFailed) as refused:
        client.void("CreditNote", allocated_credit)
    assert refused.value.classification.action is Action.PERMANENT
    assert "delete its allocation first" in refused.value.classification.reason
    # ... so follow-ups first (allocation deleted, payment deleted), then every credit note voided
    time.sleep(0.01)
    before_void = datetime.now(UTC)
    for follow_doc in follow_docs.values():
        assert follow_doc is not None
        undone = client.void(follow_doc.type, follow_doc.remote_id)
        assert (undone.remote_id, undone.status) == (follow_doc.remote_id, RemoteStatus.DELETED)
    for created in by_tag.values():
        assert client.void("CreditNote", created.remote_id).status is RemoteStatus.VOIDED
    assert client.void("CreditNote", allocated_credit).status is RemoteStatus.VOIDED  # again: nothing sent
    bill = next(i for i in stored(sandbox, "Invoice") if i["InvoiceID"] == BILL_1042)
    assert bill["AmountDue"] == Decimal("1200.00")
    for follow_doc in follow_docs.values():
        assert follow_doc is not None
        after = client.get(follow_doc.type, follow_doc.remote_id)
        assert after is None if follow_doc.type == "Allocation" else after.status is RemoteStatus.DELETED

    # 6. the feed shows the voids and deletions
    changed = {(c.document.type, c.document.remote_id): c.document.status
               for c in client.changes(["CreditNote", "Payment"], before_void)}
    assert {k: v for k, v in changed.items() if k[0] == "CreditNote"} == {
        ("CreditNote", d.remote_id): RemoteStatus.VOIDED for d in by_tag.values()}
    assert {k: v for k, v in changed.items() if k[0] == "Payment"} == {
        ("Payment", d.remote_id): RemoteStatus.DELETED for d in follow_docs.values()
        if d is not None and d.type == "Payment"}


def test_a_draft_credit_note_is_deleted_not_voided(sandbox: object, make_env: MakeEnv) -> None:
    def drafts(mapping: dict) -> None:  # type: ignore[type-arg]
        mapping["xero"]["credit_note_status"] = "DRAFT"
        for kind in mapping["kinds"].values():
            kind["cash_refund"] = kind["apply_to_original"] = False

    import yaml

    from tests.mapping.helpers import EXAMPLE_TENANTS

    raw = yaml.safe_load(EXAMPLE_TENANTS.read_text(encoding="utf-8"))["tenants"]["demo-xero"]["mapping"]
    drafts(raw)
    env = make_env(sandbox, tenant_changes={"mapping": raw})
    plan = plans(env.tenant, [xero_case("RF-2026-000601", amount="12.00", lines=None)])[0]
    outcome = Poster(env.client).post(credits_of([plan]))[0]
    assert outcome.created is not None and outcome.created.raw["Status"] == "DRAFT"
    assert outcome.created.status is RemoteStatus.ACTIVE  # a draft is ours: adopted, never posted twice
    deleted = env.client.void("CreditNote", outcome.created.remote_id)
    assert deleted.status is RemoteStatus.DELETED and deleted.raw["Status"] == "DELETED"
    assert env.client.find_by_tag("CreditNote", "Reference", "RF-2026-000601")[0].status is RemoteStatus.DELETED


def test_lookup_falls_back_to_the_credit_note_number_and_escapes_quotes(env: XeroEnv) -> None:
    """Reference is "ACCRECCREDIT only" in Xero's spec text: when it is missing (or a person cleared it), the
    CreditNoteNumber, which carries the same tag, still finds the document. A tag with quotes cannot break
    out of the where literal."""
    plan = plans(env.tenant, [vendor_cash_refund('RF-"7"\\x')])[0]
    poster = Poster(env.client)
    outgoing = poster.outgoing(plan, plan.documents[0])
    del outgoing.payload["Reference"]
    created = env.client.post([outgoing])[0].created
    assert created is not None and created.reference is None and created.number == 'RF-"7"\\x'
    found = env.client.find_by_tag("CreditNote", "Reference", 'RF-"7"\\x')
    assert [d.remote_id for d in found] == [created.remote_id]
    assert env.client.find_by_tag("CreditNote", "Reference", 'RF-"7"') == []
    wheres = [r["query"] for r in env.sandbox.admin.requests(provider="xero") if r["method"] == "GET"
              and r["path"].endswith("/CreditNotes")]
    assert any("Reference" in q for q in wheres) and any("CreditNoteNumber" in q for q in wheres)


def test_outstanding_and_parties(env: XeroEnv) -> None:
    client = env.client
    bill = client.outstanding("Invoice", "InvoiceNumber", "BILL-1042")
    assert bill is not None and (bill.remote_id, bill.balance, bill.currency) == (BILL_1042, Decimal("1200.00"),
                                                                                  "USD")
    invoice = client.outstanding("Invoice", "InvoiceNumber", "INV-2001")
    assert invoice is not None and invoice.balance == Decimal("487.13")
    assert client.outstanding("Invoice", "InvoiceNumber", "INV-404") is None

    parties = client.list_parties("Contact")
    assert len(parties) == 9
    defunct = next(p for p in parties if p.name == "Defunct Imports Pty Ltd")
    assert defunct.active is False and all(p.active for p in parties if p is not defunct)
    created = client.create_party("Contact", {"Name": "Lumen & Co. KG", "ContactNumber": "V-2040"})
    assert (created.name, created.external_id, created.active) == ("Lumen & Co. KG", "V-2040", True)
    again = client.create_party("Contact", {"Name": "Lumen & Co. KG", "ContactNumber": "V-2040"})
    assert again == created  # the same request within Xero's idempotency window is replayed
    # the name is taken (another request, e.g. after the window): the existing contact is returned
    taken = client.create_party("Contact", {"Name": "Lumen & Co. KG"})
    assert taken.id == created.id
    assert len([p for p in client.list_parties("Contact") if p.name == "Lumen & Co. KG"]) == 1
    with pytest.raises(CallFailed) as bad:
        client.create_party("Contact", {"Name": ""})
    assert bad.value.classification.action is Action.PERMANENT
    assert "contact name must be specified" in bad.value.classification.reason


def test_the_change_feed_streams_page_by_page(env: XeroEnv) -> None:
    """More than one page (Xero's 100): the second page is fetched only when the first is used up, and
    every document comes once."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    planned = plans(env.tenant, [xero_case(f"RF-2026-0020{n:02d}", amount="5.00", lines=None) for n in range(75)]
                    + [xero_case(f"RF-2026-0021{n:02d}", amount="6.00", lines=None) for n in range(75)])
    posted = Poster(env.client).post(credits_of(planned))
    assert all(o.ok for o in posted)
    start = env.sandbox.admin.last_request_seq()

    feed = env.client.changes(["CreditNote"], since)
    first = [next(feed) for _ in range(100)]
    pages = [r["query"] for r in env.sandbox.admin.requests(provider="xero", since=start)]
    assert len(pages) == 1 and "page=1" in pages[0] and "pageSize=100" in pages[0]
    rest = list(feed)
    pages = [r["query"] for r in env.sandbox.admin.requests(provider="xero", since=start)]
    assert len(pages) == 2 and "page=2" in pages[1]
    ids = [c.document.remote_id for c in first + rest]
    assert len(ids) == 150 and set(ids) == {o.created.remote_id for o in posted if o.created}


def test_every_write_carries_an_idempotency_key(env: XeroEnv) -> None:
    planned = plans(env.tenant, [vendor_cash_refund("RF-2026-002201"), vendor_credit_on_bill("RF-2026-002202")])
    poster = Poster(env.client)
    poster.post(credits_of(planned))
    done = poster.post(follow_ups_of(planned))
    env.client.create_party("Contact", {"Name": "Keyed Contact Ltd"})
    for outcome in done:
        assert outcome.created is not None
        env.client.void(outcome.created.type, outcome.created.remote_id)
    for created in poster.credit_ids.values():
        env.client.void("CreditNote", created)
    keyed = [(r["method"], r["path"].split("/2.0/")[1], r["idempotency_key"]) for r in writes(env.sandbox)]
    assert [k for k in keyed if k[0] in ("PUT", "POST") and not k[2]] == []
    assert {k[1].split("/")[0] for k in keyed if k[0] in ("PUT", "POST")} == {"CreditNotes", "Payments", "Contacts"}
    # DELETE of an allocation takes no key in Xero's API; deleting twice is harmless (404, looked up first)
    assert [k[0] for k in keyed if not k[2]] == ["DELETE"]
