"""The provider-neutral entry: what one party's part of a case revision books, before any wire format.

:mod:`mapping.compose` builds entries from a case and the tenant's mapping (every business rule and every
check lives there); :mod:`mapping.quickbooks` and :mod:`mapping.xero` only spell an entry in their
provider's JSON. Amounts are Decimals already quantized to what the provider stores, and
``sum(line.gross) == amount`` and ``line.net + (line.tax or 0) == line.gross`` hold for every entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from mapping.case import CaseKind, Party


class DocumentRole(StrEnum):
    """Why a document exists: the credit itself, then the optional follow-ups that settle it."""

    CREDIT = "credit"
    REFUND = "refund"  # cash came back / went out: QBO Deposit, Xero Payment
    APPLICATION = "application"  # credit applied to the original bill/invoice


class TaxMode(StrEnum):
    NONE = "none"
    INCLUSIVE = "inclusive"
    EXCLUSIVE = "exclusive"


@dataclass(frozen=True, slots=True)
class Ref:
    """A provider key (QBO id, Xero code) with an optional display name."""

    value: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class EntryLine:
    number: int
    description: str
    gross: Decimal  # this line's part of the case amount (what the case log says)
    net: Decimal  # gross without tax; == gross unless a rate split it
    tax: Decimal | None  # tax inside gross when known (a rate was configured); None otherwise
    account: Ref | None  # QBO AccountRef / Xero AccountCode
    item: Ref | None  # QBO ItemRef (sales lines) / Xero ItemCode
    tax_code: str | None  # QBO TaxCodeRef / Xero TaxType
    class_id: str | None  # QBO ClassRef
    tracking: tuple[tuple[str, str], ...]  # Xero (category, option)


@dataclass(frozen=True, slots=True)
class Settlement:
    """A follow-up document settling the credit: a refund in cash, or an application to the original."""

    role: DocumentRole
    amount: Decimal
    account: Ref | None  # bank/clearing account (refund); QBO bill-payment bank account (application)
    qbo_payment_method: str | None
    transaction_id: str | None
    original_document: str | None
    tag: str
    reference: str | None


@dataclass(frozen=True, slots=True)
class Entry:
    case_id: str
    revision: int
    tenant: str
    kind: CaseKind
    party: Party
    party_key: str
    party_index: int
    party_count: int
    date: date
    currency: str
    foreign: bool
    exchange_rate: Decimal | None  # home-currency units per 1 unit of ``currency``
    amount: Decimal
    tax_mode: TaxMode
    total_tax: Decimal | None
    lines: tuple[EntryLine, ...]
    memo: str
    tag: str  # QBO DocNumber / Xero CreditNoteNumber
    reference: str | None  # Xero Reference
    cash_account: Ref | None  # set when the credit itself pays out (QBO RefundReceipt DepositToAccountRef)
    qbo_payment_method: str | None
    transaction_id: str | None
    department_id: str | None  # QBO DepartmentRef
    settlement: Settlement | None

    @property
    def cash(self) -> bool:
        """The credit document itself is the cash refund (QBO RefundReceipt)."""
        return self.cash_account is not None
