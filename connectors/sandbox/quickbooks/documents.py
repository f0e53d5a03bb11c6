"""QBO entity operations on one company: create, read, full and sparse update, delete, void.

The order of checks follows what Intuit reports first: unsupported properties (2010), required fields
(2020), string lengths (2050), references (2500, including inactive ones), closed books (6210),
duplicate document numbers (6140) and names (6240), then stale SyncToken (5010) on updates. Amounts
stay Decimal; totals are exact sums of the lines.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.quickbooks import faults as qf
from connectors.sandbox.quickbooks.entities import (
    LINE_DETAIL_REFERENCES,
    LINKED_TXN_TYPES,
    STRING_LIMITS,
    TOP_REFERENCES,
    EntitySpec,
)
from connectors.sandbox.quickbooks.schema import clean_entity
from connectors.sandbox.quickbooks.times import company_today, company_zone, entity_time
from connectors.sandbox.store import Company, Document

SERVER_FIELDS = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status")
MAGIC_TAX_CODES = ("TAX", "NON")
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
PAY_TYPES = ("Check", "CreditCard")


@dataclass(frozen=True)
class WriteOptions:
    allow_duplicate_doc_number: bool = False
    origin: str = "api"


class QboBooks:
    """The QBO view of a company."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.zone = company_zone(company.preferences.get("timezone"))

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
        self._validate(spec, body, existing=None, options=options)
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
        self._after_write(spec, doc.body, previous=None)
        return doc

    def seed(self, spec: EntitySpec, data: Any) -> Document:
        """Store a seed entity with its given Id (or the next one); the same checks as an API create."""
        body = self._clean(spec, data)
        doc_id = str(body.get("Id") or self.company.next_id(spec.sequence))
        for name in SERVER_FIELDS:
            body.pop(name, None)
        self._complete_names(spec, body)
        self._validate(spec, body, existing=None, options=WriteOptions(origin="seed"))
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
        self._after_write(spec, doc.body, previous=None)
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
        self._check_closed_books(spec, existing)
        self._validate(spec, merged, existing=existing, options=options)
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
        self._after_write(spec, doc.body, previous=existing)
        return doc

    # -- delete and void -------------------------------------------------------------------------

    def delete(self, spec: EntitySpec, data: Any, force: bool = False) -> dict[str, Any]:
        if not spec.deletable:
            raise qf.unsupported_operation("Delete")
        existing = self._target(spec, data, force)
        self._check_closed_books(spec, existing)
        self.company.mark_deleted(spec.name, existing["Id"])
        self._after_write(spec, None, previous=existing)
        return {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}

    def void(self, spec: EntitySpec, data: Any, force: bool = False) -> Document:
        if not spec.voidable and not force:
            raise qf.unsupported_operation("Void")
        existing = self._target(spec, data, force)
        self._check_closed_books(spec, existing)
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
        self._after_write(spec, doc.body, previous=existing)
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

    def _validate(
        self, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, options: WriteOptions
    ) -> None:
        for name in spec.required:
            if body.get(name) in (None, "", {}):
                raise qf.required(name)
        if spec.name == "Account" and not (body.get("AccountType") or body.get("AccountSubType")):
            raise qf.required("AccountType")
        if spec.name == "BillPayment":
            self._check_pay_type(body)
        for name, limit in STRING_LIMITS.items():
            value = body.get(name)
            if isinstance(value, str) and len(value) > limit:
                raise qf.string_too_long(name, limit, len(value))
        if spec.kind == "txn":
            lines = [ln for ln in body.get("Line", []) if ln.get("DetailType") != "SubTotalLineDetail"]
            if spec.needs_lines and not lines:
                raise qf.required("Line")
            for line in lines:
                self._check_line(spec, line)
        self._check_top_references(body)
        self._check_currency(body)
        if spec.kind == "txn":
            self._check_closed_books(spec, body)
            self._check_doc_number(spec, body, existing, options)
        if spec.unique_name:
            self._check_unique_name(spec, body, existing)

    def _check_pay_type(self, body: dict[str, Any]) -> None:
        pay_type = body.get("PayType")
        if pay_type not in PAY_TYPES:
            raise qf.invalid_enum("PayType", str(pay_type))
        if pay_type == "Check" and not (body.get("CheckPayment") or {}).get("BankAccountRef"):
            raise qf.required("CheckPayment.BankAccountRef")
        if pay_type == "CreditCard" and not (body.get("CreditCardPayment") or {}).get("CCAccountRef"):
            raise qf.required("CreditCardPayment.CCAccountRef")
        bank = (body.get("CheckPayment") or {}).get("BankAccountRef") or (
            body.get("CreditCardPayment") or {}
        ).get("CCAccountRef")
        self._reference(
            "Account",
            bank,
            "CheckPayment.BankAccountRef" if pay_type == "Check" else "CreditCardPayment.CCAccountRef",
        )

    def _check_line(self, spec: EntitySpec, line: dict[str, Any]) -> None:
        detail_type = line.get("DetailType")
        if spec.name in LINKED_TXN_TYPES:
            if "Amount" not in line:
                raise qf.required("Line.Amount")
            linked = line.get("LinkedTxn") or []
            if not linked:
                raise qf.required("Line.LinkedTxn")
            for link in linked:
                self._check_linked(LINKED_TXN_TYPES[spec.name], link)
            return
        if not detail_type:
            raise qf.required("Line.DetailType")
        if detail_type not in spec.line_details:
            raise qf.invalid_enum("Line.DetailType", str(detail_type))
        if detail_type == "DescriptionOnly":
            return
        if "Amount" not in line:
            raise qf.required("Line.Amount")
        detail = line.get(detail_type) or line.get("DescriptionLineDetail")
        if detail_type == "AccountBasedExpenseLineDetail":
            if not detail or not detail.get("AccountRef"):
                raise qf.required("Line.AccountBasedExpenseLineDetail.AccountRef")
        elif detail_type == "ItemBasedExpenseLineDetail":
            if not detail or not detail.get("ItemRef"):
                raise qf.required("Line.ItemBasedExpenseLineDetail.ItemRef")
        elif detail_type == "SalesItemLineDetail":
            detail = line.setdefault("SalesItemLineDetail", {})
            detail.setdefault("ItemRef", {"value": "1"})
        elif detail_type == "DepositLineDetail":
            if not (detail or {}).get("AccountRef") and not line.get("LinkedTxn"):
                raise qf.required("Line.DepositLineDetail.AccountRef")
            entity = (detail or {}).get("Entity")
            if entity:
                target = "Customer" if entity.get("type") == "Customer" else "Vendor"
                self._reference(target, entity, "Line.DepositLineDetail.Entity")
        for ref_name, target in LINE_DETAIL_REFERENCES.items():
            if detail and detail.get(ref_name):
                self._reference(target, detail[ref_name], f"Line.{detail_type}.{ref_name}")

    def _check_linked(self, allowed: tuple[str, ...], link: dict[str, Any]) -> None:
        txn_type = link.get("TxnType")
        if txn_type not in allowed:
            raise qf.invalid_enum("Line.LinkedTxn.TxnType", str(txn_type))
        doc = self.company.get(str(txn_type), str(link.get("TxnId")))
        if doc is None:
            raise qf.invalid_reference("Line.LinkedTxn.TxnId")

    def _check_top_references(self, body: dict[str, Any]) -> None:
        for ref_name, target in TOP_REFERENCES.items():
            if body.get(ref_name):
                self._reference(target, body[ref_name], ref_name)

    def _reference(self, target: str, ref: Any, element: str) -> None:
        value = str((ref or {}).get("value", "")) if isinstance(ref, dict) else str(ref or "")
        if not value:
            raise qf.invalid_reference(element)
        if target == "TaxCode" and value in MAGIC_TAX_CODES:
            return
        doc = self.company.get(target, value)
        if doc is None:
            raise qf.invalid_reference(element)
        if doc.body.get("Active") is False:
            raise qf.inactive_reference(element)

    def _check_currency(self, body: dict[str, Any]) -> None:
        currency = (body.get("CurrencyRef") or {}).get("value")
        if currency and currency != self.home_currency and not self.company.preferences.get("multicurrency"):
            raise qf.business_rule(
                "Multi-currency is not enabled for this company. Transactions must be in "
                f"the home currency {self.home_currency}."
            )

    def _check_closed_books(self, spec: EntitySpec, body: dict[str, Any]) -> None:
        closed = self.company.preferences.get("books_closed_date")
        if spec.kind != "txn" or not closed:
            return
        txn_date = body.get("TxnDate") or self.today()
        if str(txn_date) <= str(closed):
            raise qf.books_closed(str(closed))

    def _check_doc_number(
        self, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, options: WriteOptions
    ) -> None:
        number = body.get("DocNumber")
        if not number or options.allow_duplicate_doc_number:
            return
        if not self.company.preferences.get("enforce_unique_doc_number", True):
            return
        for doc in self.company.live(spec.name):
            if doc.body.get("DocNumber") == number and (existing is None or doc.id != existing["Id"]):
                raise qf.duplicate_doc_number(str(number), spec.name, doc.id)

    def _check_unique_name(
        self, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        assert spec.unique_name is not None
        name = body.get(spec.unique_name)
        if not name:
            return
        peers: Iterable[str] = ("Vendor", "Customer") if spec.name in ("Vendor", "Customer") else (spec.name,)
        for entity in peers:
            for doc in self.company.live(entity):
                same = existing is not None and entity == spec.name and doc.id == existing["Id"]
                if not same and str(doc.body.get(spec.unique_name, "")).lower() == str(name).lower():
                    raise qf.duplicate_name()

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
                (
                    wire.to_decimal(ln.get("Amount", 0))
                    for ln in lines
                    if ln.get("DetailType") == "SalesItemLineDetail"
                ),
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
                return str(
                    doc.body.get("FullyQualifiedName") or doc.body.get("DisplayName") or doc.body.get("Name")
                )
        return None

    # -- consequences of a write -----------------------------------------------------------------

    def _after_write(
        self, spec: EntitySpec, body: dict[str, Any] | None, previous: dict[str, Any] | None
    ) -> None:
        if spec.name in LINKED_TXN_TYPES:
            self.recompute_applied_balances(spec.name)
        if spec.name in ("Bill", "VendorCredit", "BillPayment"):
            self.recompute_party_balances("Vendor", "VendorRef", ("Bill",), ("VendorCredit",))
        if spec.name in ("Invoice", "CreditMemo", "Payment"):
            self.recompute_party_balances("Customer", "CustomerRef", ("Invoice",), ("CreditMemo",))

    def recompute_applied_balances(self, payment_entity: str) -> None:
        """Balances of what payments apply to (bills and vendor credits for bill payments, invoices and
        credit memos for payments) = total minus what live payments applied to them."""
        applied: dict[tuple[str, str], Decimal] = {}
        for payment in self.company.live(payment_entity):
            for line in payment.body.get("Line", []):
                for link in line.get("LinkedTxn", []):
                    key = (str(link.get("TxnType")), str(link.get("TxnId")))
                    applied[key] = applied.get(key, Decimal("0")) + wire.to_decimal(line.get("Amount", 0))
        for entity in LINKED_TXN_TYPES[payment_entity]:
            for doc in self.company.live(entity):
                balance = wire.to_decimal(doc.body.get("TotalAmt", 0)) - applied.get(
                    (entity, doc.id), Decimal("0")
                )
                if doc.body.get("Balance") != balance:
                    doc.body["Balance"] = balance
                    if "RemainingCredit" in doc.body:
                        doc.body["RemainingCredit"] = balance
                    doc.updated = self.company.clock.now()

    def recompute_party_balances(
        self, party: str, ref: str, owed: tuple[str, ...], credits: tuple[str, ...]
    ) -> None:
        balances: dict[str, Decimal] = {}
        for entity, sign in [(e, 1) for e in owed] + [(e, -1) for e in credits]:
            for doc in self.company.live(entity):
                party_id = str((doc.body.get(ref) or {}).get("value", ""))
                balances[party_id] = balances.get(party_id, Decimal("0")) + sign * wire.to_decimal(
                    doc.body.get("Balance", 0)
                )
        for doc in self.company.live(party):
            value = balances.get(doc.id, Decimal("0"))
            if doc.body.get("Balance") != value:
                doc.body["Balance"] = value


def _ordered(body: dict[str, Any]) -> dict[str, Any]:
    """Intuit lists the entity's own fields first and the server fields after; keep that order."""
    head = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
    tail: dict[str, Any] = {
        k: body[k] for k in ("domain", "sparse", "Id", "SyncToken", "MetaData") if k in body
    }
    return {**head, **tail}

