"""Back-sync throughput and memory over 10,000 / 50,000 / 100,000 remote documents.

For each size: a fresh sandbox (its own process, so its memory is not ours), a fresh SQLite ledger and
redis-server; one VendorCredit created through the QuickBooks API, copied N times by the sandbox's bulk
seed (``POST /_sandbox/companies/{c}/bulk``, last changes one second apart), and N matching ledger
postings in state ``posted``. Then one back-sync of the tenant, through the real connector (CDC, 1,000
objects an answer, the fleet limiter in Redis), is timed, and run again under tracemalloc for the peak
of Python allocations. Every posting must end ``confirmed``.

Usage: .venv/bin/python bench/backsync.py [--sizes 10000,50000,100000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from redis import Redis
from sqlalchemy import func, insert, select, update

from connectors.sandbox.client import SandboxAdmin
from mapping.parties import normalise_name
from sync.backsync.run import backsync_tenant
from sync.engine.flush import EngineDeps
from sync.engine.runtime import ClientCache
from sync.ledger.db import session_factory, upgrade
from sync.ledger.models import CaseRevision, Posting
from sync.logs import configure_logging
from tests.support.connectors import make_runtime, sandbox_tenants, sandbox_tokens
from tests.support.servers import free_port, redis_server

TENANT = "demo-qbo"
REALM = "9130355377389516"
VENDOR = "Shenzhen Lianhua Trading Co."
AMOUNT = "42.50"
DAY = "2026-11-20"


@contextmanager
def sandbox_process(workdir: Path) -> Iterator[SandboxAdmin]:
    port = free_port()
    log = (workdir / "sandbox.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "sync.cli", "sandbox", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1],
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    admin = SandboxAdmin(f"http://127.0.0.1:{port}", timeout=600)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the sandbox did not start; see " + str(workdir / "sandbox.log")) from None
                time.sleep(0.2)
        yield admin
    finally:
        admin.close()
        proc.terminate()
        proc.wait(30)
        log.close()


def template_credit(admin: SandboxAdmin) -> str:
    """One VendorCredit created through the API as refundsync would post it: the copies' template."""
    tokens = admin.issue_tokens(TENANT)
    body = {"VendorRef": {"value": "56"}, "TxnDate": DAY, "DocNumber": "BK-TEMPLATE",
            "Line": [{"Amount": AMOUNT, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "93"}}}]}
    answer = httpx.post(f"{admin.base_url}/v3/company/{REALM}/vendorcredit?minorversion=75",
                        headers={"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json",
                                 "Content-Type": "application/json"}, content=json.dumps(body), timeout=30)
    answer.raise_for_status()
    return str(answer.json()["VendorCredit"]["Id"])


def seed_ledger(url: str, ids: list[str]) -> None:
    """N case revisions and their posted VendorCredit postings, inserted in bulk."""
    now = datetime.now(UTC)
    key = "name:" + normalise_name(VENDOR)
    factory = session_factory(url)
    with factory() as session:
        for start in range(0, len(ids), 5000):
            chunk = list(enumerate(ids[start:start + 5000], start=start + 1))
            revisions, postings = [], []
            for n, remote_id in chunk:
                case_id = f"BK-{n:06d}"
                payload = json.dumps({
                    "case_id": case_id, "kind": "vendor_refund", "tenant": TENANT, "order_number": f"KB-{n}",
                    "party": {"name": VENDOR, "external_id": None}, "currency": "USD", "amount": AMOUNT,
                    "refund_date": DAY, "closed_at": f"{DAY}T09:00:00Z", "reason_code": "DAMAGED",
                    "status": "closed", "payment": None, "original_document": None, "lines": [], "evidence": [],
                    "revision": 1}, sort_keys=True)
                revisions.append({"id": n, "case_id": case_id, "revision": 1, "tenant": TENANT,
                                  "kind": "vendor_refund", "payload": payload,
                                  "payload_hash": hashlib.sha256(payload.encode()).hexdigest(), "received_at": now})
                postings.append({"id": str(uuid.uuid4()), "case_revision_id": n, "case_id": case_id, "tenant": TENANT,
                                 "role": "credit", "party_key": key, "party_name": VENDOR, "state": "posted",
                                 "document_type": "VendorCredit", "tag": case_id, "remote_id": remote_id,
                                 "attempt_count": 1, "generation": 0, "created_at": now, "updated_at": now,
                                 "posted_at": now})
            session.execute(insert(CaseRevision), revisions)
            session.execute(insert(Posting), postings)
        session.commit()


def one_size(size: int, workdir: Path, redis_url: str) -> dict[str, float]:
    Redis.from_url(redis_url).flushall()
    with sandbox_process(workdir) as admin:
        started = time.perf_counter()
        ids = admin.bulk_copies(TENANT, "VendorCredit", template_credit(admin), size, {"DocNumber": "BK-{n:06d}"},
                                spacing_seconds=1.0)
        seeded = time.perf_counter() - started
        url = f"sqlite:///{workdir / f'ledger-{size}.db'}"
        upgrade(url)
        seed_ledger(url, ids)
        del ids
        runtime = make_runtime(redis_url, workdir, minute_seconds=60.0)
        tenants = sandbox_tenants(admin.base_url)
        config = tenants.get(TENANT)

        class _Sandbox:  # sandbox_tokens wants an object with .admin
            pass

        box = _Sandbox()
        box.admin = admin  # type: ignore[attr-defined]
        runtime.keeper.store.save(TENANT, "quickbooks", sandbox_tokens(box, TENANT), expected_version=None)
        deps = EngineDeps(sessions=session_factory(url), tenants=lambda: tenants, client_for=ClientCache(runtime).get,
                          redis=Redis.from_url(redis_url), owner="bench", clock=lambda: datetime.now(UTC),
                          lease_seconds=3600.0)
        since = datetime.now(UTC) - timedelta(seconds=size + 600)

        def reset() -> None:
            with deps.sessions() as session:
                session.execute(update(Posting).values(state="posted", checked_at=None, confirmed_at=None))
                session.commit()

        started = time.perf_counter()
        result = backsync_tenant(deps, config.name, since=since)
        elapsed = time.perf_counter() - started
        with deps.sessions() as session:
            confirmed = session.scalar(select(func.count()).where(Posting.state == "confirmed")) or 0
        assert result.documents_seen >= size and confirmed == size, (result.as_dict(), confirmed)

        reset()
        tracemalloc.start()
        backsync_tenant(deps, config.name, since=since)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"documents": size, "seed_s": seeded, "seconds": elapsed, "per_second": size / elapsed,
                "peak_mb": peak / 1e6, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,100000", help="comma-separated document counts")
    args = parser.parse_args()
    configure_logging("WARNING")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'documents':>10} {'seed s':>8} {'back-sync s':>12} {'docs/s':>9} {'peak MB (tracemalloc)':>22} "
          f"{'max RSS MB':>11}")
    with redis_server() as redis, tempfile.TemporaryDirectory(prefix="refundsync-bench-") as tmp:
        for size in sizes:
            workdir = Path(tmp) / str(size)
            workdir.mkdir()
            row = one_size(size, workdir, redis.url)
            print(f"{row['documents']:>10,.0f} {row['seed_s']:>8.1f} {row['seconds']:>12.1f} "
                  f"{row['per_second']:>9,.0f} {row['peak_mb']:>22.1f} {row['maxrss_mb']:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
