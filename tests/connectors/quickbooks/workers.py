"""What one worker process does in the multi-process tests (importable by a ``spawn``-ed child).

Each process builds its own runtime exactly as a worker would: its own Redis connections, its own
ledger token store on the shared database file, its own limiter and token keeper, and its own
``QuickBooksClient``. Nothing is shared but Redis, the ledger and the sandbox.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis import Redis

from config.settings import Settings
from config.tenants import TenantConfig, load_tenants
from connectors.auth import TokenKeeper
from connectors.limits import FleetLimiter
from connectors.protocol import OutgoingDocument
from connectors.quickbooks.client import QuickBooksClient
from connectors.registry import ConnectorRuntime
from mapping.hashing import idempotency_key
from mapping.plan import plan_case
from sync.ledger.db import session_factory
from sync.ledger.token_store import LedgerTokenStore
from tests.connectors.quickbooks.support import customer_card_refund


@dataclass(frozen=True)
class WorkerSetup:
    redis_url: str
    ledger_url: str
    token_key: str
    limiter_prefix: str
    minute_seconds: float
    tenants_file: Path
    tenant: str = "demo-qbo"
    http_timeout: float = 30.0


def build_client(setup: WorkerSetup) -> QuickBooksClient:
    redis = Redis.from_url(setup.redis_url)
    settings = Settings(database_url=setup.ledger_url, broker_url=setup.redis_url, token_key=setup.token_key,
                        limit_minute_seconds=setup.minute_seconds, http_timeout=setup.http_timeout,
                        quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret")
    store = LedgerTokenStore(session_factory(setup.ledger_url), setup.token_key)
    runtime = ConnectorRuntime(TokenKeeper(redis, store), FleetLimiter(redis, prefix=setup.limiter_prefix), settings)
    tenant: TenantConfig = load_tenants(setup.tenants_file).get(setup.tenant)
    return QuickBooksClient(tenant, runtime)


def read_after_barrier(setup: WorkerSetup, barrier: Any, results: Any, index: int) -> None:
    """Wait for the others, then make one call at the same moment as them."""
    try:
        client = build_client(setup)
        barrier.wait(timeout=120)
        found = client.find_by_tag("Bill", "DocNumber", "BILL-1042")
        results.put((index, "ok", [d.remote_id for d in found]))
    except Exception:  # reported to the test, which fails with it
        results.put((index, "error", traceback.format_exc()))


def post_until(setup: WorkerSetup, barrier: Any, results: Any, index: int, seconds: float, threads: int) -> None:
    """Post card refunds (RefundReceipts) one per call from ``threads`` threads, as fast as the limiter lets
    them, for ``seconds`` after the barrier; report how each call ended.

    RefundReceipts rather than VendorCredits: the sandbox recomputes a vendor's balance over all of its
    credits on every VendorCredit write, which after a few thousand of them costs more CPU than the rest of
    the request; that would measure the emulator on two busy cores, not the limiter."""
    try:
        client = build_client(setup)
        template = plan_case(customer_card_refund(f"RF-P{index}"), client.config).documents[0]
        payload = {**template.payload, "CustomerRef": {"value": "1"}}
        counts: dict[str, int] = {}
        lock = threading.Lock()

        def post_loop(thread: int, deadline: float) -> None:
            n = 0
            while time.monotonic() < deadline:
                n += 1
                tag = f"RF-P{index}{thread}-{n:05d}"
                ref = str(uuid.uuid4())
                doc = OutgoingDocument(ref, "RefundReceipt", "refundreceipt", {**payload, "DocNumber": tag}, tag,
                                       "DocNumber", idempotency_key(ref, template.payload_hash, "quickbooks"))
                [outcome] = client.post([doc])
                key = "created" if outcome.created else (outcome.classification.rule if outcome.classification
                                                         else "unclassified")
                with lock:
                    counts[key] = counts.get(key, 0) + 1

        barrier.wait(timeout=120)
        deadline = time.monotonic() + seconds
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(post_loop, t, deadline) for t in range(threads)]:
                future.result()
        results.put((index, "ok", counts))
    except Exception:
        results.put((index, "error", traceback.format_exc()))
