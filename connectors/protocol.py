"""What the posting engine and back-sync ask of a provider, and what comes back.

A :class:`ProviderConnector` describes a system (QuickBooks, Xero): its limits, its document types, how
to build a client. A :class:`TenantClient` is one company's connection: credentials, limiter scope and
caches. The engine only ever talks to a ``TenantClient``; it never sees an SDK object or an HTTP body.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from connectors.errors import Classification, ProviderError


class RemoteStatus(StrEnum):
    ACTIVE = "active"  # in the books
    VOIDED = "voided"  # kept in the books with zero effect
    DELETED = "deleted"  # gone (QBO CDC "Deleted", Xero DELETED)


@dataclass(frozen=True)
class OutgoingDocument:
    """One document to send: placeholders bound, key derived from the posting."""

    ref: str  # the posting id: outcomes are matched back by it
    type: str  # VendorCredit, CreditMemo, RefundReceipt, Deposit, BillPayment, CreditNote, Payment, Allocation
    path: str  # endpoint relative to the company's API root (placeholders bound)
    payload: dict[str, Any]  # bound wire body (Decimals for amounts)
    tag: str | None  # DocNumber / CreditNoteNumber / Payment reference: how it is found again
    lookup_field: str | None
    idempotency_key: str


@dataclass(frozen=True)
class RemoteDocument:
    """A document as the provider has it, in the terms back-sync compares."""

    type: str
    remote_id: str
    number: str | None  # QBO DocNumber, Xero CreditNoteNumber
    reference: str | None  # Xero Reference
    amount: Decimal | None
    currency: str | None
    party_id: str | None
    party_name: str | None
    date: date | None
    status: RemoteStatus
    version: str | None  # QBO SyncToken
    updated_at: datetime | None
    remaining: Decimal | None = None  # Xero RemainingCredit / QBO Balance
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class PostOutcome:
    """What happened to one :class:`OutgoingDocument`."""

    ref: str
    created: RemoteDocument | None  # set when the provider confirmed the document
    error: ProviderError | None = None
    classification: Classification | None = None
    http_status: int | None = None
    request_summary: str = ""

    @property
    def ok(self) -> bool:
        return self.created is not None


@dataclass(frozen=True)
class RemoteParty:
    id: str
    name: str
    external_id: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Outstanding:
    """The original bill or invoice a credit applies to, and what is still owed on it."""

    type: str
    remote_id: str
    number: str
    balance: Decimal
    currency: str | None


@dataclass(frozen=True)
class RemoteChange:
    """One entry of the change feed (QBO CDC / query, Xero If-Modified-Since)."""

    document: RemoteDocument
    changed_at: datetime | None


class TenantClient(Protocol):
    """One company's connection, as the engine uses it."""

    provider: str
    tenant: str

    def list_parties(self, entity: str) -> list[RemoteParty]: ...

    def create_party(self, entity: str, payload: dict[str, Any]) -> RemoteParty: ...

    def post(self, documents: Sequence[OutgoingDocument]) -> list[PostOutcome]: ...

    def find_by_tag(self, type_: str, lookup_field: str, tag: str) -> list[RemoteDocument]: ...

    def get(self, type_: str, remote_id: str) -> RemoteDocument | None: ...

    def changes(self, types: Sequence[str], since: datetime) -> Iterator[RemoteChange]: ...

    def void(self, type_: str, remote_id: str) -> RemoteDocument: ...

    def update(self, type_: str, remote_id: str, version: str | None, payload: dict[str, Any]) -> RemoteDocument:
        """Change a posted credit in place (an amended case revision), keeping its id.

        ``version`` is what the engine last read (QBO SyncToken, Xero UpdatedDateUTC); ``payload`` is the
        new revision's bound body. Raises :class:`CallFailed` when the provider refuses (the engine then
        voids and reposts instead)."""
        ...

    def outstanding(self, type_: str, lookup_field: str, number: str) -> Outstanding | None: ...


class CallFailed(Exception):
    """A read or a party/void call that did not work, already classified (post() returns outcomes instead)."""

    def __init__(self, error: ProviderError, classification: Classification):
        super().__init__(classification.reason)
        self.error = error
        self.classification = classification


#: ``find_by_tag(type, CREDIT_LOOKUP, credit_remote_id)`` finds follow-ups that have no tag of their own
#: (a Xero Allocation) through the credit they belong to.
CREDIT_LOOKUP = "credit"
