"""xero-python 15.2.0 against the sandbox, unchanged except for its base URLs: ACCPAYCREDIT and
ACCRECCREDIT credit notes, a refund Payment and an Allocation, read back through where, paging and
If-Modified-Since; summarizeErrors both ways; Idempotency-Key; token refresh by the SDK itself."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Account,
    Allocation,
    Allocations,
    Contact,
    CreditNote,
    CreditNotes,
    Invoice,
    LineAmountTypes,
    LineItem,
    Payment,
)
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from connectors.sandbox.sdk_clients import XeroClients
from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conftest import TENANT, XERO

SHENZHEN = "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b01"
YAMADA = "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5c03"
BILL_1042 = "0c6f9a2b-3e4d-4f5a-8b6c-7d8e9f0a1042"
INV_2001 = "0c6f9a2b-3e4d-4f5a-8b6c-7d8e9f0a2001"


def credit_note(kind: str, contact: str, reference: str, amount: str, account: str, status: str = "AUTHORISED",
                number: str | None = None, day: date | None = None) -> CreditNote:
    return CreditNote(
        type=kind,
        contact=Contact(contact_id=contact),
        date=day or date(2026, 11, 20),
        status=status,
        reference=reference,
        credit_note_number=number,
        line_amount_types=LineAmountTypes.NOTAX,
        line_items=[LineItem(description="refund", quantity=Decimal("1"), unit_amount=Decimal(amount),
                             account_code=account)],
    )


def test_credit_notes_refund_payment_and_allocation(sandbox: SandboxServer, xero: XeroClients) -> None:
    api = xero.accounting
    created = api.create_credit_notes(
        TENANT,
        CreditNotes(credit_notes=[
            credit_note("ACCPAYCREDIT", SHENZHEN, "RF-7001", "250.00", "310", number="SUP-CN-88"),
            credit_note("ACCRECCREDIT", YAMADA, "RF-7002", "99.95", "260"),
        ]),
        summarize_errors=False,
        idempotency_key="batch-7001",
    ).credit_notes
    supplier, customer = created
    assert [c.status_attribute_string for c in created] == ["OK", "OK"]
    assert (supplier.total, supplier.remaining_credit, supplier.status) == (Decimal("250.00"), Decimal("250.00"),
                                                                           "AUTHORISED")
    assert customer.credit_note_number == "CN-0001"  # ACCRECCREDIT numbers are generated
    assert customer.contact.name == "山田太郎"

    # cash refund from the supplier: a Payment against the ACCPAYCREDIT into the bank account 090
    refund = api.create_payment(TENANT, Payment(credit_note=CreditNote(credit_note_id=supplier.credit_note_id),
                                                account=Account(code="090"), date=date(2026, 11, 21),
                                                amount=Decimal("100.00"), reference="RF-7001 refund"))
    payment = refund.payments[0]
    assert (payment.payment_type, payment.amount, payment.status) == ("APCREDITPAYMENT", Decimal("100.00"),
                                                                      "AUTHORISED")
    # the rest applied to the supplier's open bill
    allocated = api.create_credit_note_allocation(
        TENANT, supplier.credit_note_id,
        Allocations(allocations=[Allocation(invoice=Invoice(invoice_id=BILL_1042), amount=Decimal("150.00"),
                                            date=date(2026, 11, 21))]),
    ).allocations[0]
    assert allocated.amount == Decimal("150.00")

    after = api.get_credit_note(TENANT, supplier.credit_note_id).credit_notes[0]
    assert (after.remaining_credit, after.status) == (Decimal("0.00"), "PAID")
    assert [p.amount for p in after.payments] == [Decimal("100.00")]
    assert [a.amount for a in after.allocations] == [Decimal("150.00")]
    bill = api.get_invoice(TENANT, BILL_1042).invoices[0]
    assert (bill.amount_due, bill.amount_credited) == (Decimal("1050.00"), Decimal("150.00"))

    # read back: where on Reference, Status, Type, Date and Contact.ContactID
    found = api.get_credit_notes(TENANT, where='Reference=="RF-7001"').credit_notes
    assert [c.credit_note_id for c in found] == [supplier.credit_note_id]
    found = api.get_credit_notes(
        TENANT, where=f'Type=="ACCRECCREDIT" AND Status=="AUTHORISED" AND Contact.ContactID==Guid("{YAMADA}") '
                      'AND Date>=DateTime(2026, 11, 01)').credit_notes
    assert [c.reference for c in found] == ["RF-7002"]
    payments = api.get_payments(TENANT, where='PaymentType=="APCREDITPAYMENT"').payments
    assert [p.reference for p in payments] == ["RF-7001 refund"]

    # an allocation is undone with DELETE .../Allocations/{AllocationID}: credit and amount due come back
    deleted = api.delete_credit_note_allocations(TENANT, supplier.credit_note_id, allocated.allocation_id)
    assert (deleted.allocation_id, deleted.is_deleted) == (allocated.allocation_id, True)
    undone = api.get_credit_note(TENANT, supplier.credit_note_id).credit_notes[0]
    assert (undone.remaining_credit, undone.status, undone.allocations) == (Decimal("150.00"), "AUTHORISED", [])
    assert api.get_invoice(TENANT, BILL_1042).invoices[0].amount_due == Decimal("1200.00")
    with pytest.raises(NotFoundException):
        api.delete_credit_note_allocations(TENANT, supplier.credit_note_id, allocated.allocation_id)


def test_paging_and_if_modified_since(sandbox: SandboxServer, xero: XeroClients) -> None:
    api = xero.accounting
    api.create_credit_notes(TENANT, CreditNotes(credit_notes=[
        credit_note("ACCPAYCREDIT", SHENZHEN, f"RF-80{n:02d}", f"{n + 1}.00", "310") for n in range(5)
    ]), summarize_errors=False)
    page1 = api.get_credit_notes(TENANT, page=1, page_size=2, order="Reference DESC")
    page3 = api.get_credit_notes(TENANT, page=3, page_size=2, order="Reference DESC")
    assert [c.reference for c in page1.credit_notes] == ["RF-8004", "RF-8003"]
    assert [c.reference for c in page3.credit_notes] == ["RF-8000"]
    assert (page1.pagination.page, page1.pagination.page_count, page1.pagination.item_count) == (1, 3, 5)

    cutoff = datetime.now(tz=UTC)
    time.sleep(0.01)
    later = api.create_credit_notes(TENANT, CreditNotes(credit_notes=[
        credit_note("ACCPAYCREDIT", SHENZHEN, "RF-8100", "7.00", "310")]), summarize_errors=False).credit_notes[0]
    recent = api.get_credit_notes(TENANT, if_modified_since=cutoff).credit_notes
    assert [c.credit_note_id for c in recent] == [later.credit_note_id]
    bills = api.get_invoices(TENANT, if_modified_since=cutoff - timedelta(days=1)).invoices
    assert bills == []  # the seeded invoices are older than a day


def test_summarize_errors_false_reports_per_item(sandbox: SandboxServer, xero: XeroClients) -> None:
    result = xero.accounting.create_credit_notes(TENANT, CreditNotes(credit_notes=[
        credit_note("ACCPAYCREDIT", SHENZHEN, "RF-9001", "10.00", "310"),
        credit_note("ACCPAYCREDIT", SHENZHEN, "RF-9002", "10.00", "4010"),
    ]), summarize_errors=False).credit_notes
    ok, bad = result
    assert (ok.has_errors, ok.status_attribute_string) == (False, "OK")
    assert (bad.has_errors, bad.status_attribute_string) == (True, "ERROR")
    assert bad.credit_note_id == "00000000-0000-0000-0000-000000000000"
    assert [e.message for e in bad.validation_errors] == [
        "Account code '4010' has been archived, or has been deleted. Each line item must reference a valid account."]
    assert [d["body"]["Reference"] for d in sandbox.admin.documents(XERO, "CreditNote")] == ["RF-9001"]


def test_summarized_mode_answers_400_but_creates_the_valid_items(sandbox: SandboxServer, xero: XeroClients) -> None:
    with pytest.raises(AccountingBadRequestException) as err:
        xero.accounting.create_credit_notes(TENANT, CreditNotes(credit_notes=[
            credit_note("ACCPAYCREDIT", SHENZHEN, "RF-9101", "10.00", "310"),
            credit_note("ACCPAYCREDIT", SHENZHEN, "RF-9102", "10.00", "999"),
        ]))
    assert err.value.status == 400
    data = err.value.error_data
    assert (data["ErrorNumber"], data["Type"], data["Message"]) == (10, "ValidationException",
                                                                   "A validation exception occurred")
    assert data["Elements"] == [{
        "CreditNoteID": "00000000-0000-0000-0000-000000000000",
        "ValidationErrors": [{"Message": "Account code '999' is not a valid code for this document."}],
    }]
    assert err.value.reason == "Account code '999' is not a valid code for this document."
    created = xero.accounting.get_credit_notes(TENANT, where='Reference=="RF-9101"').credit_notes
    assert len(created) == 1  # created although the request answered 400, as Xero does


def test_idempotency_key_replays_and_refuses_a_different_body(sandbox: SandboxServer, xero: XeroClients) -> None:
    api = xero.accounting
    body = CreditNotes(credit_notes=[credit_note("ACCPAYCREDIT", SHENZHEN, "RF-9201", "10.00", "310")])
    first = api.create_credit_notes(TENANT, body, summarize_errors=False, idempotency_key="rf-9201").credit_notes[0]
    again = api.create_credit_notes(TENANT, body, summarize_errors=False, idempotency_key="rf-9201").credit_notes[0]
    assert again.credit_note_id == first.credit_note_id
    assert len(sandbox.admin.documents(XERO, "CreditNote")) == 1
    other = CreditNotes(credit_notes=[credit_note("ACCPAYCREDIT", SHENZHEN, "RF-9202", "11.00", "310")])
    with pytest.raises(AccountingBadRequestException) as err:
        api.create_credit_notes(TENANT, other, summarize_errors=False, idempotency_key="rf-9201")
    assert err.value.error_data["Detail"].startswith("The Idempotency-Key has already been used")
    outcomes = [(r["idempotency_key"], r["outcome"]) for r in sandbox.admin.requests(company=XERO)
                if r["method"] == "PUT"]
    assert outcomes == [("rf-9201", "ok"), ("rf-9201", "replayed"), ("rf-9201", "error")]


def test_not_found_and_connections(xero: XeroClients) -> None:
    with pytest.raises(NotFoundException):
        xero.accounting.get_credit_note(TENANT, "11111111-2222-4333-8444-555555555555")
    connections = xero.identity.get_connections()
    assert [(c.tenant_id, c.tenant_name, c.tenant_type) for c in connections] == [
        (TENANT, "Refundsync Demo Trading (Xero)", "ORGANISATION")]
    org = xero.accounting.get_organisations(TENANT).organisations[0]
    assert (org.base_currency.value, org.end_of_year_lock_date, org.period_lock_date) == (
        "USD", date(2025, 12, 31), date(2026, 3, 31))


def test_sdk_refreshes_an_expired_token_through_the_sandbox(sandbox: SandboxServer, xero: XeroClients) -> None:
    old_refresh = xero.token_set["refresh_token"]
    xero.token_set["expires_at"] = time.time() - 1  # the SDK now refreshes before calling
    contacts = xero.accounting.get_contacts(TENANT, where='Name.StartsWith("Acme")').contacts
    assert [c.name for c in contacts] == ["Acme Supplies Ltd"]
    assert xero.token_set["refresh_token"] != old_refresh  # rotated, and saved through the token saver
    assert [r["outcome"] for r in sandbox.admin.requests(provider="oauth")] == ["ok"]


def test_contacts_invoices_invoice_payments_and_status_changes(sandbox: SandboxServer, xero: XeroClients) -> None:
    from xero_python.accounting import Contacts, Invoices

    api = xero.accounting
    contact = api.create_contacts(TENANT, Contacts(contacts=[Contact(name="広州市新星电子有限公司")]),
                                  summarize_errors=False).contacts[0]
    assert (contact.contact_status, contact.has_validation_errors) == ("ACTIVE", False)
    bill = api.create_invoices(TENANT, Invoices(invoices=[Invoice(
        type="ACCPAY", contact=Contact(contact_id=contact.contact_id), invoice_number="BILL-9001",
        date=date(2026, 11, 2), due_date=date(2026, 12, 2), status="AUTHORISED",
        line_items=[LineItem(description="parts", quantity=Decimal("3"), unit_amount=Decimal("33.33"),
                             account_code="300")])])).invoices[0]
    assert (bill.sub_total, bill.total_tax, bill.total) == (Decimal("99.99"), Decimal("8.25"), Decimal("108.24"))
    payment = api.create_payment(TENANT, Payment(invoice=Invoice(invoice_id=bill.invoice_id),
                                                 account=Account(code="090"), date=date(2026, 11, 3),
                                                 amount=Decimal("108.24"))).payments[0]
    assert payment.payment_type == "ACCPAYPAYMENT"
    assert api.get_invoice(TENANT, bill.invoice_id).invoices[0].status == "PAID"
    api.delete_payment(TENANT, payment.payment_id, payment_delete={"Status": "DELETED"})
    reopened = api.get_invoice(TENANT, bill.invoice_id).invoices[0]
    assert (reopened.status, reopened.amount_due) == ("AUTHORISED", Decimal("108.24"))

    draft = api.create_credit_notes(TENANT, CreditNotes(credit_notes=[
        credit_note("ACCRECCREDIT", YAMADA, "RF-D1", "5.00", "260", status="DRAFT")])).credit_notes[0]
    approved = api.update_credit_note(TENANT, draft.credit_note_id, CreditNotes(credit_notes=[
        CreditNote(status="AUTHORISED")])).credit_notes[0]
    voided = api.update_credit_note(TENANT, draft.credit_note_id, CreditNotes(credit_notes=[
        CreditNote(status="VOIDED")])).credit_notes[0]
    assert (approved.status, voided.status, voided.remaining_credit) == ("AUTHORISED", "VOIDED", Decimal("0.00"))
    accounts = api.get_accounts(TENANT, where='Type=="BANK"').accounts
    assert [(a.code, a.name) for a in accounts] == [("090", "Business Checking")]
    regions = api.get_tracking_categories(TENANT).tracking_categories[0]
    assert [o.name for o in regions.options] == ["North", "South", "West", "North America", "UK", "Europe", "Asia",
                                                 "Rest of world"]
    assert [r.tax_type for r in api.get_tax_rates(TENANT).tax_rates] == ["OUTPUT", "INPUT", "NONE", "OUTPUT2",
                                                                          "INPUT2"]
