"""QBO's checks on a create or update, in the order Intuit reports them: required fields (2020),
string lengths (2050), lines and their details, references that are missing or inactive (2500),
currency (6000), closed books (6210), duplicate document numbers (6140) and names (6240)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from connectors.sandbox.quickbooks import faults as qf
from connectors.sandbox.quickbooks.entities import (
    LINE_DETAIL_REFERENCES,
    LINKED_TXN_TYPES,
    STRING_LIMITS,
    TOP_REFERENCES,
    EntitySpec,
)
from connectors.sandbox.store import Company

if TYPE_CHECKING:
    from connectors.sandbox.quickbooks.documents import WriteOptions

MAGIC_TAX_CODES = ("TAX", "NON")
PAY_TYPES = ("Check", "CreditCard")


class QboChecks:
    """Validation of one company's writes; ``today`` gives the company's date for defaulted TxnDates."""

    def __init__(self, company: Company, today: Callable[[], str]) -> None:
        self.company = company
        self.today = today

    @property
    def home_currency(self) -> str:
        return str(self.company.preferences.get("home_currency", "USD"))

    def validate(
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
            self.check_closed_books(spec, body)
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
        bank = (body.get("CheckPayment") or {}).get("BankAccountRef") or (body.get("CreditCardPayment") or {}).get(
            "CCAccountRef"
        )
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

    def check_closed_books(self, spec: EntitySpec, body: dict[str, Any]) -> None:
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

    def _check_unique_name(self, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
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
