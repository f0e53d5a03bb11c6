"""Worker processes for the fleet tests: each builds its own runtime (own Redis connections, own token
store handle, own SDK instance) from a picklable :class:`SharedRuntime`, exactly as a worker would."""

from __future__ import annotations

import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from connectors.xero.client import XeroClient
from mapping.plan import plan_case
from tests.connectors.xero.helpers import SHENZHEN, XERO, SharedRuntime, xero_case
from tests.support.connectors import sandbox_tenants


def _client(shared: SharedRuntime) -> XeroClient:
    tenant = sandbox_tenants(shared.base_url).get(XERO)
    return XeroClient(tenant, shared.runtime())


def listing_worker(shared: SharedRuntime, barrier: Barrier, results: Queue[dict[str, Any]]) -> None:
    """Wait for the others (or the test), then make one call with the stored token and report."""
    try:
        client = _client(shared)
        barrier.wait(timeout=60)
        started = time.time()
        count = len(client.list_parties("Contact"))
        results.put({"ok": True, "contacts": count, "started": started, "took": time.time() - started})
    except Exception as exc:  # reported to the test, which fails with it
        results.put({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


def posting_worker(shared: SharedRuntime, index: int, barrier: Barrier, seconds: float,
                   results: Queue[dict[str, Any]]) -> None:
    """Post credit notes one request at a time, as fast as the fleet limiter lets us, for ``seconds``."""
    from connectors.protocol import OutgoingDocument
    from mapping.hashing import idempotency_key
    from mapping.placeholders import PARTY_ID, bind

    try:
        client = _client(shared)
        tenant = client.config
        barrier.wait(timeout=60)
        deadline = time.time() + seconds
        counts: dict[str, int] = {}
        n = 0
        while time.time() < deadline:
            n += 1
            case_id = f"RF-P{index}-{n:05d}"
            doc = plan_case(xero_case(case_id, amount="19.90", lines=None), tenant).documents[0]
            outgoing = OutgoingDocument(case_id, doc.type, doc.path, bind(doc.payload, {PARTY_ID: SHENZHEN}),
                                        doc.tag, doc.lookup_field, idempotency_key(case_id, doc.payload_hash, "xero"))
            outcome = client.post([outgoing])[0]
            key = "created" if outcome.ok else (outcome.classification.rule if outcome.classification else "?")
            counts[key] = counts.get(key, 0) + 1
        results.put({"ok": True, "index": index, "counts": counts})
    except Exception as exc:
        results.put({"ok": False, "index": index, "error": f"{type(exc).__name__}: {exc}"})
