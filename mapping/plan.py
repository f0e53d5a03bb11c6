"""The entry point: ``plan_case(case, tenant) -> CasePlan``, the exact documents one case revision posts.

A plan lists, per party (in the order the case names them), the credit document and its optional
follow-up, each as a :class:`PlannedDocument` whose ``payload`` is the JSON body as it goes on the wire
(with placeholders for ids only known at posting time, see :mod:`mapping.placeholders`) and whose
``payload_hash`` identifies it. The same case revision and tenant mapping always give the same plan,
byte for byte. A case that cannot be posted raises :class:`~mapping.errors.MappingError`.

How the posting engine and connectors use a plan:

1. resolve every :class:`PartyPlan` (``match_party`` over the fetched candidates; create from
   ``create_payload`` if ``create_if_missing``) -> ``party.id``;
2. if ``plan.original`` is set, look it up by number -> ``original.id``;
3. post each document in order; before (re)sending one whose outcome is unknown, look it up by
   ``lookup_field == tag`` (QBO ``DocNumber``/``PaymentRefNum``, Xero ``Reference``); a follow-up
   (``depends_on == "credit"``) needs the remote id of its party's credit -> ``credit.id``;
4. send ``bind(document.payload, values)`` to ``bind(document.path, values)`` with
   ``idempotency_key(posting_id, document.payload_hash, provider, generation)``, serialised by
   :func:`mapping.wire.dumps` (Decimals as number tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from config.mapping import MatchRule
from config.tenants import Provider, TenantConfig
from mapping import quickbooks, xero
from mapping.case import CaseKind, Party, RefundCase
from mapping.compose import compose
from mapping.entries import DocumentRole, Entry, Settlement
from mapping.errors import MappingError
from mapping.hashing import canonical_json, sha256_hex
from mapping.placeholders import find_placeholders, placeholders_in_text


@dataclass(frozen=True, slots=True)
class PlannedDocument:
    """One remote document of a case revision."""

    role: DocumentRole  # credit, then the optional refund or application follow-up
    type: str  # provider entity: VendorCredit, CreditMemo, RefundReceipt, Deposit, BillPayment, Payment,
    #            CreditNote, Allocation
    provider: Provider
    party: Party
    party_key: str  # stable key of the party (see mapping.parties.party_key)
    party_index: int  # 1-based, in the order the case names its parties
    tag: str | None  # QBO DocNumber (PaymentRefNum on a Payment); Xero CreditNoteNumber / Payment Reference
    reference: str | None  # Xero Reference (None on QBO and on allocations)
    lookup_field: str | None  # provider field to find the document by its tag; None: read via the credit
    path: str  # endpoint relative to the company's API root; may contain {{credit.id}}
    payload: dict[str, Any]  # wire body, unbound placeholders, Decimals for amounts, never a float
    payload_hash: str  # sha256 hex of the canonical JSON of the unbound payload
    depends_on: DocumentRole | None  # role whose remote id this document needs (credit.id)
    placeholders: frozenset[str]  # names used in payload and path
    amount: Decimal
    currency: str

    @property
    def key(self) -> str:
        """Unique within a case revision: ``"<party_index>:<role>"``, e.g. ``"2:refund"``."""
        return f"{self.party_index}:{self.role.value}"


@dataclass(frozen=True, slots=True)
class PartyPlan:
    """A party to resolve before posting, and how to create it if the tenant allows."""

    key: str
    index: int
    party: Party
    entity: str  # Vendor / Customer (QBO), Contact (Xero)
    match: tuple[MatchRule, ...]
    create_if_missing: bool
    create_payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OriginalDocument:
    """The bill/invoice an application follow-up needs, found by its number."""

    type: str  # QBO Bill / Invoice; Xero Invoice (ACCPAY bills are Invoices in Xero)
    number: str
    lookup_field: str  # QBO DocNumber; Xero InvoiceNumber


@dataclass(frozen=True, slots=True)
class CasePlan:
    case: RefundCase  # the revision planned
    case_id: str
    revision: int
    tenant: str
    provider: Provider
    documents: tuple[PlannedDocument, ...]
    parties: tuple[PartyPlan, ...]
    original: OriginalDocument | None
    entries: tuple[Entry, ...]
    notes: tuple[str, ...]  # deliberate omissions an operator should know about

    @property
    def case_hash(self) -> str:
        """The planned revision's :meth:`RefundCase.payload_hash` (what the ledger stores)."""
        return self.case.payload_hash()

    def document(self, key: str) -> PlannedDocument:
        for doc in self.documents:
            if doc.key == key:
                return doc
        raise KeyError(key)

    def credit_of(self, document: PlannedDocument) -> PlannedDocument:
        """The credit a follow-up depends on."""
        return self.document(f"{document.party_index}:{DocumentRole.CREDIT.value}")


def plan_case(case: RefundCase, tenant: TenantConfig, repost: int = 0) -> CasePlan:
    """Every document ``case`` posts in ``tenant``; raises :class:`MappingError` if it cannot be posted.

    ``repost``: the documents as the n-th operator repost sends them (own tags ``~g<n>``, see mapping.tags)."""
    composition = compose(case, tenant, repost)
    qbo = tenant.provider is Provider.QUICKBOOKS
    documents: list[PlannedDocument] = []
    parties: list[PartyPlan] = []
    original: OriginalDocument | None = None
    for entry in composition.entries:
        entity, create_body = (quickbooks if qbo else xero).party_payload(entry)
        parties.append(
            PartyPlan(
                key=entry.party_key,
                index=entry.party_index,
                party=entry.party,
                entity=entity,
                match=tuple(tenant.mapping.parties.match),
                create_if_missing=tenant.mapping.parties.create_if_missing,
                create_payload=create_body,
            )
        )
        documents.append(_credit(entry, tenant))
        if entry.settlement is not None:
            documents.append(_follow_up(entry, entry.settlement, tenant))
            if entry.settlement.role is DocumentRole.APPLICATION and entry.settlement.original_document:
                original = _original(case, tenant.provider, entry.settlement.original_document)
    return CasePlan(
        case=case,
        case_id=case.case_id,
        revision=case.revision,
        tenant=tenant.name,
        provider=tenant.provider,
        documents=tuple(documents),
        parties=tuple(parties),
        original=original,
        entries=composition.entries,
        notes=composition.notes,
    )


def plan_or_error(case: RefundCase, tenant: TenantConfig) -> CasePlan | MappingError:
    """:func:`plan_case` with the error returned instead of raised (for batch callers)."""
    try:
        return plan_case(case, tenant)
    except MappingError as exc:
        return exc


def _credit(entry: Entry, tenant: TenantConfig) -> PlannedDocument:
    if tenant.provider is Provider.QUICKBOOKS:
        type_ = quickbooks.credit_type(entry)
        payload = quickbooks.credit_payload(entry, tenant)
        path, lookup = type_.lower(), "DocNumber"
    else:
        type_, payload = "CreditNote", xero.credit_payload(entry, tenant)
        path, lookup = "CreditNotes", "Reference"
    return _document(entry, DocumentRole.CREDIT, type_, tenant.provider, entry.tag, entry.reference, lookup,
                     path, payload, None, entry.amount)


def _follow_up(entry: Entry, settlement: Settlement, tenant: TenantConfig) -> PlannedDocument:
    if tenant.provider is Provider.QUICKBOOKS:
        type_ = quickbooks.settlement_type(entry, settlement)
        payload = quickbooks.settlement_payload(entry, settlement, tenant)
        lookup = "PaymentRefNum" if type_ == "Payment" else "DocNumber"
        return _document(entry, settlement.role, type_, tenant.provider, settlement.tag, None, lookup,
                         type_.lower(), payload, DocumentRole.CREDIT, settlement.amount)
    type_ = xero.settlement_type(settlement)
    payload = xero.settlement_payload(entry, settlement)
    if type_ == "Payment":
        return _document(entry, settlement.role, type_, tenant.provider, settlement.reference,
                         settlement.reference, "Reference", "Payments", payload, DocumentRole.CREDIT,
                         settlement.amount)
    return _document(entry, settlement.role, type_, tenant.provider, None, None, None, xero.ALLOCATION_PATH,
                     payload, DocumentRole.CREDIT, settlement.amount)


def _document(
    entry: Entry,
    role: DocumentRole,
    type_: str,
    provider: Provider,
    tag: str | None,
    reference: str | None,
    lookup_field: str | None,
    path: str,
    payload: dict[str, Any],
    depends_on: DocumentRole | None,
    amount: Decimal,
) -> PlannedDocument:
    canonical = canonical_json(payload)
    return PlannedDocument(
        role=role,
        type=type_,
        provider=provider,
        party=entry.party,
        party_key=entry.party_key,
        party_index=entry.party_index,
        tag=tag,
        reference=reference,
        lookup_field=lookup_field,
        path=path,
        payload=payload,
        payload_hash=sha256_hex(canonical),
        depends_on=depends_on,
        placeholders=frozenset(placeholders_in_text(canonical) | find_placeholders(path)),
        amount=amount,
        currency=entry.currency,
    )


def _original(case: RefundCase, provider: Provider, number: str) -> OriginalDocument:
    if provider is Provider.QUICKBOOKS:
        type_ = "Bill" if case.kind is CaseKind.VENDOR_REFUND else "Invoice"
        return OriginalDocument(type_, number, "DocNumber")
    return OriginalDocument("Invoice", number, "InvoiceNumber")
