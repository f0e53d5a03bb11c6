"""Closed cases become entries in the books through the real pipeline: enqueue -> Redis -> a real Celery
worker -> intake -> flush -> connector -> the sandbox over HTTP. Exactly one remote document per posting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis import Redis
from sqlalchemy import func, select

from connectors.auth import TokenSet
from connectors.sandbox.testing import SandboxServer, running_sandbox
from sync.ledger.db import session_factory, session_scope, upgrade
from sync.ledger.models import Posting
from sync.ledger.token_store import LedgerTokenStore
from tests.support.connectors import sandbox_tenants
from tests.support.factories import make_cases, write_csv
from tests.support.processes import WorkerProcess, refundsync_env, run_cli, wait_until
from tests.support.servers import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> dict[str, str]:
    Redis.from_url(redis_srv.url).flushall()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    key = Fernet.generate_key().decode()
    tenants = tmp_path / "tenants.yaml"
    sandbox_tenants(sandbox.base_url, tenants)
    store = LedgerTokenStore(session_factory(url), key)
    issued = sandbox.admin.issue_tokens("demo-xero")
    store.save("demo-xero", "xero", TokenSet.from_response(
        {"access_token": issued.access_token, "refresh_token": issued.refresh_token,
         "expires_in": issued.expires_in}), expected_version=None)
    return refundsync_env(broker_url=redis_srv.url, database_url=url, tenants_file=tenants, token_key=key,
                          xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret",
                          visibility_timeout=120, task_time_limit=60, max_retry_countdown=30)


def _states(url: str) -> Counter[str]:
    with session_scope(url) as s:
        return Counter(dict(s.execute(select(Posting.state, func.count()).group_by(Posting.state)).all()))


def test_cases_enqueued_for_xero_are_posted_exactly_once(env: dict[str, str], sandbox: SandboxServer,
                                                         tmp_path: Path) -> None:
    url = env["REFUNDSYNC_DATABASE_URL"]
    cases = list(make_cases(60, tenant="demo-xero", prefix="RFX-"))
    path = write_csv(tmp_path / "cases.csv", cases)
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "2")
    try:
        worker.wait_ready()
        result = run_cli(["enqueue", str(path), "--quiet"], env)
        assert result.returncode == 0, result.stderr
        # every case has a payment, so each posts a credit note and then its refund payment
        wait_until(lambda: _states(url).get("posted", 0) == 120, timeout=120, interval=0.5,
                   what="120 postings posted")
    finally:
        worker.stop()
    assert _states(url) == Counter({"posted": 120})
    credit_notes = sandbox.admin.documents("demo-xero", entity="CreditNote", origin="api")
    payments = sandbox.admin.documents("demo-xero", entity="Payment", origin="api")
    assert len(credit_notes) == 60 and len(payments) == 60
    with session_scope(url) as s:
        remote_ids = set(s.scalars(select(Posting.remote_id)))
    assert {d["id"] for d in credit_notes + payments} == remote_ids
    references = sorted(d["body"].get("Reference") for d in credit_notes)
    assert references == sorted(c["case_id"] for c in cases)
