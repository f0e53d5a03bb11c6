"""The environment of an end-to-end posting test: a migrated SQLite ledger, the tenants file pointed at a
running sandbox, both demo tenants connected, time compressed like the sandbox (2 s provider minutes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from redis import Redis

from sync.ledger.db import session_factory, upgrade
from sync.ledger.token_store import LedgerTokenStore
from tests.support.connectors import sandbox_tenants, sandbox_tokens
from tests.support.processes import refundsync_env

DEMO_TENANTS = (("demo-xero", "xero"), ("demo-qbo", "quickbooks"))


def posting_env(tmp_path: Path, redis_url: str, sandbox: Any, *, minute_seconds: int = 2) -> dict[str, str]:
    """REFUNDSYNC_* for the CLI and a worker; Redis is emptied first (no leftover locks or schedules)."""
    Redis.from_url(redis_url).flushall()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    key = Fernet.generate_key().decode()
    tenants = tmp_path / "tenants.yaml"
    sandbox_tenants(sandbox.base_url, tenants)
    store = LedgerTokenStore(session_factory(url), key)
    for tenant, provider in DEMO_TENANTS:
        store.save(tenant, provider, sandbox_tokens(sandbox, tenant), expected_version=None)
    return refundsync_env(broker_url=redis_url, database_url=url, tenants_file=tenants, token_key=key,
                          xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret",
                          quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret",
                          visibility_timeout=120, task_time_limit=60, max_retry_countdown=30,
                          limit_minute_seconds=minute_seconds)
