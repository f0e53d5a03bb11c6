"""Batches of up to 50 with ``summarizeErrors=false``, and every way a batch can go wrong: one bad item,
a lost response, a number Xero already has. Outcomes are one per document, classified by the one table."""

from __future__ import annotations

from decimal import Decimal

from connectors.errors import Action
from connectors.protocol import OutgoingDocument, RemoteStatus
from connectors.xero.batches import XeroRequest, plan_requests
from connectors.xero.provider import ALLOCATION, CREDIT_NOTE, PAYMENT
from mapping.plan import plan_case
from tests.connectors.xero.conftest import MakeEnv, XeroEnv
from tests.connectors.xero.helpers import Poster, credits_of, plans, stored, vendor_cash_refund, writes, xero_case
from tests.mapping.helpers import raw_example


def test_fifty_in_one_request_one_archived_account_fails_alone_with_its_reason(sandbox: object,
                                                                                make_env: MakeEnv) -> None:
    mapping = raw_example()["tenants"]["demo-xero"]["mapping"]
    mapping["kinds"]["vendor_refund"]["reasons"]["OTHER"] = {"account": "4010"}  # archived in the books
    env = make_env(sandbox, tenant_changes={"mapping": mapping})
    cases = [xero_case(f"RF-2026-0007{n:02d}", amount=f"{10 + n}.{n:02d}", lines=None,
                       reason_code="OTHER" if n == 17 else "DAMAGED") for n in range(50)]
    planned = [plan_case(c, env.tenant) for c in cases]
    start = env.sandbox.admin.last_request_seq()

    outcomes = Poster(env.client).post(credits_of(planned))

    assert len(outcomes) == 50
    bad = outcomes[17]
    assert bad.created is None and bad.classification is not None and bad.error is not None
    assert (bad.classification.action, bad.classification.rule) == (Action.PERMANENT, "xero.account_archived")
    assert bad.classification.reason == ("account 4010 is archived in Xero; restore it or map the reason code to "
                                         "another account")
    assert bad.error.message.startswith("Account code '4010' has been archived, or has been deleted.")
    assert bad.http_status == 200 and "PUT CreditNotes?summarizeErrors=false (50 CreditNotes" in bad.request_summary
    good = [o for i, o in enumerate(outcomes) if i != 17]
    assert all(o.created is not None and o.created.status is RemoteStatus.ACTIVE for o in good)
    assert [o.created.amount for o in good if o.created] == [Decimal(f"{10 + n}.{n:02d}") for n in range(50)
                                                             if n != 17]
    puts = writes(env.sandbox, start)
    assert len(puts) == 1 and puts[0]["query"] == "summarizeErrors=false"
    assert len(puts[0]["written"]) == 49 and puts[0]["idempotency_key"].startswith("rs-batch-50-")
    assert len(list(stored(env.sandbox, "CreditNote"))) == 49


def test_a_lost_response_is_uncertain_never_resent_and_the_key_replays_it(env: XeroEnv) -> None:
    planned = plans(env.tenant, [vendor_cash_refund(f"RF-2026-00080{n}") for n in range(3)])
    poster = Poster(env.client)
    outgoing = [poster.outgoing(p, d) for p, d in credits_of(planned)]
    env.sandbox.admin.set_faults("demo-xero", drop_next=1)  # commit, then close the connection unanswered
    start = env.sandbox.admin.last_request_seq()

    lost = env.client.post(outgoing)

    assert [(o.created, o.classification.action if o.classification else None) for o in lost] == [
        (None, Action.UNCERTAIN)] * 3
    assert {o.classification.rule for o in lost if o.classification} == {"transport.dropped.write"}
    puts = writes(env.sandbox, start)
    # exactly one PUT: nothing below the engine re-sent it (xero-python's urllib3 would have, 3 times)
    assert [(r["outcome"], len(r["written"])) for r in puts] == [("dropped", 3)]
    # the engine looks each one up by its tag before anything is sent again: all three are there
    found = [env.client.find_by_tag("CreditNote", d.lookup_field or "", d.tag or "") for d in outgoing]
    assert [len(f) for f in found] == [1, 1, 1]
    # and had it re-sent the same batch, the Idempotency-Key replays Xero's answer: no duplicate
    again = env.client.post(outgoing)
    assert [o.created.remote_id for o in again if o.created] == [f[0].remote_id for f in found]
    assert [r["outcome"] for r in writes(env.sandbox, start)] == ["dropped", "replayed"]
    assert len(list(stored(env.sandbox, "CreditNote"))) == 3


def test_a_number_xero_already_has_is_uncertain_and_found_by_tag(env: XeroEnv) -> None:
    plan = plans(env.tenant, [vendor_cash_refund("RF-2026-000901")])[0]
    poster = Poster(env.client)
    first = env.client.post([poster.outgoing(plan, plan.documents[0])])[0]
    assert first.created is not None
    # the same case posted again under another posting (another key): Xero refuses the number
    second = env.client.post([poster.outgoing(plan, plan.documents[0], ref="another-posting")])[0]
    assert second.created is None and second.classification is not None
    assert (second.classification.action, second.classification.rule) == (Action.UNCERTAIN, "xero.duplicate_number")
    assert second.error is not None and second.error.message == "Credit Note # must be unique."
    assert [d.remote_id for d in env.client.find_by_tag("CreditNote", "Reference", "RF-2026-000901")] == [
        first.created.remote_id]


def test_every_message_of_an_item_is_kept(env: XeroEnv) -> None:
    """xero-python's exceptions keep only the first validation message (``.reason``); an operator needs all."""
    plan = plans(env.tenant, [vendor_cash_refund("RF-2026-000902")])[0]
    doc = Poster(env.client).outgoing(plan, plan.documents[0])
    doc.payload["LineItems"][0].update(AccountCode="4010", TaxType="GST15")
    outcome = env.client.post([doc])[0]
    assert outcome.error is not None
    assert outcome.error.message.startswith("Account code '4010' has been archived")
    assert "The TaxType code 'GST15' does not exist" in outcome.error.detail


def test_requests_are_grouped_by_endpoint_in_fifties_with_one_key_each() -> None:
    def doc(n: int, type_: str, path: str) -> OutgoingDocument:
        return OutgoingDocument(f"p{n}", type_, path, {"n": n}, f"T{n}", "Reference", f"rs-key-{n}")

    docs = [doc(n, "CreditNote", "CreditNotes") for n in range(120)]
    docs += [doc(200 + n, "Payment", "Payments") for n in range(3)]
    docs += [doc(300 + n, "Allocation", "CreditNotes/cn-a/Allocations") for n in range(2)]
    docs += [doc(400, "Allocation", "CreditNotes/cn-b/Allocations")]
    requests = plan_requests(docs)
    assert [(r.kind, len(r.documents), r.endpoint) for r in requests] == [
        (CREDIT_NOTE, 50, "CreditNotes"), (CREDIT_NOTE, 50, "CreditNotes"), (CREDIT_NOTE, 20, "CreditNotes"),
        (PAYMENT, 3, "Payments"), (ALLOCATION, 2, "CreditNotes/cn-a/Allocations"),
        (ALLOCATION, 1, "CreditNotes/cn-b/Allocations")]
    assert requests[-1].idempotency_key == "rs-key-400"  # one document: its own posting's key
    keys = [r.idempotency_key for r in requests[:-1]]
    assert len(set(keys)) == len(keys) and all(k.startswith("rs-batch-") and len(k) <= 128 for k in keys)
    assert XeroRequest(CREDIT_NOTE, requests[0].documents).idempotency_key == keys[0]  # same batch, same key
    reordered = XeroRequest(CREDIT_NOTE, tuple(reversed(requests[0].documents)))
    assert reordered.idempotency_key != keys[0]  # another body must never reuse a key (Xero answers 400)
