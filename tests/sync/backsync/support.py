"""Posting real cases into the sandbox through a real worker, for the back-sync tests to read back."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from redis import Redis
from sqlalchemy import func, select

from connectors.sandbox import wire
from connectors.sandbox.testing import SandboxServer
from sync.ledger.db import session_factory, session_scope, upgrade
from sync.ledger.models import Posting
from sync.ledger.token_store import LedgerTokenStore
from tests.support.connectors import sandbox_tenants, sandbox_tokens
from tests.support.factories import make_case
from tests.support.processes import WorkerProcess, refundsync_env, run_cli, wait_until
from tests.support.servers import RedisServer

TENANTS = (("demo-qbo", "quickbooks"), ("demo-xero", "xero"))
SETTLED = {"posted", "confirmed"}


def backsync_env(tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer,
                 tenant_changes: dict[str, dict[str, Any]] | None = None, **settings: str | int) -> dict[str, str]:
    """A migrated SQLite ledger, a tenants file on the sandbox, tokens as if connected, and the environment."""
    Redis.from_url(redis_srv.url).flushall()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    key = Fernet.generate_key().decode()
    tenants = tmp_path / "tenants.yaml"
    sandbox_tenants(sandbox.base_url, tenants, **(tenant_changes or {}))
    store = LedgerTokenStore(session_factory(url), key)
    for tenant, provider in TENANTS:
        store.save(tenant, provider, sandbox_tokens(sandbox, tenant), expected_version=None)
    return refundsync_env(broker_url=redis_srv.url, database_url=url, tenants_file=tenants, token_key=key,
                          xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret",
                          quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret",
                          visibility_timeout=120, task_time_limit=60, max_retry_countdown=30,
                          limit_minute_seconds=2, **settings)


def states(url: str) -> Counter[str]:
    with session_scope(url) as s:
        return Counter(dict(s.execute(select(Posting.state, func.count()).group_by(Posting.state)).all()))


def cases_for(tenant: str, count: int, prefix: str) -> list[dict[str, Any]]:
    """Even cases are a credit alone (editable by hand in both products); odd ones have a cash refund too."""
    out = []
    for i in range(1, count + 1):
        extra: dict[str, Any] = {"original_document": None}
        if i % 2 == 0:
            extra["payment"] = None
        out.append(make_case(i, tenant=tenant, prefix=prefix, **extra))
    return out


def post_cases(env: dict[str, str], tmp_path: Path, cases: list[dict[str, Any]], worker: WorkerProcess) -> None:
    """Enqueue through the CLI and wait until the worker has posted every posting (follow-ups included)."""
    url = env["REFUNDSYNC_DATABASE_URL"]
    path = tmp_path / f"cases-{len(cases)}.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    result = run_cli(["enqueue", str(path), "--quiet"], env)
    assert result.returncode == 0, result.stderr
    credits = len(cases)

    def done() -> bool:
        found = states(url)
        return sum(found.values()) > credits and set(found) <= SETTLED

    wait_until(done, timeout=240, interval=0.5, what="every posting posted")
    wait_until(lambda: set(states(url)) <= SETTLED and not any(
        s in states(url) for s in ("pending", "in_flight", "unknown")), timeout=60, what="follow-ups posted")


def postings(url: str, **where: str) -> list[Posting]:
    with session_scope(url) as s:
        query = select(Posting)
        for name, value in where.items():
            query = query.where(getattr(Posting, name) == value)
        found = list(s.scalars(query.order_by(Posting.case_id, Posting.id)))
        s.expunge_all()
        return found


def xero_put_credit_note(sandbox: SandboxServer, body: dict[str, Any]) -> dict[str, Any]:
    """Key a credit note by hand (as a bookkeeper would in Xero's screens): a plain API PUT."""
    tokens = sandbox.admin.issue_tokens("demo-xero")
    response = httpx.put(f"{sandbox.base_url}/api.xro/2.0/CreditNotes",
                         headers={"Authorization": f"Bearer {tokens.access_token}", "xero-tenant-id": tokens.company,
                                  "Accept": "application/json"},
                         content=wire.dumps({"CreditNotes": [body]}), timeout=30)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = wire.loads(response.content)["CreditNotes"][0]
    return created
