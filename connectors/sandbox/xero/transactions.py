"""Invoices (ACCPAY, ACCREC) and credit notes (ACCPAYCREDIT, ACCRECCREDIT): create, update, status.

Each item of a PUT/POST is validated on its own. A valid item is stored even when others in the same
request fail (Xero does the same); the caller decides how to report (summarized 400 or per item).

Statuses: create as DRAFT (default), SUBMITTED or AUTHORISED. DRAFT/SUBMITTED may become AUTHORISED or
DELETED; AUTHORISED may become VOIDED while nothing is paid or allocated; PAID follows automatically
when nothing remains. Approved documents may not be dated on or before a lock date.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.sandbox.xero.books import UUID_RE, ZERO_ID, XeroBooks, echo, money
from connectors.sandbox.xero.contacts import resolve_contact
from connectors.sandbox.xero.dates import date_to_ms, parse_date
from connectors.sandbox.xero.lines import LINE_AMOUNT_TYPES, build_lines, totals

CREDIT_TYPES = ("ACCPAYCREDIT", "ACCRECCREDIT")
INVOICE_TYPES = ("ACCPAY", "ACCREC")
NEW_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
APPROVED = ("AUTHORISED", "PAID")


@dataclass(frozen=True)
class Kind:
    entity: str  # "Invoice" | "CreditNote"
    id_field: str
    number_field: str
    types: tuple[str, ...]
    label: str  # used in messages: "Invoice" | "Credit Note"
    number_prefix: str


INVOICE = Kind("Invoice", "InvoiceID", "InvoiceNumber", INVOICE_TYPES, "Invoice", "INV-")
CREDIT_NOTE = Kind("CreditNote", "CreditNoteID", "CreditNoteNumber", CREDIT_TYPES, "Credit Note", "CN-")


ELEMENT_ID_FIELDS = (
    "CreditNoteID",
    "InvoiceID",
    "ContactID",
    "BatchPaymentID",
    "BankTransactionID",
    "ItemID",
    "PurchaseOrderID",
)


@dataclass
class ItemResult:
    """One item's outcome: the body to answer and, when stored, its id."""

    body: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    stored_id: str | None = None

    def element(self) -> dict[str, Any]:
        """The item as an ``Elements`` entry of a summarized 400: the spec's Element fields only."""
        out = {k: self.body[k] for k in ELEMENT_ID_FIELDS if isinstance(self.body.get(k), str)}
        out["ValidationErrors"] = [{"Message": m} for m in self.errors]
        return out


def save_document(books: XeroBooks, kind: Kind, raw: Any, allow_update: bool) -> ItemResult:
    """Create (or, for POST with an id, update) one invoice or credit note."""
    if not isinstance(raw, dict):
        return _failed(kind, {}, ["The document must be a JSON object"])
    doc_id = str(raw.get(kind.id_field) or "")
    if doc_id and doc_id != ZERO_ID:
        existing = books.find(kind.entity, kind.id_field, doc_id)
        if existing is None:
            return _failed(kind, raw, [f"{kind.label} could not be found"])
        if not allow_update:
            return _failed(kind, raw, [f"{kind.label} already exists; use POST to update it"])
        return update_document(books, kind, existing.body, raw)
    return create_document(books, kind, raw)


def create_document(books: XeroBooks, kind: Kind, raw: dict[str, Any], doc_id: str | None = None) -> ItemResult:
    """Create one document; ``doc_id`` fixes the id (seeds), otherwise one is drawn from the generator."""
    errors: list[str] = []
    doc_type = str(raw.get("Type") or "")
    if doc_type not in kind.types:
        errors.append(
            f"{kind.label} Type must be one of {', '.join(kind.types)}"
            if doc_type
            else f"{kind.label} Type must be specified"
        )
    status = str(raw.get("Status") or "DRAFT").upper()
    if status not in NEW_STATUSES:
        errors.append(f"A new {kind.label.lower()} can only be created as DRAFT, SUBMITTED or AUTHORISED")
    contact = resolve_contact(books, raw.get("Contact"), errors)
    day = parse_date(raw.get("Date")) if raw.get("Date") not in (None, "") else books.today()
    if day is None:
        errors.append("Date is not a valid date")
    line_amount_types = str(raw.get("LineAmountTypes") or "Exclusive")
    if line_amount_types not in LINE_AMOUNT_TYPES:
        errors.append(f"LineAmountTypes must be one of {', '.join(LINE_AMOUNT_TYPES)}")
        line_amount_types = "Exclusive"
    currency = str(raw.get("CurrencyCode") or books.base_currency)
    if currency != books.base_currency and not books.company.preferences.get("multicurrency"):
        errors.append(f"The currency '{currency}' is not enabled for this organisation.")
    approved = status in APPROVED or status == "SUBMITTED"
    lines = build_lines(books, raw.get("LineItems"), line_amount_types, approved, errors, books.state.ids)
    if approved and not lines:
        errors.append(f"A {kind.label.lower()} must have at least one line item to be approved.")
    if approved and day is not None:
        _check_lock(books, day, errors)
    number = str(raw.get(kind.number_field) or "")
    if not number and doc_type.startswith("ACCREC"):
        number = _next_number(books, kind)
    if number:
        _check_unique_number(books, kind, doc_type, number, None, errors)
    if errors:
        return _failed(kind, raw, errors)
    assert day is not None and contact is not None
    contact_doc = contact()
    doc_id = doc_id or books.state.ids.uuid()
    sub_total, total_tax, total = totals(lines, line_amount_types)
    body: dict[str, Any] = {"Type": doc_type, kind.id_field: doc_id}
    if number:
        body[kind.number_field] = number
    if raw.get("Reference") not in (None, ""):
        body["Reference"] = str(raw["Reference"])
    body.update(
        {
            "Contact": {"ContactID": contact_doc.body["ContactID"], "Name": contact_doc.body["Name"]},
            "Date": date_to_ms(day),
            "Status": status,
            "LineAmountTypes": line_amount_types,
            "LineItems": lines,
            "SubTotal": sub_total,
            "TotalTax": total_tax,
            "Total": total,
            "UpdatedDateUTC": books.now_ms(),
            "CurrencyCode": currency,
            "CurrencyRate": _rate(raw),
            "HasAttachments": False,
            "Payments": [],
        }
    )
    due = parse_date(raw.get("DueDate"))
    if due is not None:
        body["DueDate"] = date_to_ms(due)
    if kind is CREDIT_NOTE:
        body["RemainingCredit"] = total
        body["Allocations"] = []
    else:
        body.update(
            {
                "AmountDue": total,
                "AmountPaid": Decimal("0.00"),
                "AmountCredited": Decimal("0.00"),
                "CreditNotes": [],
            }
        )
    books.company.put(kind.entity, doc_id, body)
    _mark_party(contact_doc, doc_type)
    return ItemResult(body=body, stored_id=doc_id)


def update_document(books: XeroBooks, kind: Kind, current: dict[str, Any], raw: dict[str, Any]) -> ItemResult:
    errors: list[str] = []
    status = str(current["Status"])
    wanted = str(raw.get("Status") or status).upper()
    settled = bool(current.get("Payments")) or bool(current.get("Allocations")) or bool(current.get("CreditNotes"))
    if status in ("DELETED", "VOIDED"):
        return _failed(kind, raw, [f"This {kind.label.lower()} has been {status.lower()} and cannot be edited."])
    if status == "PAID" and wanted != "PAID":
        return _failed(kind, raw, [f"This {kind.label.lower()} has been paid and cannot be edited."])
    if wanted != status and not _transition_allowed(status, wanted):
        return _failed(kind, raw, [f"{kind.label} status cannot change from {status} to {wanted}."])
    if wanted == "VOIDED" and settled:
        return _failed(
            kind, raw, [f"This {kind.label.lower()} cannot be voided because it has payments or allocations."]
        )
    if wanted == "DELETED" and status not in ("DRAFT", "SUBMITTED"):
        return _failed(kind, raw, [f"Only draft and submitted {kind.label.lower()}s can be deleted."])
    body = copy.deepcopy(current)
    if "LineItems" in raw or "LineAmountTypes" in raw:
        if settled:
            return _failed(
                kind,
                raw,
                ["This document cannot be edited as it has a payment or credit note allocated to it."],
            )
        line_amount_types = str(raw.get("LineAmountTypes") or current["LineAmountTypes"])
        if line_amount_types not in LINE_AMOUNT_TYPES:
            errors.append(f"LineAmountTypes must be one of {', '.join(LINE_AMOUNT_TYPES)}")
            line_amount_types = str(current["LineAmountTypes"])
        raw_lines = raw.get("LineItems", current["LineItems"])
        lines = build_lines(
            books,
            raw_lines,
            line_amount_types,
            wanted in ("AUTHORISED", "SUBMITTED"),
            errors,
            books.state.ids,
        )
        sub_total, total_tax, total = totals(lines, line_amount_types)
        body.update(
            {
                "LineItems": lines,
                "LineAmountTypes": line_amount_types,
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
            }
        )
        if kind is CREDIT_NOTE:
            body["RemainingCredit"] = total
        else:
            body["AmountDue"] = total
    if raw.get("Contact"):
        contact = resolve_contact(books, raw.get("Contact"), errors)
        if contact is not None and not errors:
            found = contact()
            body["Contact"] = {"ContactID": found.body["ContactID"], "Name": found.body["Name"]}
    if raw.get("Date"):
        day = parse_date(raw["Date"])
        if day is None:
            errors.append("Date is not a valid date")
        else:
            body["Date"] = date_to_ms(day)
    if "Reference" in raw:
        body["Reference"] = str(raw.get("Reference") or "")
    number = raw.get(kind.number_field)
    if number and number != current.get(kind.number_field):
        _check_unique_number(books, kind, str(current["Type"]), str(number), current[kind.id_field], errors)
        body[kind.number_field] = str(number)
    if wanted in ("AUTHORISED", "SUBMITTED") and not body.get("LineItems"):
        errors.append(f"A {kind.label.lower()} must have at least one line item to be approved.")
    if wanted in ("AUTHORISED", "SUBMITTED", "VOIDED", "DELETED") or status in APPROVED:
        day = parse_date(body["Date"])
        if day is not None and (status in APPROVED or wanted in ("AUTHORISED", "SUBMITTED")):
            _check_lock(books, day, errors)
    if errors:
        return _failed(kind, raw, errors)
    body["Status"] = wanted
    if wanted == "VOIDED":
        for name in ("RemainingCredit", "AmountDue"):
            if name in body:
                body[name] = Decimal("0.00")
    body["UpdatedDateUTC"] = books.now_ms()
    books.company.put(kind.entity, current[kind.id_field], body)
    return ItemResult(body=body, stored_id=current[kind.id_field])


def _transition_allowed(current: str, wanted: str) -> bool:
    allowed = {
        "DRAFT": {"SUBMITTED", "AUTHORISED", "DELETED"},
        "SUBMITTED": {"DRAFT", "AUTHORISED", "DELETED"},
        "AUTHORISED": {"VOIDED"},
    }
    return wanted in allowed.get(current, set())


def _check_lock(books: XeroBooks, day: Any, errors: list[str]) -> None:
    problem = books.lock_problem(day)
    if problem:
        errors.append(problem)


def _check_unique_number(
    books: XeroBooks, kind: Kind, doc_type: str, number: str, own_id: str | None, errors: list[str]
) -> None:
    for doc in books.docs(kind.entity):
        body = doc.body
        if (
            body.get(kind.number_field) == number
            and body.get("Type") == doc_type
            and body.get("Status") not in ("DELETED", "VOIDED")
            and body.get(kind.id_field) != own_id
        ):
            errors.append(f"{kind.label} # must be unique.")
            return


def _next_number(books: XeroBooks, kind: Kind) -> str:
    used = {str(d.body.get(kind.number_field, "")) for d in books.docs(kind.entity)}
    counter = books.company.sequences.get(kind.number_prefix, 0)
    while True:
        counter += 1
        number = f"{kind.number_prefix}{counter:04d}"
        if number not in used:
            books.company.sequences[kind.number_prefix] = counter
            return number


def _rate(raw: dict[str, Any]) -> Decimal:
    value = raw.get("CurrencyRate")
    try:
        rate = Decimal(str(value)) if value not in (None, "", 0) else Decimal("1")
    except ArithmeticError:
        rate = Decimal("1")
    return rate.quantize(Decimal("0.000001"))


def _mark_party(contact: Any, doc_type: str) -> None:
    flag = "IsSupplier" if doc_type.startswith("ACCPAY") else "IsCustomer"
    if not contact.body.get(flag):
        contact.body[flag] = True


def _failed(kind: Kind, raw: dict[str, Any], errors: list[str]) -> ItemResult:
    """The item echoed back with Xero's error markers (id zeroed: nothing was stored)."""
    body = {k: v for k, v in echo(raw).items() if k not in ("ValidationErrors", "HasErrors", "StatusAttributeString")}
    if not UUID_RE.match(str(body.get(kind.id_field, ""))):
        body[kind.id_field] = ZERO_ID
    body["HasErrors"] = True
    body["ValidationErrors"] = [{"Message": message} for message in errors]
    return ItemResult(body=body, errors=errors)


def recompute_settlement(books: XeroBooks, kind: Kind, body: dict[str, Any]) -> None:
    """Remaining credit / amount due and PAID status from the document's payments and allocations."""
    total = body["Total"]
    paid = sum((p["Amount"] for p in body.get("Payments", [])), Decimal("0.00"))
    if kind is CREDIT_NOTE:
        allocated = sum((a["Amount"] for a in body.get("Allocations", [])), Decimal("0.00"))
        remaining = money(total - paid - allocated)
        body["RemainingCredit"] = remaining
        if allocated:
            body["AppliedAmount"] = allocated
        outstanding = remaining
    else:
        credited = sum((c["AppliedAmount"] for c in body.get("CreditNotes", [])), Decimal("0.00"))
        body["AmountPaid"] = money(paid)
        body["AmountCredited"] = money(credited)
        body["AmountDue"] = money(total - paid - credited)
        outstanding = body["AmountDue"]
    if body["Status"] in APPROVED:
        if outstanding == 0:
            body["Status"] = "PAID"
            body.setdefault("FullyPaidOnDate", books.now_ms())
        else:
            body["Status"] = "AUTHORISED"
            body.pop("FullyPaidOnDate", None)
    body["UpdatedDateUTC"] = books.now_ms()
