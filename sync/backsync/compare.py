"""What was meant vs what the books hold: one state and a field-by-field difference. Pure, no I/O.

Fields compared, per document type (``FIELDS``): a credit (VendorCredit, CreditMemo, RefundReceipt,
CreditNote) is compared on amount, currency, party, date, tag and status. A follow-up carries only what
the provider gives it: a QBO Deposit, BillPayment or Payment and a Xero Payment have their own amount,
party, date and tag (DocNumber / PaymentRefNum / Reference), so all of them are compared; a Xero
Allocation has no tag, and its party and currency are its credit note's (already compared on the credit),
so only its amount, date and status are. A field the provider did not report (``None``) is never a
difference: absence of evidence is not drift.

States, most serious first: ``removed`` (deleted or voided in the books), ``missing`` (not found, and no
change event said it went), ``duplicate`` (another active document bears our tag), ``mismatch`` (a field
differs beyond the tenant's tolerance), ``confirmed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.protocol import RemoteDocument, RemoteStatus
from mapping.parties import normalise_name
from sync.ledger.states import PostingState

ALL_FIELDS = ("amount", "currency", "party", "date", "tag", "status")
FIELDS: dict[str, tuple[str, ...]] = {
    "Allocation": ("amount", "date", "status"),
}


def fields_for(type_: str) -> tuple[str, ...]:
    return FIELDS.get(type_, ALL_FIELDS)


@dataclass(frozen=True)
class Tolerances:
    """How far a field may drift and still be confirmed (default: exact amount, same day)."""

    amount: Decimal = Decimal(0)
    date_days: int = 0


@dataclass(frozen=True)
class Expected:
    """What the books should say for one posting (from the case revision and the posting row)."""

    type: str
    remote_id: str | None
    amount: Decimal | None
    currency: str | None
    party_name: str | None
    #: The remote party the tenant's matching rules resolve the case party to, when known: compared by id.
    party_id: str | None
    date: date | None
    tag: str | None


@dataclass(frozen=True)
class Difference:
    field: str
    expected: str | None
    found: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "expected": self.expected, "found": self.found}


@dataclass(frozen=True)
class Duplicate:
    """Another active document bearing our tag (for example keyed by hand)."""

    remote_id: str
    number: str | None
    amount: str | None
    party: str | None

    @classmethod
    def of(cls, document: RemoteDocument) -> Duplicate:
        amount = str(document.amount) if document.amount is not None else None
        return cls(document.remote_id, document.number or document.reference, amount, document.party_name)

    def as_dict(self) -> dict[str, str | None]:
        return {"remote_id": self.remote_id, "number": self.number, "amount": self.amount, "party": self.party}


@dataclass(frozen=True)
class Verdict:
    state: PostingState
    differences: tuple[Difference, ...] = ()
    duplicates: tuple[Duplicate, ...] = field(default=())
    #: The state without the duplicates (what the posting returns to when they are gone).
    base: PostingState = PostingState.CONFIRMED

    def summary(self) -> str:
        """One line for `show`, `report` and `failed`: what differs, in a bookkeeper's words."""
        parts = [f"{d.field}: expected {d.expected or '-'}, found {d.found or '-'}" for d in self.differences]
        parts += [f"duplicate {d.number or '?'} (id {d.remote_id}, {d.amount or '?'})" for d in self.duplicates]
        return "; ".join(parts) if parts else "matches the books"

    def drift(self) -> dict[str, Any] | None:
        """The JSON stored in ``postings.drift`` (None when confirmed and nothing else to say)."""
        if self.state is PostingState.CONFIRMED:
            return None
        data: dict[str, Any] = {"base": self.base.value, "differences": [d.as_dict() for d in self.differences]}
        if self.duplicates:
            data["duplicates"] = [d.as_dict() for d in self.duplicates]
        return data


def compare(expected: Expected, remote: RemoteDocument | None, tolerances: Tolerances = Tolerances(),
            duplicates: Sequence[Duplicate] = ()) -> Verdict:
    """The state of one posting given its document as the books hold it (None: not found)."""
    dups = tuple(d for d in duplicates if d.remote_id != expected.remote_id)
    if remote is None:
        base = PostingState.MISSING
        diffs: tuple[Difference, ...] = (Difference("status", "active", "not found"),)
    elif remote.status is not RemoteStatus.ACTIVE:
        base = PostingState.REMOVED
        diffs = (Difference("status", "active", remote.status.value),)
    else:
        diffs = tuple(differences(expected, remote, tolerances))
        base = PostingState.MISMATCH if diffs else PostingState.CONFIRMED
    state = base
    if dups and base in (PostingState.CONFIRMED, PostingState.MISMATCH):
        state = PostingState.DUPLICATE
    return Verdict(state, diffs, dups, base)


def differences(expected: Expected, remote: RemoteDocument, tolerances: Tolerances) -> list[Difference]:
    wanted = fields_for(expected.type)
    found: list[Difference] = []
    if ("amount" in wanted and expected.amount is not None and remote.amount is not None
            and abs(remote.amount - expected.amount) > tolerances.amount):
        found.append(Difference("amount", _money(expected.amount), _money(remote.amount)))
    if ("currency" in wanted and expected.currency and remote.currency
            and expected.currency.upper() != remote.currency.upper()):
        found.append(Difference("currency", expected.currency, remote.currency))
    if "party" in wanted and not _same_party(expected, remote):
        found.append(Difference("party", expected.party_name,
                                remote.party_name or (f"id {remote.party_id}" if remote.party_id else None)))
    if ("date" in wanted and expected.date is not None and remote.date is not None
            and abs((remote.date - expected.date).days) > tolerances.date_days):
        found.append(Difference("date", expected.date.isoformat(), remote.date.isoformat()))
    if "tag" in wanted and expected.tag:
        tags = {t for t in (remote.number, remote.reference) if t}
        if tags and expected.tag not in tags:
            found.append(Difference("tag", expected.tag, remote.number or remote.reference))
    return found


def bears_tag(document: RemoteDocument, tag: str | None) -> bool:
    return bool(tag) and tag in (document.number, document.reference)


def _same_party(expected: Expected, remote: RemoteDocument) -> bool:
    if expected.party_id and remote.party_id:
        return expected.party_id == remote.party_id
    if expected.party_name and remote.party_name:
        return normalise_name(expected.party_name) == normalise_name(remote.party_name)
    return True  # one side unknown: nothing to compare


def _money(value: Decimal) -> str:
    return format(value, "f")
