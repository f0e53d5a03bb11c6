"""Entries spelled as QuickBooks Online v3 JSON bodies (one entity object per document).

Documents (entity names are the QBO ones, element names those of Intuit's schema):

* ``vendor_refund``: ``VendorCredit`` (AccountBasedExpenseLineDetail lines). Follow-ups:
  ``Deposit`` when cash came back (one DepositLineDetail line, received from the vendor, crediting the
  A/P account so it offsets the credit), or ``BillPayment`` applying the credit to the original bill (a
  zero-amount check payment with one line linked to the Bill and one linked to the VendorCredit).
* ``customer_refund``: ``RefundReceipt`` when the case paid money out (SalesItemLineDetail lines, paid
  from the payment method's account), else ``CreditMemo`` (store credit), optionally followed by a
  zero-amount ``Payment`` applying it to the original invoice (lines linked to the Invoice and the
  CreditMemo).

Amounts: ``Line.Amount`` is net of tax when a tax rate split it (QBO treats line amounts as tax
exclusive; ``TaxInclusiveAmt`` carries the gross for ``TaxInclusive``), and the gross otherwise.
``CurrencyRef`` is sent only for a foreign-currency case, with ``ExchangeRate`` (home units per unit,
QBO's convention) when a rate is known; without one QuickBooks applies its own rate of the day.
``GlobalTaxCalculation`` is sent only when the tenant splits tax (US companies reject it otherwise).
Payloads are bodies for ``POST /v3/company/<realm>/<entity>`` (or a ``BatchItemRequest`` item).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from config.tenants import TenantConfig
from mapping.case import CaseKind
from mapping.entries import Entry, EntryLine, Ref, Settlement, TaxMode
from mapping.limits import QBO_PAYMENT_REF_NUM_MAX
from mapping.placeholders import CREDIT_ID, ORIGINAL_ID, PARTY_ID, placeholder

ONE = Decimal(1)
_GLOBAL_TAX = {TaxMode.INCLUSIVE: "TaxInclusive", TaxMode.EXCLUSIVE: "TaxExcluded"}


def credit_type(entry: Entry) -> str:
    if entry.kind is CaseKind.VENDOR_REFUND:
        return "VendorCredit"
    return "RefundReceipt" if entry.cash else "CreditMemo"


def settlement_type(entry: Entry, settlement: Settlement) -> str:
    if settlement.role == "refund":
        return "Deposit"
    return "BillPayment" if entry.kind is CaseKind.VENDOR_REFUND else "Payment"


def ref_json(ref: Ref) -> dict[str, Any]:
    return {"value": ref.value, "name": ref.name} if ref.name else {"value": ref.value}


def credit_payload(entry: Entry, tenant: TenantConfig) -> dict[str, Any]:
    """The VendorCredit, RefundReceipt or CreditMemo body of one entry."""
    vendor = entry.kind is CaseKind.VENDOR_REFUND
    doc: dict[str, Any] = {"DocNumber": entry.tag, "TxnDate": entry.date.isoformat()}
    doc["VendorRef" if vendor else "CustomerRef"] = {"value": placeholder(PARTY_ID)}
    qb = tenant.mapping.quickbooks
    if vendor and qb is not None and qb.ap_account is not None:
        ap = qb.ap_account
        doc["APAccountRef"] = ref_json(Ref(ap.value_for("quickbooks") or "", ap.name))
    if entry.cash_account is not None:
        doc["DepositToAccountRef"] = ref_json(entry.cash_account)
        if entry.qbo_payment_method:
            doc["PaymentMethodRef"] = {"value": entry.qbo_payment_method}
        if entry.transaction_id and len(entry.transaction_id) <= QBO_PAYMENT_REF_NUM_MAX:
            doc["PaymentRefNum"] = entry.transaction_id
    _currency(doc, entry)
    if entry.department_id:
        doc["DepartmentRef"] = {"value": entry.department_id}
    if entry.tax_mode in _GLOBAL_TAX:
        doc["GlobalTaxCalculation"] = _GLOBAL_TAX[entry.tax_mode]
    if entry.total_tax is not None:
        doc["TxnTaxDetail"] = {"TotalTax": entry.total_tax}
    doc["PrivateNote"] = entry.memo
    doc["Line"] = [(_expense_line if vendor else _sales_line)(line, entry) for line in entry.lines]
    return doc


def _amount(line: EntryLine, entry: Entry) -> Decimal:
    return line.net if line.tax is not None else line.gross


def _expense_line(line: EntryLine, entry: Entry) -> dict[str, Any]:
    assert line.account is not None  # compose guarantees an account on vendor lines
    detail: dict[str, Any] = {"AccountRef": ref_json(line.account)}
    _line_extras(detail, line, entry)
    return {
        "LineNum": line.number,
        "Description": line.description,
        "Amount": _amount(line, entry),
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": detail,
    }


def _sales_line(line: EntryLine, entry: Entry) -> dict[str, Any]:
    assert line.item is not None  # compose guarantees an item on QBO sales lines
    amount = _amount(line, entry)
    detail: dict[str, Any] = {"ItemRef": ref_json(line.item), "Qty": ONE, "UnitPrice": amount}
    _line_extras(detail, line, entry)
    return {
        "LineNum": line.number,
        "Description": line.description,
        "Amount": amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": detail,
    }


def _line_extras(detail: dict[str, Any], line: EntryLine, entry: Entry) -> None:
    if line.class_id:
        detail["ClassRef"] = {"value": line.class_id}
    if line.tax_code:
        detail["TaxCodeRef"] = {"value": line.tax_code}
    if entry.tax_mode is TaxMode.INCLUSIVE and line.tax is not None:
        detail["TaxInclusiveAmt"] = line.gross


def _currency(doc: dict[str, Any], entry: Entry) -> None:
    if entry.foreign:
        doc["CurrencyRef"] = {"value": entry.currency}
        if entry.exchange_rate is not None:
            doc["ExchangeRate"] = entry.exchange_rate


def settlement_payload(entry: Entry, settlement: Settlement, tenant: TenantConfig) -> dict[str, Any]:
    """The Deposit, BillPayment or Payment that settles one entry's credit."""
    if settlement.role == "refund":
        return _deposit(entry, settlement, tenant)
    if entry.kind is CaseKind.VENDOR_REFUND:
        return _bill_payment(entry, settlement)
    return _payment(entry, settlement)


def _deposit(entry: Entry, settlement: Settlement, tenant: TenantConfig) -> dict[str, Any]:
    qb = tenant.mapping.quickbooks
    assert settlement.account is not None and qb is not None and qb.ap_account is not None
    ap = Ref(qb.ap_account.value_for("quickbooks") or "", qb.ap_account.name)
    detail: dict[str, Any] = {
        "Entity": {"value": placeholder(PARTY_ID), "type": "VENDOR"},
        "AccountRef": ref_json(ap),
    }
    if settlement.qbo_payment_method:
        detail["PaymentMethodRef"] = {"value": settlement.qbo_payment_method}
    doc: dict[str, Any] = {
        "DocNumber": settlement.tag,
        "TxnDate": entry.date.isoformat(),
        "DepositToAccountRef": ref_json(settlement.account),
    }
    _currency(doc, entry)
    if entry.department_id:
        doc["DepartmentRef"] = {"value": entry.department_id}
    doc["PrivateNote"] = entry.memo
    doc["Line"] = [
        {
            "LineNum": 1,
            "Description": f"refund of vendor credit {entry.tag}",
            "Amount": settlement.amount,
            "DetailType": "DepositLineDetail",
            "DepositLineDetail": detail,
        }
    ]
    return doc


def _bill_payment(entry: Entry, settlement: Settlement) -> dict[str, Any]:
    assert settlement.account is not None
    zero = Decimal(0).quantize(settlement.amount)
    doc: dict[str, Any] = {
        "DocNumber": settlement.tag,
        "TxnDate": entry.date.isoformat(),
        "VendorRef": {"value": placeholder(PARTY_ID)},
        "PayType": "Check",
        "CheckPayment": {"BankAccountRef": ref_json(settlement.account)},
        "TotalAmt": zero,
    }
    _currency(doc, entry)
    doc["PrivateNote"] = entry.memo
    doc["Line"] = [
        {"Amount": settlement.amount, "LinkedTxn": [{"TxnId": placeholder(ORIGINAL_ID), "TxnType": "Bill"}]},
        {"Amount": settlement.amount, "LinkedTxn": [{"TxnId": placeholder(CREDIT_ID), "TxnType": "VendorCredit"}]},
    ]
    return doc


def _payment(entry: Entry, settlement: Settlement) -> dict[str, Any]:
    zero = Decimal(0).quantize(settlement.amount)
    doc: dict[str, Any] = {
        "PaymentRefNum": settlement.tag,
        "TxnDate": entry.date.isoformat(),
        "CustomerRef": {"value": placeholder(PARTY_ID)},
        "TotalAmt": zero,
    }
    _currency(doc, entry)
    doc["PrivateNote"] = entry.memo
    doc["Line"] = [
        {"Amount": settlement.amount, "LinkedTxn": [{"TxnId": placeholder(ORIGINAL_ID), "TxnType": "Invoice"}]},
        {"Amount": settlement.amount, "LinkedTxn": [{"TxnId": placeholder(CREDIT_ID), "TxnType": "CreditMemo"}]},
    ]
    return doc


def party_payload(entry: Entry) -> tuple[str, dict[str, Any]]:
    """The Vendor/Customer to create when none matches (create-if-missing).

    QuickBooks rejects ``:`` in a display name (it separates sub-customers), so it is written as ``-``;
    a vendor or customer of a foreign-currency case is created in that currency (QBO fixes a name's
    currency at creation).
    """
    entity = "Vendor" if entry.kind is CaseKind.VENDOR_REFUND else "Customer"
    body: dict[str, Any] = {"DisplayName": entry.party.name.replace(":", "-")}
    if entry.foreign:
        body["CurrencyRef"] = {"value": entry.currency}
    return entity, body
