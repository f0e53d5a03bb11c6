"""How a list of outgoing documents becomes Xero requests, and each answer item an outcome.

Credit notes go together (``PUT /CreditNotes``), payments together (``PUT /Payments``), allocations one
request per credit note (``PUT /CreditNotes/{id}/Allocations``: the id is in the path), each request at
most 50 documents, in that order (a batch never holds a credit note and its own follow-up: the engine
creates follow-ups after their credit is posted, but the order is safe either way).

One request carries one ``Idempotency-Key``. A request of one document uses that document's own key; a
request of several uses a key derived from all their keys in order, so re-sending the same batch within
Xero's ~6 minutes is replayed instead of duplicated, and any other batch gets a key of its own.

With ``summarizeErrors=false`` Xero answers 200 with one item per document, in request order; each item
says on its own whether it was created (``HasErrors`` / ``HasValidationErrors`` /
``StatusAttributeString``, ``ValidationErrors``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.errors import XERO, ProviderError, classify
from connectors.protocol import OutgoingDocument, PostOutcome, RemoteDocument
from connectors.xero import documents, faults
from connectors.xero.provider import ALLOCATION, CREDIT_NOTE, PAYMENT, DocumentKind
from connectors.xero.provider import XERO as PROVIDER

ZERO_ID = "00000000-0000-0000-0000-000000000000"
_ALLOCATION_PATH = re.compile(r"^CreditNotes/([0-9A-Za-z-]+)/Allocations$", re.IGNORECASE)


@dataclass(frozen=True)
class XeroRequest:
    """One PUT: its kind, the credit note in its path (allocations) and its documents."""

    kind: DocumentKind
    documents: tuple[OutgoingDocument, ...]
    credit_note_id: str | None = None

    @property
    def endpoint(self) -> str:
        if self.kind is ALLOCATION:
            return f"CreditNotes/{self.credit_note_id}/Allocations"
        return self.kind.collection

    @property
    def idempotency_key(self) -> str:
        keys = [d.idempotency_key for d in self.documents]
        if len(keys) == 1 and keys[0]:
            return keys[0]
        digest = hashlib.sha256("\n".join([self.endpoint, *keys]).encode()).hexdigest()
        return f"rs-batch-{len(keys)}-{digest}"

    def body(self) -> dict[str, Any]:
        return {self.kind.collection: [d.payload for d in self.documents]}

    def summary(self) -> str:
        """For the attempt row: what was sent, never a secret (no token, no body)."""
        return (f"PUT {self.endpoint}?summarizeErrors=false ({len(self.documents)} "
                f"{self.kind.type}{'s' if len(self.documents) != 1 else ''}, Idempotency-Key {self.idempotency_key})")


def plan_requests(outgoing: Sequence[OutgoingDocument]) -> list[XeroRequest]:
    """The requests for ``outgoing``, in posting order; a malformed document is a programming error."""
    credit_notes: list[OutgoingDocument] = []
    payments: list[OutgoingDocument] = []
    allocations: dict[str, list[OutgoingDocument]] = {}
    for doc in outgoing:
        kind = PROVIDER.kind(doc.type)
        if kind is CREDIT_NOTE and doc.path.strip("/").lower() == "creditnotes":
            credit_notes.append(doc)
        elif kind is PAYMENT and doc.path.strip("/").lower() == "payments":
            payments.append(doc)
        elif kind is ALLOCATION and (match := _ALLOCATION_PATH.match(doc.path.strip("/"))):
            allocations.setdefault(match.group(1), []).append(doc)
        else:
            raise ValueError(f"document {doc.ref}: a Xero {doc.type} cannot be posted to {doc.path!r}")
    requests: list[XeroRequest] = []
    size = PROVIDER.batch_size
    for kind, docs in ((CREDIT_NOTE, credit_notes), (PAYMENT, payments)):
        requests += [XeroRequest(kind, tuple(docs[i:i + size])) for i in range(0, len(docs), size)]
    for credit_note_id, docs in allocations.items():
        requests += [XeroRequest(ALLOCATION, tuple(docs[i:i + size]), credit_note_id)
                     for i in range(0, len(docs), size)]
    return requests


def failed(request: XeroRequest, error: ProviderError, summary: str | None = None) -> list[PostOutcome]:
    """Every document of a request that failed as a whole shares its error and classification."""
    classification = classify(error)
    return [PostOutcome(d.ref, None, error, classification, error.status, summary or request.summary())
            for d in request.documents]


def read_items(request: XeroRequest, status: int, answer: Any, raw: bytes) -> list[PostOutcome]:
    """One outcome per document from a ``summarizeErrors=false`` answer."""
    items = answer.get(request.kind.collection) if isinstance(answer, Mapping) else None
    if not isinstance(items, list) or len(items) != len(request.documents):
        count = len(items) if isinstance(items, list) else "no"
        error = ProviderError(XERO, status, "UnexpectedAnswer",
                              f"Xero answered {count} items for {len(request.documents)} documents; which of "
                              "them were created is unknown", raw=raw.decode("utf-8", "replace")[:4000])
        return failed(request, error)
    outcomes = []
    for doc, item in zip(request.documents, items, strict=True):
        outcomes.append(_read_item(request, doc, item, status))
    return outcomes


def _read_item(request: XeroRequest, doc: OutgoingDocument, item: Any, status: int) -> PostOutcome:
    summary = request.summary()
    if not isinstance(item, Mapping):
        error = ProviderError(XERO, status, "UnexpectedAnswer", "an answer item is not an object")
        return PostOutcome(doc.ref, None, error, classify(error), status, summary)
    item_error = faults.item_error(item)
    if item_error is not None:
        return PostOutcome(doc.ref, None, item_error, classify(item_error), status, summary)
    created = _created(request, item)
    if created is None:
        error = ProviderError(XERO, status, "UnexpectedAnswer",
                              f"Xero reported no error but returned no {request.kind.id_field}")
        return PostOutcome(doc.ref, None, error, classify(error), status, summary)
    return PostOutcome(doc.ref, created, http_status=status, request_summary=summary)


def _created(request: XeroRequest, item: Mapping[str, Any]) -> RemoteDocument | None:
    remote_id = str(item.get(request.kind.id_field) or "")
    if not remote_id or remote_id == ZERO_ID:
        return None
    if request.kind is ALLOCATION:
        assert request.credit_note_id is not None
        return documents.allocation(item, None, request.credit_note_id)
    return documents.READERS[request.kind.type](item)
