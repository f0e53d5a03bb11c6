"""Amending a posted credit in place: QuickBooks sparse update with the SyncToken, against the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config.tenants import TenantConfig
from connectors.errors import Action
from connectors.protocol import CallFailed
from connectors.quickbooks.client import QuickBooksClient
from connectors.sandbox.server import SandboxServer
from mapping.placeholders import bind
from mapping.plan import plan_case
from sync.engine.parties import PartyCache
from tests.connectors.quickbooks.support import QBO, customer_credit_on_invoice, party_values, post_plan
from tests.mapping.helpers import make_case


def _vendor_case(amount: str, revision: int = 1) -> object:
    return make_case(case_id="RF-QB-UPD-1", party={"name": "Shenzhen Lianhua Trading Co.", "external_id": None},
                     amount=amount, reason_code="DAMAGED", payment=None, original_document=None, lines=None,
                     revision=revision)


def _revision_two(client: QuickBooksClient, tenant: TenantConfig, amount: str) -> tuple[dict[str, object], str]:
    plan = plan_case(_vendor_case(amount, revision=2), tenant)  # type: ignore[arg-type]
    credit = plan.documents[0]
    return bind(credit.payload, party_values(client, plan, credit, PartyCache())), credit.tag or ""


def test_sparse_update_changes_the_amount_and_bumps_the_sync_token(client: QuickBooksClient, tenant: TenantConfig,
                                                                   sandbox: SandboxServer) -> None:
    posted = post_plan(client, tenant, _vendor_case("42.50"))  # type: ignore[arg-type]
    first = posted.documents["1:credit"]
    assert (first.amount, first.version) == (Decimal("42.50"), "0")
    payload, tag = _revision_two(client, tenant, "30.00")
    before = sandbox.admin.last_request_seq()

    updated = client.update("VendorCredit", first.remote_id, first.version, payload)

    assert (updated.remote_id, updated.amount, updated.version, updated.number) == (
        first.remote_id, Decimal("30.00"), "1", tag)
    stored = sandbox.admin.document(QBO, "VendorCredit", first.remote_id)["body"]
    assert (stored["TotalAmt"], stored["SyncToken"], stored["DocNumber"]) == (30, "1", "RF-QB-UPD-1~r2")
    assert len(stored["Line"]) == 1 and stored["Line"][0]["Amount"] == 30  # the Line list is replaced
    writes = [r for r in sandbox.admin.requests(provider="quickbooks", since=before) if r["method"] == "POST"]
    assert [(r["path"].rsplit("/", 1)[-1], (r["request_id"] or "")[:7], r["written"]) for r in writes] == [
        ("vendorcredit", "rs-upd-", [{"entity": "VendorCredit", "id": first.remote_id}])]

def test_a_stale_sync_token_is_read_again_and_tried_once_more(client: QuickBooksClient, tenant: TenantConfig,
                                                              sandbox: SandboxServer) -> None:
    posted = post_plan(client, tenant, _vendor_case("42.50"))  # type: ignore[arg-type]
    first = posted.documents["1:credit"]
    sandbox.admin.edit_document(QBO, "VendorCredit", first.remote_id, {"PrivateNote": "edited by a bookkeeper"})
    payload, _ = _revision_two(client, tenant, "30.00")

    updated = client.update("VendorCredit", first.remote_id, "0", payload)  # "0" is stale: 5010, re-read, retry

    assert (updated.amount, updated.version) == (Decimal("30.00"), "2")
    stored = sandbox.admin.document(QBO, "VendorCredit", first.remote_id)["body"]
    assert stored["SyncToken"] == "2" and stored["TotalAmt"] == 30


def test_an_update_of_a_deleted_credit_fails_permanently_with_the_reason(client: QuickBooksClient,
                                                                         tenant: TenantConfig) -> None:
    posted = post_plan(client, tenant, customer_credit_on_invoice("RF-QB-UPD-2"))
    memo = posted.documents["1:credit"]
    client.void("Payment", posted.documents["1:application"].remote_id)
    client.void("CreditMemo", memo.remote_id)  # QuickBooks deletes credit memos
    with pytest.raises(CallFailed) as failed:
        client.update("CreditMemo", memo.remote_id, memo.version, {"PrivateNote": "x"})
    assert failed.value.classification.action is Action.PERMANENT
