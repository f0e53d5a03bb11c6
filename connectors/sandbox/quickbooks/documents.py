"""QBO entity operations on one company: create, read, full and sparse update, delete, void.

A write is cleaned against the XSD (2010), checked (``validation.py``; on updates the SyncToken first,
5010), completed with what Intuit fills in (ids, SyncToken, MetaData, line numbers, totals, balances,
reference names), stored, and followed by the balances it moves (``balances.py``). Amounts stay
Decimal; totals are exact sums of the lines.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.quickbooks import faults as qf
from connectors.sandbox.quickbooks.balances import after_write
from connectors.sandbox.quickbooks.entities import (
    LINKED_TXN_TYPES,
    EntitySpec,
)
from connectors.sandbox.quickbooks.schema import clean_entity
from connectors.sandbox.quickbooks.times import company_today, company_zone, entity_time
from connectors.sandbox.quickbooks.validation import QboChecks
from connectors.sandbox.store import Company, Document

SERVER_FIELDS = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status")
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "GBP": "British Pound Sterling",
    "EUR": "Euro",
    "AUD": "Australian Dollar",
    "JPY": "Japanese Yen",
    "CNY": "Chinese Yuan Renminbi",
    "NZD": "New Zealand Dollar",
}
CLASSIFICATIONS = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}


@dataclass(frozen=True)
class WriteOptions:
    allow_duplicate_doc_number: bool = False
    origin: str = "api"


class QboBooks:
    """The QBO view of a company."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.zone = company_zone(company.preferences.get("timezone"))
        self.checks = QboChecks(company, self.today)

    # -- helpers -------------------------------------------------------------------------------

    @property
    def home_currency(self) -> str:
        return str(self.company.preferences.get("home_currency", "USD"))

    def now_text(self) -> str:
        return entity_time(self.company.clock.now(), self.zone)

    def today(self) -> str:
        return company_today(self.company.clock.now(), self.zone)

    def read(self, spec: EntitySpec, doc_id: str) -> dict[str, Any]:
        doc = self.company.get(spec.name, doc_id)
        if doc is None:
            raise qf.object_not_found(spec.name, doc_id)
        return doc.body

    # -- create ----------------------------------------------------------------------------------

    def create(self, spec: EntitySpec, data: Any, options: WriteOptions = WriteOptions()) -> Document:
        if not spec.writable:
            raise qf.unsupported_operation(f"Create of {spec.name}")
        body = self._clean(spec, data)
        for name in SERVER_FIELDS:
            body.pop(name, None)
        self._complete_names(spec, body)
        self.checks.validate(spec, body, existing=None, options=options)
        doc_id = self.company.next_id(spec.sequence)
        now = self.now_text()
        body = {
            **body,
            "Id": doc_id,
            "SyncToken": "0",
            "MetaData": {"CreateTime": now, "LastUpdatedTime": now},
            "domain": "QBO",
            "sparse": False,
        }
        self._derive(spec, body, existing=None)
        doc = self.company.put(spec.name, doc_id, _ordered(body), origin=options.origin)
        after_write(self.company, spec, doc.body, previous=None)
        return doc

    def seed(self, spec: EntitySpec, data: Any) -> Document:
        """Store a seed entity with its given Id (or the next one); the same checks as an API create."""
        body = self._clean(spec, data)
        doc_id = str(body.get("Id") or self.company.next_id(spec.sequence))
        for name in SERVER_FIELDS:
            body.pop(name, None)
        self._complete_names(spec, body)
        self.checks.validate(spec, body, existing=None, options=WriteOptions(origin="seed"))
        created = self.now_text()
        body = {
            **body,
            "Id": doc_id,
            "SyncToken": "0",
            "MetaData": {"CreateTime": created, "LastUpdatedTime": created},
            "domain": "QBO",
            "sparse": False,
        }
        self._derive(spec, body, existing=None)
        doc = self.company.put(spec.name, doc_id, _ordered(body), origin="seed")
        self.company.bump_sequence(spec.sequence, doc_id)
        after_write(self.company, spec, doc.body, previous=None)
        return doc

    # -- update ----------------------------------------------------------------------------------

    def update(
        self, spec: EntitySpec, data: Any, options: WriteOptions = WriteOptions(), force: bool = False
    ) -> Document:
        """Full or sparse (``"sparse": true``) update. ``force`` skips the SyncToken check (admin edits)."""
        if not spec.writable:
            raise qf.unsupported_operation(f"Update of {spec.name}")
        body = self._clean(spec, data)
        doc_id = body.get("Id")
        if not doc_id:
            raise qf.required("Id")
        existing_doc = self.company.get(spec.name, str(doc_id), include_deleted=True)
        if existing_doc is None:
            raise qf.object_not_found(spec.name, str(doc_id))
        if existing_doc.deleted:
            raise qf.deleted_by_another_user()
        existing = existing_doc.body
        if not force:
            if "SyncToken" not in body:
                raise qf.required("SyncToken")
            if str(body["SyncToken"]) != existing["SyncToken"]:
                raise qf.stale_object()
        sparse = bool(body.get("sparse"))
        for name in SERVER_FIELDS:
            body.pop(name, None)
        if sparse:
            merged = {k: copy.deepcopy(v) for k, v in existing.items() if k not in SERVER_FIELDS}
            merged.update(body)
        else:
            merged = body
        self._complete_names(spec, merged)
        self.checks.check_closed_books(spec, existing)
        self.checks.validate(spec, merged, existing=existing, options=options)
        merged = {
            **merged,
            "Id": existing["Id"],
            "SyncToken": str(int(existing["SyncToken"]) + 1),
            "MetaData": {
                "CreateTime": existing["MetaData"]["CreateTime"],
                "LastUpdatedTime": self.now_text(),
            },
            "domain": "QBO",
            "sparse": False,
        }
        self._derive(spec, merged, existing=existing)
        doc = self.company.put(spec.name, existing["Id"], _ordered(merged))
        after_write(self.company, spec, doc.body, previous=existing)
        return doc

    # -- delete and void -------------------------------------------------------------------------

    def delete(self, spec: EntitySpec, data: Any, force: bool = False) -> dict[str, Any]:
        if not spec.deletable:
            raise qf.unsupported_operation("Delete")
        existing = self._target(spec, data, force)
        self.checks.check_closed_books(spec, existing)
        self.company.mark_deleted(spec.name, existing["Id"])
        after_write(self.company, spec, None, previous=existing)
        return {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}

    def void(self, spec: EntitySpec, data: Any, force: bool = False) -> Document:
        if not spec.voidable and not force:
            raise qf.unsupported_operation("Void")
        existing = self._target(spec, data, force)
        self.checks.check_closed_books(spec, existing)
        voided = copy.deepcopy(existing)
        for line in voided.get("Line", []):
            if "Amount" in line:
                line["Amount"] = Decimal("0")
        voided["TotalAmt"] = Decimal("0")
        for name in ("Balance", "RemainingCredit", "HomeTotalAmt", "HomeBalance"):
            if name in voided:
                voided[name] = Decimal("0")
        note = existing.get("PrivateNote")
        voided["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        voided["SyncToken"] = str(int(existing["SyncToken"]) + 1)
        voided["MetaData"] = {**existing["MetaData"], "LastUpdatedTime": self.now_text()}
        doc = self.company.put(spec.name, existing["Id"], voided)
        after_write(self.company, spec, doc.body, previous=existing)
        return doc

    def _target(self, spec: EntitySpec, data: Any, force: bool) -> dict[str, Any]:
        if not isinstance(data, dict) or not data.get("Id"):
            raise qf.required("Id")
        doc_id = str(data["Id"])
        doc = self.company.get(spec.name, doc_id, include_deleted=True)
        if doc is None:
            raise qf.object_not_found(spec.name, doc_id)
        if doc.deleted:
            raise qf.deleted_by_another_user()
        if not force:
            if data.get("SyncToken") in (None, ""):
                raise qf.required("SyncToken")
            if str(data["SyncToken"]) != doc.body["SyncToken"]:
                raise qf.stale_object()
        return doc.body

    # -- validation ------------------------------------------------------------------------------

    def _clean(self, spec: EntitySpec, data: Any) -> dict[str, Any]:
        body, problems = clean_entity(spec.name, data)
        if problems:
            raise qf.unsupported_property([(p.path, p.detail) for p in problems])
        return body

    def _complete_names(self, spec: EntitySpec, body: dict[str, Any]) -> None:
        """QBO builds DisplayName from the person or company name when it is not given."""
        if spec.name in ("Vendor", "Customer") and not body.get("DisplayName"):
            person = " ".join(str(body[k]) for k in ("GivenName", "MiddleName", "FamilyName") if body.get(k))
            name = person or body.get("CompanyName")
            if name:
                body["DisplayName"] = name

    # -- derived fields --------------------------------------------------------------------------

    def _derive(self, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
        self._name_references(body)
        currency = (body.get("CurrencyRef") or {}).get("value") or self.home_currency
        if spec.kind == "name":
            body.setdefault("Active", True)
            if spec.name in ("Vendor", "Customer"):
                body["CurrencyRef"] = {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)}
                body.setdefault("PrintOnCheckName", body.get("DisplayName"))
                body.setdefault("Balance", (existing or {}).get("Balance", Decimal("0")))
            if spec.name == "Account":
                body.setdefault("FullyQualifiedName", body["Name"])
                body.setdefault("SubAccount", False)
                if body.get("AccountType"):
                    body.setdefault("Classification", CLASSIFICATIONS.get(str(body["AccountType"]), "Asset"))
                body.setdefault("CurrentBalance", (existing or {}).get("CurrentBalance", Decimal("0")))
                body["CurrencyRef"] = {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)}
            if spec.name == "Item":
                body.setdefault("Type", "Service")
                body.setdefault("FullyQualifiedName", body["Name"])
            return
        if spec.kind != "txn":
            return
        body.setdefault("TxnDate", self.today())
        body["CurrencyRef"] = {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)}
        body.setdefault("ExchangeRate", Decimal("1"))
        if not body.get("ExchangeRate"):
            body["ExchangeRate"] = Decimal("1")
        self._number_lines(spec, body, existing)
        total = self._total(spec, body)
        body["TotalAmt"] = total
        if spec.open_balance:
            if existing is None or existing.get("TotalAmt") != total:
                body["Balance"] = total
            else:
                body["Balance"] = existing.get("Balance", total)
        if spec.remaining_credit:
            body["RemainingCredit"] = body["Balance"]
        if spec.name in ("Bill", "Invoice") and not body.get("DueDate"):
            body["DueDate"] = body["TxnDate"]
        if spec.name in ("Bill", "VendorCredit") and not body.get("APAccountRef"):
            ap = self.company.preferences.get("ap_account_id")
            if ap:
                body["APAccountRef"] = {"value": str(ap)}
                self._name_references(body)
        if spec.name in ("Invoice", "CreditMemo", "RefundReceipt", "Bill", "VendorCredit"):
            body.setdefault("TxnTaxDetail", {"TotalTax": Decimal("0")})

    def _total(self, spec: EntitySpec, body: dict[str, Any]) -> Decimal:
        if spec.name in LINKED_TXN_TYPES:
            return wire.to_decimal(body["TotalAmt"])
        total = Decimal("0")
        for line in body.get("Line", []):
            detail_type = line.get("DetailType")
            if detail_type in ("SubTotalLineDetail", "DescriptionOnly"):
                continue
            amount = wire.to_decimal(line.get("Amount", 0))
            total += -amount if detail_type == "DiscountLineDetail" else amount
        tax = (body.get("TxnTaxDetail") or {}).get("TotalTax")
        if tax:
            total += wire.to_decimal(tax)
        return total

    def _number_lines(self, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
        lines = [ln for ln in body.get("Line", []) if ln.get("DetailType") != "SubTotalLineDetail"]
        used = {str(ln["Id"]) for ln in (existing or {}).get("Line", []) if ln.get("Id")}
        used |= {str(ln["Id"]) for ln in lines if ln.get("Id")}
        next_id = max((int(i) for i in used if i.isdigit()), default=0)
        for index, line in enumerate(lines, start=1):
            if not line.get("Id"):
                next_id += 1
                line["Id"] = str(next_id)
            line["LineNum"] = index
            if "Amount" in line:
                line["Amount"] = wire.to_decimal(line["Amount"])
            line.setdefault("LinkedTxn", [])
        if spec.sub_total_line:
            sub_total = sum(
                (wire.to_decimal(ln.get("Amount", 0)) for ln in lines if ln.get("DetailType") == "SalesItemLineDetail"),
                Decimal("0"),
            )
            lines.append({"Amount": sub_total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        body["Line"] = lines

    def _name_references(self, body: Any) -> None:
        """Fill ``name`` of every reference the way Intuit returns them."""
        if isinstance(body, list):
            for item in body:
                self._name_references(item)
            return
        if not isinstance(body, dict):
            return
        for key, value in body.items():
            if key.endswith("Ref") and isinstance(value, dict) and value.get("value"):
                name = self._display_name(key, str(value["value"]))
                if name is not None:
                    value["name"] = name
            elif isinstance(value, dict | list):
                self._name_references(value)

    def _display_name(self, ref_name: str, value: str) -> str | None:
        targets = {
            "VendorRef": ("Vendor",),
            "CustomerRef": ("Customer",),
            "ItemRef": ("Item",),
            "AccountRef": ("Account",),
            "APAccountRef": ("Account",),
            "ARAccountRef": ("Account",),
            "DepositToAccountRef": ("Account",),
            "BankAccountRef": ("Account",),
            "CCAccountRef": ("Account",),
            "IncomeAccountRef": ("Account",),
            "ExpenseAccountRef": ("Account",),
            "AssetAccountRef": ("Account",),
            "ClassRef": ("Class",),
            "PaymentMethodRef": ("PaymentMethod",),
        }.get(ref_name)
        for entity in targets or ():
            doc = self.company.get(entity, value)
            if doc is not None:
                return str(doc.body.get("FullyQualifiedName") or doc.body.get("DisplayName") or doc.body.get("Name"))
        return None

    # -- consequences of a write -----------------------------------------------------------------


def _ordered(body: dict[str, Any]) -> dict[str, Any]:
    """Intuit lists the entity's own fields first and the server fields after; keep that order."""
    head = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
    tail: dict[str, Any] = {k: body[k] for k in ("domain", "sparse", "Id", "SyncToken", "MetaData") if k in body}
    return {**head, **tail}
