"""``/batch`` requests of up to 30 creates, and one outcome per document from the answer.

A batch carries no ``requestid`` (Intuit ignores it there), so exactly-once for batched documents rests on
the engine: anything whose outcome is uncertain is looked up by its DocNumber before it is sent again.
Hence the rules here: an item that failed with a Fault is classified on its own; an item missing from the
answer, or a whole batch lost to a timeout, a dropped connection or a 5xx, is ``uncertain`` for every
document in it (any of them may have been created).

python-quickbooks' ``BatchManager`` is not used: it serialises objects with ``to_json`` (Decimals as
strings, default values added), gives every item a random ``bId`` and matches answers back to SDK
objects; refundsync needs its own ``bId`` (the posting id) to match answers to postings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.errors import QBO, ProviderError, classify
from connectors.protocol import OutgoingDocument, PostOutcome
from connectors.quickbooks import faults
from connectors.quickbooks.provider import QuickBooksProvider
from connectors.quickbooks.reading import remote_document

#: HTTP status a per-item Fault stands for (Intuit answers the batch itself with 200).
FAULT_STATUS = {"ValidationFault": 400, "AuthenticationFault": 401, "AuthorizationFault": 403,
                "SystemFault": 500, "SERVICE": 503}


def batch_ids(documents: Sequence[OutgoingDocument], provider: QuickBooksProvider) -> list[str]:
    """The posting id when it fits Intuit's bId (a UUID does), else the item's position."""
    refs = [d.ref for d in documents]
    if all(0 < len(r) <= provider.batch_id_max for r in refs) and len(set(refs)) == len(refs):
        return refs
    return [str(i) for i in range(1, len(documents) + 1)]


def batch_body(documents: Sequence[OutgoingDocument], ids: Sequence[str]) -> dict[str, Any]:
    return {"BatchItemRequest": [{"bId": bid, "operation": "create", doc.type: doc.payload}
                                 for bid, doc in zip(ids, documents, strict=True)]}


def outcomes_from(answer: dict[str, Any], documents: Sequence[OutgoingDocument], ids: Sequence[str],
                  summary: str, provider: QuickBooksProvider) -> list[PostOutcome]:
    items = {str(item.get("bId")): item for item in answer.get("BatchItemResponse") or []
             if isinstance(item, dict)}
    outcomes = []
    for bid, doc in zip(ids, documents, strict=True):
        item = items.get(bid)
        fault = item.get("Fault") if item else None
        body = item.get(doc.type) if item else None
        if isinstance(fault, dict):
            error = faults.parse_fault_body(fault, status=FAULT_STATUS.get(str(fault.get("type")), 400))
            outcomes.append(PostOutcome(doc.ref, None, error, classify(error), error.status, summary))
        elif isinstance(body, dict) and body.get("Id"):
            outcomes.append(PostOutcome(doc.ref, remote_document(doc.type, body, provider), http_status=200,
                                        request_summary=summary))
        else:
            error = ProviderError(QBO, 200, None, f"the batch answer has no item for bId {bid}", write=True,
                                  raw=str(item)[:4000] if item else "")
            outcomes.append(PostOutcome(doc.ref, None, error, classify(error), 200, summary))
    return outcomes


def failed_batch(error: ProviderError, documents: Sequence[OutgoingDocument], summary: str,
                 classification: Any) -> list[PostOutcome]:
    """The whole request failed: every document shares its fate (uncertain if it may have landed)."""
    return [PostOutcome(d.ref, None, error, classification, error.status, summary) for d in documents]
