"""The Xero view of a company: stored documents by type, look-ups, listing with where/order/paging.

Documents are stored as Xero answers them (``/Date(...)/`` dates, Decimal money). Listing applies,
in Xero's order: If-Modified-Since, ``where``, ``order``, then ``page``/``pageSize``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.state import SandboxState
from connectors.sandbox.store import Company, Document
from connectors.sandbox.xero.dates import lock_date_text, ms_date, parse_date, parse_ms
from connectors.sandbox.xero.where import parse_order, parse_where, value_at

ZERO_ID = "00000000-0000-0000-0000-000000000000"
CENT = Decimal("0.01")

#: URL collection name -> (stored entity, id field, number field)
COLLECTIONS: dict[str, tuple[str, str, str | None]] = {
    "contacts": ("Contact", "ContactID", None),
    "accounts": ("Account", "AccountID", None),
    "taxrates": ("TaxRate", "TaxType", None),
    "trackingcategories": ("TrackingCategory", "TrackingCategoryID", None),
    "invoices": ("Invoice", "InvoiceID", "InvoiceNumber"),
    "creditnotes": ("CreditNote", "CreditNoteID", "CreditNoteNumber"),
    "payments": ("Payment", "PaymentID", None),
}
COLLECTION_KEYS = {
    "Contact": "Contacts",
    "Account": "Accounts",
    "TaxRate": "TaxRates",
    "TrackingCategory": "TrackingCategories",
    "Invoice": "Invoices",
    "CreditNote": "CreditNotes",
    "Payment": "Payments",
    "Allocation": "Allocations",
}
PAGED = frozenset({"Contact", "Invoice", "CreditNote", "Payment"})
BASE_FIELDS: dict[str, set[str]] = {
    "CreditNote": {
        "Type",
        "Contact",
        "Date",
        "DueDate",
        "Status",
        "LineAmountTypes",
        "SubTotal",
        "TotalTax",
        "Total",
        "UpdatedDateUTC",
        "CurrencyCode",
        "FullyPaidOnDate",
        "CreditNoteID",
        "CreditNoteNumber",
        "Reference",
        "SentToContact",
        "CurrencyRate",
        "RemainingCredit",
        "AppliedAmount",
        "HasAttachments",
        "BrandingThemeID",
    },
    "Invoice": {
        "Type",
        "Contact",
        "Date",
        "DueDate",
        "Status",
        "LineAmountTypes",
        "SubTotal",
        "TotalTax",
        "Total",
        "UpdatedDateUTC",
        "CurrencyCode",
        "FullyPaidOnDate",
        "InvoiceID",
        "InvoiceNumber",
        "Reference",
        "CurrencyRate",
        "AmountDue",
        "AmountPaid",
        "AmountCredited",
        "HasAttachments",
        "SentToContact",
    },
    "Contact": {
        "ContactID",
        "ContactNumber",
        "AccountNumber",
        "ContactStatus",
        "Name",
        "FirstName",
        "LastName",
        "EmailAddress",
        "IsSupplier",
        "IsCustomer",
        "DefaultCurrency",
        "UpdatedDateUTC",
        "TaxNumber",
    },
    "Payment": {
        "PaymentID",
        "Date",
        "Amount",
        "Reference",
        "Status",
        "PaymentType",
        "UpdatedDateUTC",
        "Invoice",
        "CreditNote",
        "Account",
        "IsReconciled",
        "CurrencyRate",
        "BankAmount",
    },
    "Account": {
        "AccountID",
        "Code",
        "Name",
        "Type",
        "Status",
        "TaxType",
        "Class",
        "EnablePaymentsToAccount",
        "BankAccountNumber",
        "CurrencyCode",
        "UpdatedDateUTC",
        "ReportingCode",
    },
    "TaxRate": {"Name", "TaxType", "Status", "EffectiveRate", "DisplayTaxRate", "ReportTaxType"},
    "TrackingCategory": {"TrackingCategoryID", "Name", "Status"},
}


class NotFound(LookupError):
    pass


MONEY_FIELDS = frozenset(
    {
        "Amount",
        "UnitAmount",
        "Quantity",
        "LineAmount",
        "TaxAmount",
        "Total",
        "SubTotal",
        "TotalTax",
        "CurrencyRate",
        "BankAmount",
        "AppliedAmount",
        "RemainingCredit",
        "AmountDue",
        "AmountPaid",
        "AmountCredited",
        "DiscountRate",
        "DiscountAmount",
    }
)


def echo(value: Any) -> Any:
    """A request item as Xero echoes it in an error: numeric strings in money fields become numbers."""
    if isinstance(value, list):
        return [echo(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in MONEY_FIELDS and isinstance(item, str):
            try:
                out[key] = wire.to_decimal(item)
                continue
            except wire.WireError:
                pass
        out[key] = echo(item)
    return out


def money(value: Decimal) -> Decimal:
    """Two decimal places, halves away from zero (Xero's rounding of line and tax amounts)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Listing:
    items: list[dict[str, Any]]
    pagination: dict[str, int] | None


class XeroBooks:
    def __init__(self, company: Company, state: SandboxState) -> None:
        self.company = company
        self.state = state

    # -- time ------------------------------------------------------------------------------------

    def now_ms(self) -> str:
        return ms_date(self.company.clock.now())

    def today(self) -> date:
        return datetime.fromtimestamp(self.company.clock.now(), tz=UTC).date()

    def envelope(
        self,
        key: str,
        items: list[dict[str, Any]],
        pagination: dict[str, int] | None = None,
        warnings: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        # Real Xero also sends Id, Status, ProviderName and DateTimeUTC here; the OpenAPI spec does not
        # define them, and the sandbox answers what the spec defines (see README).
        body: dict[str, Any] = {}
        if pagination is not None:
            body["pagination"] = pagination
        if warnings:
            body["Warnings"] = warnings
        body[key] = items
        return body

    # -- look-ups --------------------------------------------------------------------------------

    def docs(self, entity: str) -> list[Document]:
        return self.company.live(entity)

    def find(self, entity: str, id_field: str, value: str, number_field: str | None = None) -> Document | None:
        """By id (any case) or, where the type has one, by document number."""
        direct = self.company.get(entity, value) or self.company.get(entity, value.lower())
        if direct is not None:
            return direct
        wanted = value.lower()
        for doc in self.docs(entity):
            if str(doc.body.get(id_field, "")).lower() == wanted:
                return doc
        if number_field:
            for doc in self.docs(entity):
                if str(doc.body.get(number_field, "")) == value:
                    return doc
        return None

    def account_by_code(self, code: str) -> Document | None:
        return next((d for d in self.docs("Account") if d.body.get("Code") == code), None)

    def account_by_id(self, account_id: str) -> Document | None:
        return self.find("Account", "AccountID", account_id)

    def tax_rate(self, tax_type: str) -> Document | None:
        return next((d for d in self.docs("TaxRate") if d.body.get("TaxType") == tax_type), None)

    def contact_by_name(self, name: str) -> Document | None:
        wanted = name.strip().lower()
        return next((d for d in self.docs("Contact") if str(d.body.get("Name", "")).strip().lower() == wanted), None)

    def lock_problem(self, day: date) -> str | None:
        """The lock-date message for a document dated ``day``, or None when it is after both lock dates."""
        prefs = self.company.preferences
        end_of_year = parse_date(prefs.get("end_of_year_lock_date"))
        period = parse_date(prefs.get("period_lock_date"))
        if end_of_year is not None and day <= end_of_year:
            return (
                "The document date cannot be before the end of year lock date, currently set at "
                f"{lock_date_text(end_of_year)}"
            )
        if period is not None and day <= period:
            return f"The document date cannot be before the period lock date, currently set at {lock_date_text(period)}"
        return None

    @property
    def base_currency(self) -> str:
        return str(self.company.preferences.get("base_currency", "USD"))

    # -- listing ---------------------------------------------------------------------------------

    def known_fields(self, entity: str) -> set[str]:
        fields = set(BASE_FIELDS.get(entity, set()))
        for doc in self.docs(entity):
            fields.update(doc.body)
        return fields

    def listing(self, entity: str, query: dict[str, str], if_modified_since: float | None) -> Listing:
        """Filtered, ordered and paged documents. Raises QueryParseError (from where.py) on bad input."""
        docs = self.docs(entity)
        if entity == "Contact" and query.get("includearchived", "").lower() != "true":
            docs = [d for d in docs if d.body.get("ContactStatus") != "ARCHIVED"]
        if entity == "TrackingCategory" and query.get("includearchived", "").lower() != "true":
            docs = [d for d in docs if d.body.get("Status") != "ARCHIVED"]
        if if_modified_since is not None:
            docs = [
                d for d in docs if (parse_ms(str(d.body.get("UpdatedDateUTC", ""))) or d.updated) > if_modified_since
            ]
        items = [d.body for d in sorted(docs, key=lambda d: d.created)]  # stable: insertion order on ties
        ids = query.get("ids")
        id_field = next((f for e, f, _n in COLLECTIONS.values() if e == entity), None)
        if ids and id_field:
            wanted = {i.strip().lower() for i in ids.split(",")}
            items = [b for b in items if str(b.get(id_field, "")).lower() in wanted]
        where = query.get("where")
        if where:
            clause = parse_where(where, entity, self.known_fields(entity))
            items = [b for b in items if clause.matches(b)]
        order = query.get("order")
        if order:
            for name, descending in reversed(parse_order(order, entity, self.known_fields(entity))):
                items.sort(key=_key_for(name), reverse=descending)
        pagination = None
        if "page" in query and entity in PAGED:
            page = max(1, _int(query.get("page"), 1))
            size = min(1000, max(1, _int(query.get("pagesize"), 100)))
            count = len(items)
            pagination = {
                "page": page,
                "pageSize": size,
                "pageCount": (count + size - 1) // size,
                "itemCount": count,
            }
            items = items[(page - 1) * size : page * size]
        return Listing(items, pagination)


def _int(text: str | None, default: int) -> int:
    try:
        return int(str(text))
    except (TypeError, ValueError):
        return default


def _key_for(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda body: _sort_key(value_at(body, name))


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (1, "")
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, Decimal | int):
        return (0, Decimal(value))
    if isinstance(value, datetime):
        return (0, value.timestamp())
    return (0, str(value).lower())


UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
