"""Every document type the mapping produces for demo-qbo, against the sandbox: post, find by tag, read the
change feed, undo (void or delete), and what the books say after each step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from config.tenants import TenantConfig
from connectors.errors import Action
from connectors.protocol import CallFailed, RemoteStatus
from connectors.quickbooks.client import QuickBooksClient
from connectors.quickbooks.provider import QUICKBOOKS, Undo
from connectors.sandbox.server import SandboxServer
from mapping.case import RefundCase
from mapping.wire import dumps
from tests.connectors.quickbooks.support import (
    QBO,
    customer_card_refund,
    customer_credit_on_invoice,
    post_plan,
    vendor_cash_refund,
    vendor_credit_on_bill,
)

CASES: list[tuple[Callable[[], RefundCase], list[str]]] = [
    (vendor_cash_refund, ["VendorCredit", "Deposit"]),
    (vendor_credit_on_bill, ["VendorCredit", "BillPayment"]),
    (customer_card_refund, ["RefundReceipt"]),
    (customer_credit_on_invoice, ["CreditMemo", "Payment"]),
]


def test_the_cases_cover_every_document_type_the_mapping_produces_for_quickbooks() -> None:
    covered = {t for _, types in CASES for t in types}
    posted = {name for name in QUICKBOOKS.documents if name not in QUICKBOOKS.originals}
    assert covered == posted == {"VendorCredit", "Deposit", "BillPayment", "RefundReceipt", "CreditMemo", "Payment"}


@pytest.mark.parametrize(("make", "types"), CASES, ids=[c[0].__name__ for c in CASES])
def test_post_find_change_feed_and_undo(make: Callable[[], RefundCase], types: list[str], client: QuickBooksClient,
                                        tenant: TenantConfig, sandbox: SandboxServer) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    case = make()
    posted = post_plan(client, tenant, case)
    assert [d.type for d in posted.plan.documents] == types

    for planned in posted.plan.documents:
        created = posted.documents[planned.key]
        assert (created.type, created.number, created.status) == (planned.type, planned.tag, RemoteStatus.ACTIVE)
        assert created.amount == planned.amount and created.currency == "USD"
        assert created.date == case.refund_date and created.version == "0"
        stored = sandbox.admin.document(QBO, planned.type, created.remote_id)["body"]
        assert stored["PrivateNote"].startswith(f"refundsync {case.case_id} r1")
        # found again by its tag, and only that one
        assert [d.remote_id for d in client.find_by_tag(planned.type, planned.lookup_field or "", planned.tag or "")
                ] == [created.remote_id]
        read = client.get(planned.type, created.remote_id)
        assert read is not None and (read.remote_id, read.number, read.amount, read.party_id, read.status) == (
            created.remote_id, created.number, created.amount, created.party_id, created.status)

    feed = {(c.document.type, c.document.remote_id): c for c in client.changes(types, since)}
    for planned in posted.plan.documents:
        change = feed[(planned.type, posted.documents[planned.key].remote_id)]
        assert change.document.status is RemoteStatus.ACTIVE and change.changed_at is not None
        assert change.changed_at >= since.replace(microsecond=0)

    undone = {}
    for planned in reversed(posted.plan.documents):  # the settlement first, then the credit it settles
        created = posted.documents[planned.key]
        undone[planned.key] = client.void(planned.type, created.remote_id)
        expected = RemoteStatus.VOIDED if QUICKBOOKS.document(planned.type).undo is Undo.VOID else RemoteStatus.DELETED
        assert undone[planned.key].status is expected, planned.type
        assert undone[planned.key].remote_id == created.remote_id
        again = client.void(planned.type, created.remote_id)  # undoing twice is harmless
        assert again.status is expected

    feed = {(c.document.type, c.document.remote_id): c.document.status for c in client.changes(types, since)}
    for planned in posted.plan.documents:
        remote_id = posted.documents[planned.key].remote_id
        status = undone[planned.key].status
        assert feed[(planned.type, remote_id)] is status
        found = client.find_by_tag(planned.type, planned.lookup_field or "", planned.tag or "")
        if status is RemoteStatus.DELETED:
            assert found == [] and client.get(planned.type, remote_id) is None
        else:
            assert [(d.remote_id, d.status, d.amount) for d in found] == [(remote_id, RemoteStatus.VOIDED, 0)]


def test_vendor_cash_refund_lines_accounts_class_and_deposit(client: QuickBooksClient, tenant: TenantConfig,
                                                             sandbox: SandboxServer) -> None:
    posted = post_plan(client, tenant, vendor_cash_refund())
    credit = posted.documents["1:credit"].raw
    details = [line["AccountBasedExpenseLineDetail"] for line in credit["Line"]]
    assert [(d["AccountRef"]["value"], d["AccountRef"]["name"]) for d in details] == [
        ("93", "Purchase returns - damaged goods"), ("94", "Freight and shipping costs")]
    assert {d["ClassRef"]["value"] for d in details} == {"5000000000000012345"}
    assert [line["Amount"] for line in credit["Line"]] == [Decimal("96.00"), Decimal("22.00")]
    assert credit["APAccountRef"]["value"] == "33" and posted.documents["1:credit"].party_id == "56"
    deposit = posted.documents["1:refund"]
    assert (deposit.party_id, deposit.amount, deposit.number) == ("56", Decimal("118.00"), "RF-QB-0001~p")
    line = deposit.raw["Line"][0]["DepositLineDetail"]
    assert (line["AccountRef"]["value"], line["PaymentMethodRef"]["value"]) == ("33", "1")
    assert deposit.raw["DepositToAccountRef"]["value"] == "35"


def test_credit_applied_to_bill_moves_its_balance_and_the_void_gives_it_back(
        client: QuickBooksClient, tenant: TenantConfig) -> None:
    before = client.outstanding("Bill", "DocNumber", "BILL-1043")
    assert before is not None and (before.remote_id, before.balance) == ("131", Decimal("8800"))
    posted = post_plan(client, tenant, vendor_credit_on_bill())
    payment = posted.documents["1:application"]
    assert (payment.amount, payment.party_id, payment.raw["TotalAmt"]) == (Decimal("310.25"), "57", 0)
    assert [link["TxnType"] for line in payment.raw["Line"] for link in line["LinkedTxn"]] == ["Bill", "VendorCredit"]
    after = client.outstanding("Bill", "DocNumber", "BILL-1043")
    assert after is not None and after.balance == Decimal("8489.75")
    credit = client.get("VendorCredit", posted.documents["1:credit"].remote_id)
    assert credit is not None and credit.remaining == 0

    client.void("BillPayment", payment.remote_id)
    restored = client.outstanding("Bill", "DocNumber", "BILL-1043")
    assert restored is not None and restored.balance == Decimal("8800")
    credit = client.get("VendorCredit", posted.documents["1:credit"].remote_id)
    assert credit is not None and credit.remaining == Decimal("310.25")


def test_credit_memo_applied_to_invoice_by_a_payment(client: QuickBooksClient, tenant: TenantConfig) -> None:
    posted = post_plan(client, tenant, customer_credit_on_invoice())
    memo, payment = posted.documents["1:credit"], posted.documents["1:application"]
    assert memo.party_id == payment.party_id == "3"
    assert memo.raw["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == "22"
    assert memo.raw["Line"][0]["SalesItemLineDetail"]["ClassRef"]["value"] == "5000000000000012346"
    assert (payment.number, payment.amount) == ("RF-QB-0004~a", Decimal("1200.00"))
    invoice = client.outstanding("Invoice", "DocNumber", "INV-2002")
    assert invoice is not None and invoice.balance == Decimal("10800.00")
    memo_now = client.get("CreditMemo", memo.remote_id)
    assert memo_now is not None and memo_now.remaining == 0

    voided = client.void("Payment", payment.remote_id)
    assert voided.status is RemoteStatus.VOIDED and voided.amount == 0
    invoice = client.outstanding("Invoice", "DocNumber", "INV-2002")
    assert invoice is not None and invoice.balance == Decimal("12000")


def test_refund_receipt_pays_out_of_the_card_clearing_account(client: QuickBooksClient,
                                                              tenant: TenantConfig) -> None:
    receipt = post_plan(client, tenant, customer_card_refund()).documents["1:credit"]
    assert receipt.raw["DepositToAccountRef"]["value"] == "36"
    assert receipt.raw["PaymentMethodRef"]["value"] == "3" and receipt.raw["PaymentRefNum"] == "CH-3301"
    assert (receipt.party_id, receipt.party_name, receipt.amount) == ("1", "Northwind Retail Inc.", Decimal("45.00"))


def test_outstanding_of_an_unknown_number_is_none(client: QuickBooksClient) -> None:
    assert client.outstanding("Invoice", "DocNumber", "INV-9999") is None
    assert client.get("Invoice", "9999") is None
    assert client.get("Invoice", "not-a-number") is None


def test_a_bill_number_used_twice_is_the_open_one_or_an_error(client: QuickBooksClient, sandbox: SandboxServer
                                                               ) -> None:
    """Bill numbers are the vendor's own, so two vendors can both have a BILL-1042."""
    other = {"DocNumber": "BILL-1042", "TxnDate": "2026-10-30", "VendorRef": {"value": "59"},
             "Line": [{"Amount": Decimal("80.00"), "DetailType": "AccountBasedExpenseLineDetail",
                       "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}}}]}
    created = client.sdk.create_object("Bill", dumps(other).encode(), params={"include": "allowduplicatedocnum"})
    second = created["Bill"]["Id"]
    with pytest.raises(CallFailed) as ambiguous:
        client.outstanding("Bill", "DocNumber", "BILL-1042")
    assert ambiguous.value.classification.action is Action.PERMANENT
    assert f"130, {second}" in ambiguous.value.classification.reason
    sandbox.admin.void_document(QBO, "Bill", second)  # nothing left to pay on the second one
    found = client.outstanding("Bill", "DocNumber", "BILL-1042")
    assert found is not None and (found.remote_id, found.balance) == ("130", Decimal("1200"))
