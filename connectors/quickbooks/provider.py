"""What QuickBooks Online is, independent of any company: its documents, limits and look-up fields.

The per-tenant :class:`~connectors.quickbooks.client.QuickBooksClient` holds credentials, the limiter
scope and caches; everything here is the same for every realm (Sentry-style split of a provider
description and its per-tenant clients).

How each document refundsync posts is found again (its tag field), whose it is, and how it is undone:

- VendorCredit: DocNumber, VendorRef; deleted (Intuit's API has no void for vendor credits).
- Deposit: DocNumber, the line's DepositLineDetail.Entity; deleted (no void for deposits).
- BillPayment: DocNumber, VendorRef; voided (``operation=update&include=void``, sparse).
- RefundReceipt: DocNumber, CustomerRef; deleted (python-quickbooks has no void for it, and none is
  confirmed in the references at hand).
- CreditMemo: DocNumber, CustomerRef; deleted (Intuit: "The Operation Void for CreditMemo is not supported
  for Quickbooks Online", QuickBooks-V3-PHP-SDK #133; python-quickbooks has none either).
- Payment: PaymentRefNum, CustomerRef; voided (``operation=update&include=void``, sparse).

The voids are the ones python-quickbooks' ``VoidMixin`` implements (Payment, BillPayment; also Invoice
and SalesReceipt, which refundsync never posts). The local sandbox also accepts a void of a
CreditMemo or RefundReceipt; the client follows Intuit and the SDK and deletes those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from config.tenants import TenantConfig


class Undo(StrEnum):
    VOID = "void"  # kept in the books with every amount zeroed and "Voided" in the memo
    DELETE = "delete"  # removed; CDC reports it as Deleted


@dataclass(frozen=True)
class DocumentKind:
    """One QBO entity refundsync posts (or reads as an original)."""

    name: str
    lookup_field: str  # the tag field: DocNumber, or PaymentRefNum on a Payment
    party_ref: str | None  # VendorRef / CustomerRef; None: the party sits on the lines (Deposit)
    undo: Undo
    #: For a payment that applies a credit: the credit types whose linked line amount is the document's
    #: amount when its TotalAmt is zero (a zero-total payment that only moves credit onto a bill/invoice).
    applies: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """The endpoint below ``/v3/company/<realm>/`` (python-quickbooks lower-cases the entity name)."""
        return self.name.lower()


@dataclass(frozen=True)
class QuickBooksProvider:
    """QuickBooks Online as refundsync uses it."""

    name: str = "quickbooks"
    minor_version: int = 75  # Intuit's minimum (and default) since 2025-08-01
    batch_size: int = 30  # operations per /batch request
    batch_id_max: int = 36  # characters of a bId
    request_id_max: int = 50  # characters of a requestid
    max_results: int = 1000  # rows per query page (MAXRESULTS ceiling)
    cdc_days: float = 30.0  # how far back change data capture reaches
    cdc_max_objects: int = 1000  # objects per CDC answer, all entities together
    #: Intuit advises waiting a minute after a 429 that carries no Retry-After (in provider minutes).
    throttle_wait_minutes: float = 1.0
    #: Vendor and Customer keep the case log's party id in AcctNum (both have it in Intuit's schema, it is
    #: free text up to 20 characters, and nothing else in QuickBooks writes to it).
    party_external_id_field: str = "AcctNum"
    parties: tuple[str, ...] = ("Vendor", "Customer")
    originals: tuple[str, ...] = ("Bill", "Invoice")
    documents: dict[str, DocumentKind] = field(default_factory=lambda: {
        kind.name: kind for kind in (
            DocumentKind("VendorCredit", "DocNumber", "VendorRef", Undo.DELETE),
            DocumentKind("Deposit", "DocNumber", None, Undo.DELETE),
            DocumentKind("BillPayment", "DocNumber", "VendorRef", Undo.VOID, applies=("VendorCredit",)),
            DocumentKind("RefundReceipt", "DocNumber", "CustomerRef", Undo.DELETE),
            DocumentKind("CreditMemo", "DocNumber", "CustomerRef", Undo.DELETE),
            DocumentKind("Payment", "PaymentRefNum", "CustomerRef", Undo.VOID, applies=("CreditMemo",)),
            # originals a credit applies to: read, never posted
            DocumentKind("Bill", "DocNumber", "VendorRef", Undo.DELETE),
            DocumentKind("Invoice", "DocNumber", "CustomerRef", Undo.VOID),
        )
    })

    def document(self, type_: str) -> DocumentKind:
        try:
            return self.documents[type_]
        except KeyError:
            known = ", ".join(sorted(self.documents))
            raise UnknownDocumentType(f"QuickBooks document type {type_!r} is not one refundsync uses ({known})"
                                      ) from None

    def api_root(self, tenant: TenantConfig) -> str:
        """``https://quickbooks.api.intuit.com/v3`` (or the sandbox's): what the SDK calls ``api_url``."""
        return f"{tenant.api_base_url}/v3"


class UnknownDocumentType(ValueError):
    """A type the mapping should never produce for QuickBooks (a programming error, not a provider answer)."""


QUICKBOOKS = QuickBooksProvider()
