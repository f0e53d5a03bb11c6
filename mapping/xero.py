"""Entries spelled as Xero Accounting API JSON (one object per document, as in ``{"CreditNotes": [...]}``).

Documents:

* ``CreditNote`` of ``Type`` ``ACCPAYCREDIT`` (vendor_refund) or ``ACCRECCREDIT`` (customer_refund),
  ``AUTHORISED`` by default so it can be paid or allocated; ``CreditNoteNumber`` and ``Reference``
  carry the tag (``Reference`` is the field Xero can filter on efficiently).
* ``Payment`` against the credit note when cash moved (``PUT /Payments``), into the payment method's
  bank account, ``Reference`` tagged.
* ``Allocation`` of the credit note to the original bill/invoice
  (``PUT /CreditNotes/{CreditNoteID}/Allocations``).

Conventions chosen so that a payload survives xero-python unchanged (see tests): dates are written in
the form xero-python itself sends, ``/Date(<ms since epoch, UTC midnight>)/`` (its models cannot read
``YYYY-MM-DD`` into their date fields); amounts are Decimals (xero-python reads them as Decimal and writes
``float(value)``, exact for the at most 15 significant digits the mapping allows). ``Quantity`` is 1 and
``UnitAmount`` equals ``LineAmount``. ``LineAmountTypes`` is ``NoTax``, ``Inclusive`` (gross lines,
``TaxAmount`` when the rate is known) or ``Exclusive`` (net lines plus ``TaxAmount``). ``CurrencyCode``
is always sent; ``CurrencyRate`` only for a foreign currency with a known rate, written the Xero way
(foreign units per one home unit: the inverse of refundsync's home-per-foreign rate, rounded half-even
to 10 significant digits; it only affects Xero's home-currency conversion, never the document amounts).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from config.tenants import TenantConfig
from mapping.case import CaseKind
from mapping.entries import Entry, EntryLine, Settlement, TaxMode
from mapping.limits import INVERTED_RATE_SIGNIFICANT_DIGITS, XERO_CONTACT_NUMBER_MAX
from mapping.placeholders import CREDIT_ID, ORIGINAL_ID, PARTY_ID, placeholder

ONE = Decimal(1)
_EPOCH = date(1970, 1, 1)
_LINE_AMOUNT_TYPES = {TaxMode.NONE: "NoTax", TaxMode.INCLUSIVE: "Inclusive", TaxMode.EXCLUSIVE: "Exclusive"}
ALLOCATION_PATH = "CreditNotes/" + placeholder(CREDIT_ID) + "/Allocations"


def ms_date(day: date) -> str:
    """``/Date(1763596800000)/``: UTC midnight of ``day`` in milliseconds, as xero-python writes dates."""
    return f"/Date({(day - _EPOCH).days * 86_400_000})/"


def xero_rate(home_per_unit: Decimal) -> Decimal:
    """Xero's CurrencyRate (foreign units per home unit) from refundsync's home units per foreign unit."""
    with localcontext() as ctx:
        ctx.prec = INVERTED_RATE_SIGNIFICANT_DIGITS
        ctx.rounding = ROUND_HALF_EVEN
        return ONE / home_per_unit


def credit_note_type(entry: Entry) -> str:
    return "ACCPAYCREDIT" if entry.kind is CaseKind.VENDOR_REFUND else "ACCRECCREDIT"


def credit_payload(entry: Entry, tenant: TenantConfig) -> dict[str, Any]:
    """The CreditNote of one entry."""
    status = tenant.mapping.xero.credit_note_status if tenant.mapping.xero else "AUTHORISED"
    doc: dict[str, Any] = {
        "Type": credit_note_type(entry),
        "Contact": {"ContactID": placeholder(PARTY_ID)},
        "Date": ms_date(entry.date),
        "Status": status,
        "LineAmountTypes": _LINE_AMOUNT_TYPES[entry.tax_mode],
        "LineItems": [_line_item(line, entry) for line in entry.lines],
        "CurrencyCode": entry.currency,
    }
    _rate(doc, entry)
    doc["CreditNoteNumber"] = entry.tag
    doc["Reference"] = entry.reference
    return doc


def _line_item(line: EntryLine, entry: Entry) -> dict[str, Any]:
    amount = line.net if entry.tax_mode is TaxMode.EXCLUSIVE else line.gross
    item: dict[str, Any] = {
        "Description": line.description,
        "Quantity": ONE,
        "UnitAmount": amount,
        "LineAmount": amount,
    }
    if line.account is not None:
        item["AccountCode"] = line.account.value
    if line.item is not None:
        item["ItemCode"] = line.item.value
    if line.tax_code is not None:
        item["TaxType"] = line.tax_code
    if line.tax is not None:
        item["TaxAmount"] = line.tax
    if line.tracking:
        item["Tracking"] = [{"Name": category, "Option": option} for category, option in line.tracking]
    return item


def _rate(doc: dict[str, Any], entry: Entry) -> None:
    if entry.foreign and entry.exchange_rate is not None:
        doc["CurrencyRate"] = xero_rate(entry.exchange_rate)


def settlement_type(settlement: Settlement) -> str:
    return "Payment" if settlement.role == "refund" else "Allocation"


def settlement_payload(entry: Entry, settlement: Settlement) -> dict[str, Any]:
    """The Payment (refund) or Allocation (application) of one entry's credit note."""
    if settlement.role == "refund":
        assert settlement.account is not None
        doc: dict[str, Any] = {
            "CreditNote": {"CreditNoteID": placeholder(CREDIT_ID)},
            "Account": {"Code": settlement.account.value},
            "Date": ms_date(entry.date),
            "Amount": settlement.amount,
        }
        _rate(doc, entry)
        doc["Reference"] = settlement.reference
        return doc
    return {
        "Invoice": {"InvoiceID": placeholder(ORIGINAL_ID)},
        "Amount": settlement.amount,
        "Date": ms_date(entry.date),
    }


def party_payload(entry: Entry) -> tuple[str, dict[str, Any]]:
    """The Contact to create when none matches (create-if-missing)."""
    body: dict[str, Any] = {"Name": entry.party.name}
    external = entry.party.external_id
    if external and len(external) <= XERO_CONTACT_NUMBER_MAX:
        body["ContactNumber"] = external
    return "Contact", body
