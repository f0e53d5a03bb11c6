"""Amending a posted credit note in place (``POST /CreditNotes/{id}``), and Xero refusing it once the credit
note is allocated or paid, against the sandbox through xero-python."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.errors import Action
from connectors.protocol import CallFailed, RemoteStatus
from mapping.placeholders import PARTY_ID, bind
from mapping.plan import plan_case
from tests.connectors.xero.conftest import XeroEnv
from tests.connectors.xero.helpers import XERO, Poster, credits_of, follow_ups_of, plans, writes, xero_case


def _bound_revision(env: XeroEnv, poster: Poster, case_id: str, amount: str, revision: int, **extra: object
                    ) -> tuple[dict[str, object], str]:
    plan = plan_case(xero_case(case_id, amount=amount, lines=None, revision=revision, **extra), env.tenant)
    credit = plan.documents[0]
    party_plan = next(p for p in plan.parties if p.key == credit.party_key)
    payload = bind(credit.payload, {PARTY_ID: poster.parties.resolve(env.client, party_plan, "Xero").id})
    return payload, credit.tag or ""


def test_an_unallocated_credit_note_is_edited_in_place(env: XeroEnv) -> None:
    poster = Poster(env.client)
    plan = plans(env.tenant, [xero_case("RF-2026-000701", amount="42.50", lines=None)])[0]
    [outcome] = poster.post(credits_of([plan]))
    first = outcome.created
    assert first is not None and first.amount == Decimal("42.50") and first.remaining == Decimal("42.50")
    payload, tag = _bound_revision(env, poster, "RF-2026-000701", "30.00", 2)
    before = env.sandbox.admin.last_request_seq()

    updated = env.client.update("CreditNote", first.remote_id, first.version, payload)

    assert (updated.remote_id, updated.amount, updated.remaining, updated.number, updated.status) == (
        first.remote_id, Decimal("30.00"), Decimal("30.00"), tag, RemoteStatus.ACTIVE)
    assert tag == "RF-2026-000701~r2" and updated.reference == "RF-2026-000701~r2"
    stored = env.sandbox.admin.document(XERO, "CreditNote", first.remote_id)["body"]
    assert (stored["Total"], stored["Status"], stored["CreditNoteNumber"]) == (30, "AUTHORISED", tag)
    [call] = writes(env.sandbox, before)
    assert (call["method"], call["path"].endswith(first.remote_id), call["idempotency_key"][:7]) == (
        "POST", True, "rs-upd-")
    # the same edit of the same version again: Xero replays its first answer, nothing changes
    again = env.client.update("CreditNote", first.remote_id, first.version, payload)
    assert again.amount == Decimal("30.00")
    ours = [d["body"] for d in env.sandbox.admin.documents(XERO, "CreditNote", include_deleted=True)
            if str(d["body"].get("CreditNoteNumber", "")).startswith("RF-2026-000701")]
    assert [(d["CreditNoteID"], d["Total"]) for d in ours] == [(first.remote_id, 30)]


def test_an_allocated_credit_note_is_not_edited_and_the_refusal_is_classified(env: XeroEnv) -> None:
    poster = Poster(env.client)
    case = xero_case("RF-2026-000702", amount="45.00", kind="customer_refund", lines=None,
                     party={"name": "Northwind Retail Inc.", "external_id": None}, original_document="INV-2001")
    plan = plans(env.tenant, [case])[0]
    [credit] = poster.post(credits_of([plan]))
    [allocation] = poster.post(follow_ups_of([plan]))
    assert credit.created is not None and allocation.created is not None
    current = env.client.get("CreditNote", credit.created.remote_id)
    assert current is not None and current.remaining == Decimal("0.00")
    payload, _ = _bound_revision(env, poster, "RF-2026-000702", "40.00", 2, kind="customer_refund",
                                 party={"name": "Northwind Retail Inc.", "external_id": None},
                                 original_document="INV-2001")

    with pytest.raises(CallFailed) as refused:
        env.client.update("CreditNote", current.remote_id, current.version, payload)

    assert refused.value.classification.action is Action.PERMANENT
    assert refused.value.classification.rule == "xero.void_settled"
    stored = env.sandbox.admin.document(XERO, "CreditNote", current.remote_id)["body"]
    assert stored["Total"] == 45 and stored["CreditNoteNumber"] == "RF-2026-000702"


def test_only_credit_notes_are_edited_in_place(env: XeroEnv) -> None:
    with pytest.raises(ValueError, match="not Payments"):
        env.client.update("Payment", "00000000-0000-0000-0000-000000000001", None, {})
