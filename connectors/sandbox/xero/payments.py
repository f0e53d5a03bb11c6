"""Payments (against invoices and credit notes) and credit note allocations.

A payment against a credit note is a cash refund (APCREDITPAYMENT: the supplier pays us back;
ARCREDITPAYMENT: we pay the customer); against an invoice it is ACCPAYPAYMENT / ACCRECPAYMENT. An
allocation applies an AUTHORISED credit note to an AUTHORISED invoice of the matching side. Neither may
exceed what is outstanding, and both respect the lock dates.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.xero.books import ZERO_ID, XeroBooks, echo, money
from connectors.sandbox.xero.dates import date_to_ms, parse_date
from connectors.sandbox.xero.transactions import CREDIT_NOTE, INVOICE, ItemResult, Kind, recompute_settlement

PAYMENT_TYPES = {
    "ACCPAY": "ACCPAYPAYMENT",
    "ACCREC": "ACCRECPAYMENT",
    "ACCPAYCREDIT": "APCREDITPAYMENT",
    "ACCRECCREDIT": "ARCREDITPAYMENT",
}
MATCHING_INVOICE = {"ACCPAYCREDIT": "ACCPAY", "ACCRECCREDIT": "ACCREC"}


def _lock_errors(books: XeroBooks, day: Any, errors: list[str]) -> None:
    problem = books.lock_problem(day) if day is not None else None
    if problem:
        errors.append(problem)


def _target(books: XeroBooks, raw: dict[str, Any], errors: list[str]) -> tuple[Kind, Any] | None:
    if isinstance(raw.get("CreditNote"), dict):
        ref, kind = raw["CreditNote"], CREDIT_NOTE
    elif isinstance(raw.get("Invoice"), dict):
        ref, kind = raw["Invoice"], INVOICE
    else:
        errors.append("A payment must be made against an Invoice or a CreditNote")
        return None
    key = str(ref.get(kind.id_field) or ref.get(kind.number_field) or "")
    doc = books.find(kind.entity, kind.id_field, key, kind.number_field) if key else None
    if doc is None:
        errors.append(f"{kind.label} could not be found")
        return None
    return kind, doc


def create_payment(books: XeroBooks, raw: Any) -> ItemResult:
    if not isinstance(raw, dict):
        return _failed_payment({}, ["The payment must be a JSON object"])
    errors: list[str] = []
    target = _target(books, raw, errors)
    account_ref: dict[str, Any] = raw["Account"] if isinstance(raw.get("Account"), dict) else {}
    account = None
    if account_ref.get("AccountID"):
        account = books.account_by_id(str(account_ref["AccountID"]))
    elif account_ref.get("Code"):
        account = books.account_by_code(str(account_ref["Code"]))
    if account is None:
        errors.append("A valid Account must be specified for the payment (AccountID or Code)")
    elif account.body.get("Status") != "ACTIVE":
        errors.append(f"Account code '{account.body.get('Code')}' has been archived, or has been deleted.")
    elif account.body.get("Type") != "BANK" and not account.body.get("EnablePaymentsToAccount"):
        errors.append(f"Account code '{account.body.get('Code')}' is not a bank account and does not allow payments.")
    try:
        pay_amount = wire.to_decimal(raw.get("Amount"))
    except wire.WireError:
        pay_amount = None
        errors.append("Amount must be specified and be a number")
    if pay_amount is not None and pay_amount <= 0:
        errors.append("Payment amount must be greater than zero")
    day = parse_date(raw.get("Date")) if raw.get("Date") not in (None, "") else books.today()
    if day is None:
        errors.append("Date is not a valid date")
    _lock_errors(books, day, errors)
    if target is not None:
        kind, doc = target
        if doc.body.get("Status") != "AUTHORISED":
            errors.append(f"{kind.label} not of valid status for modification")
        outstanding = doc.body.get("RemainingCredit" if kind is CREDIT_NOTE else "AmountDue", Decimal("0"))
        if pay_amount is not None and pay_amount > outstanding:
            errors.append("The payment amount exceeds the amount outstanding on this document.")
    if errors or target is None or account is None or pay_amount is None or day is None:
        return _failed_payment(raw, errors)
    kind, doc = target
    payment_id = books.state.ids.uuid()
    reference = str(raw.get("Reference") or "")
    document = copy.deepcopy(doc.body)
    summary = {
        kind.id_field: document[kind.id_field],
        "Type": document["Type"],
        "Contact": document["Contact"],
        "CurrencyCode": document.get("CurrencyCode"),
    }
    if document.get(kind.number_field):
        summary[kind.number_field] = document[kind.number_field]
    body: dict[str, Any] = {
        "PaymentID": payment_id,
        "Date": date_to_ms(day),
        "BankAmount": money(pay_amount),
        "Amount": money(pay_amount),
        "Reference": reference,
        "CurrencyRate": Decimal("1.000000"),
        "PaymentType": PAYMENT_TYPES[document["Type"]],
        "Status": "AUTHORISED",
        "UpdatedDateUTC": books.now_ms(),
        "HasAccount": True,
        "IsReconciled": False,
        "Account": {"AccountID": account.body["AccountID"], "Code": account.body["Code"]},
        kind.entity: summary,
        "HasValidationErrors": False,
    }
    books.company.put("Payment", payment_id, body)
    document.setdefault("Payments", []).append(
        {
            "PaymentID": payment_id,
            "Date": body["Date"],
            "Amount": body["Amount"],
            "Reference": reference,
            "CurrencyRate": body["CurrencyRate"],
            "HasAccount": True,
            "HasValidationErrors": False,
        }
    )
    recompute_settlement(books, kind, document)
    books.company.put(kind.entity, document[kind.id_field], document)
    return ItemResult(body=body, stored_id=payment_id)


def delete_payment(books: XeroBooks, payment_id: str, raw: Any) -> ItemResult:
    """POST /Payments/{id} with Status DELETED: the only change Xero allows to a payment."""
    doc = books.find("Payment", "PaymentID", payment_id)
    if doc is None:
        return _failed_payment({"PaymentID": payment_id}, ["Payment could not be found"])
    if not isinstance(raw, dict) or str(raw.get("Status", "")).upper() != "DELETED":
        return _failed_payment({"PaymentID": payment_id}, ["A payment can only be updated to Status DELETED"])
    if doc.body.get("Status") == "DELETED":
        return _failed_payment({"PaymentID": payment_id}, ["This payment has already been deleted"])
    body = copy.deepcopy(doc.body)
    body["Status"] = "DELETED"
    body["UpdatedDateUTC"] = books.now_ms()
    books.company.put("Payment", payment_id, body)
    for kind in (CREDIT_NOTE, INVOICE):
        ref = body.get(kind.entity)
        if not ref:
            continue
        target = books.find(kind.entity, kind.id_field, str(ref[kind.id_field]))
        if target is None:
            continue
        document = copy.deepcopy(target.body)
        document["Payments"] = [p for p in document.get("Payments", []) if p["PaymentID"] != payment_id]
        recompute_settlement(books, kind, document)
        books.company.put(kind.entity, document[kind.id_field], document)
    return ItemResult(body=body, stored_id=payment_id)


def _failed_payment(raw: dict[str, Any], errors: list[str]) -> ItemResult:
    body = {k: v for k, v in echo(raw).items() if k not in ("ValidationErrors", "HasValidationErrors")}
    body.setdefault("PaymentID", ZERO_ID)
    body["HasValidationErrors"] = True
    body["ValidationErrors"] = [{"Message": m} for m in errors]
    return ItemResult(body=body, errors=errors)


def allocate(books: XeroBooks, credit_note_id: str, raw: Any) -> ItemResult:
    """Apply one allocation of a credit note to an invoice."""
    errors: list[str] = []
    credit = books.find(CREDIT_NOTE.entity, CREDIT_NOTE.id_field, credit_note_id, CREDIT_NOTE.number_field)
    if not isinstance(raw, dict):
        return _failed_allocation({}, ["The allocation must be a JSON object"])
    if credit is None:
        return _failed_allocation(raw, ["Credit Note could not be found"])
    invoice_ref: dict[str, Any] = raw["Invoice"] if isinstance(raw.get("Invoice"), dict) else {}
    key = str(invoice_ref.get("InvoiceID") or invoice_ref.get("InvoiceNumber") or "")
    invoice = books.find(INVOICE.entity, INVOICE.id_field, key, INVOICE.number_field) if key else None
    try:
        applied = wire.to_decimal(raw.get("Amount", raw.get("AppliedAmount")))
    except wire.WireError:
        applied = None
        errors.append("Amount must be specified and be a number")
    day = parse_date(raw.get("Date")) if raw.get("Date") not in (None, "") else books.today()
    if day is None:
        errors.append("Date is not a valid date")
    if invoice is None:
        errors.append("Invoice could not be found")
    if credit.body.get("Status") != "AUTHORISED":
        errors.append("Credit Note not of valid status for modification")
    if invoice is not None:
        if invoice.body.get("Status") == "PAID":
            errors.append("The invoice you are trying to allocate to has already been paid off")
        elif invoice.body.get("Status") != "AUTHORISED":
            errors.append("Invoice not of valid status for modification")
        if MATCHING_INVOICE.get(credit.body["Type"]) != invoice.body.get("Type"):
            errors.append("Credit Note cannot be allocated to an incorrect invoice type")
        if invoice.body.get("CurrencyCode") != credit.body.get("CurrencyCode"):
            errors.append("Credit Note cannot be allocated to an invoice in a different currency")
    if applied is not None:
        if applied <= 0:
            errors.append("Allocation amount must be greater than zero")
        if applied > credit.body.get("RemainingCredit", Decimal("0")):
            errors.append("Credit Note cannot be allocated as amount is greater than amount outstanding")
        if invoice is not None and applied > invoice.body.get("AmountDue", Decimal("0")):
            errors.append("Amount allocated exceeds the amount due on the invoice")
    _lock_errors(books, day, errors)
    if errors or invoice is None or applied is None or day is None:
        return _failed_allocation(raw, errors)
    allocation_id = books.state.ids.uuid()
    amount = money(applied)
    credit_body = copy.deepcopy(credit.body)
    invoice_body = copy.deepcopy(invoice.body)
    invoice_summary = {"InvoiceID": invoice_body["InvoiceID"], "Type": invoice_body["Type"]}
    if invoice_body.get("InvoiceNumber"):
        invoice_summary["InvoiceNumber"] = invoice_body["InvoiceNumber"]
    credit_summary = {"CreditNoteID": credit_body["CreditNoteID"], "Type": credit_body["Type"]}
    if credit_body.get("CreditNoteNumber"):
        credit_summary["CreditNoteNumber"] = credit_body["CreditNoteNumber"]
    credit_body.setdefault("Allocations", []).append(
        {
            "AllocationID": allocation_id,
            "Amount": amount,
            "Date": date_to_ms(day),
            "Invoice": invoice_summary,
        }
    )
    invoice_body.setdefault("CreditNotes", []).append(
        {
            **credit_summary,
            "AppliedAmount": amount,
            "Total": credit_body["Total"],
            "Date": date_to_ms(day),
        }
    )
    recompute_settlement(books, CREDIT_NOTE, credit_body)
    recompute_settlement(books, INVOICE, invoice_body)
    books.company.put(CREDIT_NOTE.entity, credit_body["CreditNoteID"], credit_body)
    books.company.put(INVOICE.entity, invoice_body["InvoiceID"], invoice_body)
    body = {
        "AllocationID": allocation_id,
        "Amount": amount,
        "Date": date_to_ms(day),
        "Invoice": invoice_summary,
        "CreditNote": credit_summary,
        "IsDeleted": False,
    }
    books.company.put("Allocation", allocation_id, body)
    return ItemResult(body=body, stored_id=allocation_id)


def delete_allocation(books: XeroBooks, credit_note_id: str, allocation_id: str) -> ItemResult | None:
    """DELETE /CreditNotes/{id}/Allocations/{AllocationID}: undo one allocation (None: no such allocation).

    The credit note gets its credit back and the invoice its amount due (both return to AUTHORISED if
    they were PAID); the answer is the Allocation with ``IsDeleted`` true, as Xero's spec describes."""
    credit = books.find(CREDIT_NOTE.entity, CREDIT_NOTE.id_field, credit_note_id, CREDIT_NOTE.number_field)
    if credit is None:
        return None
    entry = next((a for a in credit.body.get("Allocations", [])
                  if str(a.get("AllocationID", "")).lower() == allocation_id.lower()), None)
    if entry is None:
        return None
    errors: list[str] = []
    _lock_errors(books, parse_date(entry.get("Date")), errors)
    if errors:
        return _failed_allocation({"AllocationID": entry["AllocationID"]}, errors)
    credit_body = copy.deepcopy(credit.body)
    credit_body["Allocations"] = [a for a in credit_body["Allocations"] if a is not entry and a != entry]
    recompute_settlement(books, CREDIT_NOTE, credit_body)
    books.company.put(CREDIT_NOTE.entity, credit_body["CreditNoteID"], credit_body)
    invoice = books.find(INVOICE.entity, INVOICE.id_field, str(entry["Invoice"]["InvoiceID"]))
    if invoice is not None:
        invoice_body = copy.deepcopy(invoice.body)
        applied = invoice_body.get("CreditNotes", [])
        index = next((i for i, c in enumerate(applied)
                      if c.get("CreditNoteID") == credit_body["CreditNoteID"] and c.get("AppliedAmount") ==
                      entry["Amount"] and c.get("Date") == entry["Date"]), None)
        if index is not None:
            applied.pop(index)
        recompute_settlement(books, INVOICE, invoice_body)
        books.company.put(INVOICE.entity, invoice_body["InvoiceID"], invoice_body)
    stored = books.find("Allocation", "AllocationID", str(entry["AllocationID"]))
    body = {**(stored.body if stored else {"AllocationID": entry["AllocationID"], "Amount": entry["Amount"],
                                           "Date": entry["Date"], "Invoice": entry["Invoice"]}), "IsDeleted": True}
    books.company.put("Allocation", str(entry["AllocationID"]), body)
    return ItemResult(body=body, stored_id=str(entry["AllocationID"]))


def _failed_allocation(raw: dict[str, Any], errors: list[str]) -> ItemResult:
    body = {k: v for k, v in echo(raw).items() if k not in ("ValidationErrors", "StatusAttributeString")}
    body["StatusAttributeString"] = "ERROR"
    body["ValidationErrors"] = [{"Message": m} for m in errors]
    return ItemResult(body=body, errors=errors)
