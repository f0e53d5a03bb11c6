"""Xero JSON -> the protocol's RemoteDocument, RemoteParty and Outstanding.

Statuses: a credit note that is DRAFT, SUBMITTED, AUTHORISED or PAID is in the books (``active``; a
draft is ours too and must be adopted, not duplicated); VOIDED stays with zero effect (``voided``);
DELETED is gone. A payment is AUTHORISED or DELETED; an allocation is deleted when Xero says
``IsDeleted``.

``version`` is Xero's ``UpdatedDateUTC`` as sent: Xero has no SyncToken, and this stamp changes whenever
Xero changes the document (an edit, a payment or allocation applied to it).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.protocol import Outstanding, RemoteDocument, RemoteParty, RemoteStatus
from connectors.xero import wire

_CREDIT_STATUS = {"VOIDED": RemoteStatus.VOIDED, "DELETED": RemoteStatus.DELETED}


def allocation_remote_id(credit_note_id: str, allocation_id: str) -> str:
    """An allocation lives under its credit note (Xero has no endpoint for it alone), so its remote id names
    both: the 32 hex digits of the CreditNoteID, then the 32 of the AllocationID. That is 64 characters, the
    width of the ledger's ``postings.remote_id``; ``<CreditNoteID>/<AllocationID>`` (73) would not fit."""
    return uuid.UUID(credit_note_id).hex + uuid.UUID(allocation_id).hex


def split_allocation_id(remote_id: str) -> tuple[str, str]:
    """(CreditNoteID, AllocationID) of an allocation's remote id (the ``<id>/<id>`` form is read too)."""
    try:
        if "/" in remote_id:
            credit_note_id, allocation_id = remote_id.split("/", 1)
            return str(uuid.UUID(credit_note_id)), str(uuid.UUID(allocation_id))
        if len(remote_id) == 64:
            return str(uuid.UUID(hex=remote_id[:32])), str(uuid.UUID(hex=remote_id[32:]))
    except ValueError:
        pass
    raise ValueError(f"not the remote id of a Xero allocation (CreditNoteID and AllocationID): {remote_id!r}")


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):  # never produced by wire.loads; refuse rather than round silently
        raise TypeError("a float amount reached the Xero reader")
    try:
        return Decimal(value) if not isinstance(value, Decimal) else value
    except ArithmeticError:
        return None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _contact(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    contact = body.get("Contact")
    if not isinstance(contact, Mapping):
        return None, None
    return _text(contact.get("ContactID")), _text(contact.get("Name"))


def _issued(body: Mapping[str, Any], type_: str, id_key: str, number_key: str, remaining_key: str
            ) -> RemoteDocument:
    """A credit note or an invoice: the same shape in Xero, apart from the names of three fields."""
    party_id, party_name = _contact(body)
    return RemoteDocument(
        type=type_,
        remote_id=str(body[id_key]),
        number=_text(body.get(number_key)),
        reference=_text(body.get("Reference")),
        amount=_money(body.get("Total")),
        currency=_text(body.get("CurrencyCode")),
        party_id=party_id,
        party_name=party_name,
        date=wire.parse_date(body.get("Date")),
        status=_CREDIT_STATUS.get(str(body.get("Status", "")).upper(), RemoteStatus.ACTIVE),
        version=_text(body.get("UpdatedDateUTC")),
        updated_at=wire.parse_datetime(body.get("UpdatedDateUTC")),
        remaining=_money(body.get(remaining_key)),
        raw=dict(body),
    )


def credit_note(body: Mapping[str, Any]) -> RemoteDocument:
    return _issued(body, "CreditNote", "CreditNoteID", "CreditNoteNumber", "RemainingCredit")


def payment(body: Mapping[str, Any]) -> RemoteDocument:
    target = body.get("CreditNote") or body.get("Invoice") or {}
    party_id, party_name = _contact(target) if isinstance(target, Mapping) else (None, None)
    currency = _text(target.get("CurrencyCode")) if isinstance(target, Mapping) else None
    deleted = str(body.get("Status", "")).upper() == "DELETED"
    return RemoteDocument(
        type="Payment",
        remote_id=str(body["PaymentID"]),
        number=None,
        reference=_text(body.get("Reference")),
        amount=_money(body.get("Amount")),
        currency=currency,
        party_id=party_id,
        party_name=party_name,
        date=wire.parse_date(body.get("Date")),
        status=RemoteStatus.DELETED if deleted else RemoteStatus.ACTIVE,
        version=_text(body.get("UpdatedDateUTC")),
        updated_at=wire.parse_datetime(body.get("UpdatedDateUTC")),
        raw=dict(body),
    )


def allocation(body: Mapping[str, Any], credit: Mapping[str, Any] | None, credit_note_id: str) -> RemoteDocument:
    """One allocation; ``credit`` (its credit note, when read) supplies currency, contact and time."""
    party_id, party_name = _contact(credit) if credit else (None, None)
    deleted = bool(body.get("IsDeleted"))
    updated = credit.get("UpdatedDateUTC") if credit else None
    return RemoteDocument(
        type="Allocation",
        remote_id=allocation_remote_id(credit_note_id, str(body["AllocationID"])),
        number=None,
        reference=None,
        amount=_money(body.get("Amount", body.get("AppliedAmount"))),
        currency=_text(credit.get("CurrencyCode")) if credit else None,
        party_id=party_id,
        party_name=party_name,
        date=wire.parse_date(body.get("Date")),
        status=RemoteStatus.DELETED if deleted else RemoteStatus.ACTIVE,
        version=_text(updated),
        updated_at=wire.parse_datetime(updated),
        raw={**dict(body), "CreditNoteID": credit_note_id},
    )


def allocations_of(credit: Mapping[str, Any]) -> list[RemoteDocument]:
    credit_note_id = str(credit["CreditNoteID"])
    return [allocation(a, credit, credit_note_id) for a in credit.get("Allocations") or []
            if isinstance(a, Mapping) and a.get("AllocationID")]


def invoice(body: Mapping[str, Any]) -> RemoteDocument:
    return _issued(body, "Invoice", "InvoiceID", "InvoiceNumber", "AmountDue")


READERS = {"CreditNote": credit_note, "Payment": payment, "Invoice": invoice}


def party(contact: Mapping[str, Any]) -> RemoteParty:
    """A Xero contact as a party. The external id is ``ContactNumber``: Xero's field for "the contact's id
    in another system" (set only through the API, at most 50 characters, not shown for editing in Xero's
    screens), which is where create-if-missing writes the case's party id. Archived contacts are listed
    as inactive so a match on one is reported instead of silently creating a second contact."""
    return RemoteParty(
        id=str(contact["ContactID"]),
        name=str(contact.get("Name", "")),
        external_id=_text(contact.get("ContactNumber")),
        active=str(contact.get("ContactStatus", "ACTIVE")).upper() == "ACTIVE",
    )


def outstanding(body: Mapping[str, Any]) -> Outstanding:
    due = _money(body.get("AmountDue"))
    return Outstanding(
        type="Invoice",
        remote_id=str(body["InvoiceID"]),
        number=str(body.get("InvoiceNumber", "")),
        balance=due if due is not None else Decimal("0"),
        currency=_text(body.get("CurrencyCode")),
    )
