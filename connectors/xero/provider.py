"""What Xero is, for every tenant alike: its document types, endpoints, batch size and lookup fields.

The per-tenant :class:`connectors.xero.client.XeroClient` holds credentials, the limiter scope and
caches; this module holds only facts about the provider, so they are written down once:

* ``CreditNote`` (``ACCPAYCREDIT`` / ``ACCRECCREDIT``): ``PUT /CreditNotes``, found again by
  ``Reference`` (an optimised ``where`` field) and, when Reference is absent, by ``CreditNoteNumber``
  (the spec text calls Reference "ACCRECCREDIT only"; the mapping writes the same tag into both).
* ``Payment`` (a cash refund against a credit note): ``PUT /Payments``, found by ``Reference``.
* ``Allocation`` (a credit note applied to the original bill/invoice):
  ``PUT /CreditNotes/{CreditNoteID}/Allocations``. Xero has no endpoint to read or find an allocation on
  its own: it lives inside its credit note, so its remote id here names both (the two GUIDs' hex digits,
  64 characters: see :func:`connectors.xero.documents.allocation_remote_id`) and it is found through the
  credit note (``find_by_tag("Allocation", CREDIT_LOOKUP, credit_id)``).
* ``Invoice`` (ACCPAY bills and ACCREC invoices): only read, by ``InvoiceNumber``, for the open balance
  an allocation may use.

Up to 50 documents go in one request (Xero's advice; 3.5 MB cap), always with ``summarizeErrors=false``:
with the default, Xero creates the valid items of a failing batch without returning their ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class DocumentKind:
    """One Xero document type as refundsync posts and reads it."""

    type: str  # the protocol's type name: CreditNote, Payment, Allocation, Invoice
    collection: str  # JSON key of the list in request and response bodies
    id_field: str
    number_field: str | None
    lookup_fields: tuple[str, ...]  # fields a tag is searched in, in this order (first hit wins)
    postable: bool = True


@dataclass(frozen=True)
class XeroProvider:
    """Xero, described once."""

    name: str
    batch_size: int
    party_entity: str
    page_size: int
    documents: Mapping[str, DocumentKind]
    idempotency_key_max: int

    def kind(self, type_: str) -> DocumentKind:
        try:
            return self.documents[type_]
        except KeyError:
            known = ", ".join(sorted(self.documents))
            raise ValueError(f"Xero has no document type {type_!r} here (known: {known})") from None


CREDIT_NOTE = DocumentKind("CreditNote", "CreditNotes", "CreditNoteID", "CreditNoteNumber",
                           ("Reference", "CreditNoteNumber"))
PAYMENT = DocumentKind("Payment", "Payments", "PaymentID", None, ("Reference",))
ALLOCATION = DocumentKind("Allocation", "Allocations", "AllocationID", None, ())
INVOICE = DocumentKind("Invoice", "Invoices", "InvoiceID", "InvoiceNumber", ("InvoiceNumber",), postable=False)

XERO = XeroProvider(
    name="xero",
    batch_size=50,
    party_entity="Contact",
    page_size=100,  # Xero's own page size for CreditNotes, Payments, Contacts and Invoices
    documents=MappingProxyType({k.type: k for k in (CREDIT_NOTE, PAYMENT, ALLOCATION, INVOICE)}),
    idempotency_key_max=128,
)
