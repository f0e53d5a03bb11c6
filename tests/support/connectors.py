"""Real connector runtimes for tests: the sandbox, a real Redis, a real ledger token store."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet
from redis import Redis

from config.settings import Settings
from config.tenants import TenantConfig, TenantsFile, parse_tenants
from connectors.auth import TokenKeeper, TokenSet
from connectors.limits import FleetLimiter
from connectors.registry import ConnectorRuntime
from sync.ledger.db import session_factory, upgrade
from sync.ledger.token_store import LedgerTokenStore
from tests.support.reference import REPO_ROOT

EXAMPLE_TENANTS = REPO_ROOT / "config" / "tenants.example.yaml"


def sandbox_tenants(base_url: str, path: Path | None = None, *,
                    copies: dict[str, tuple[str, dict[str, Any]]] | None = None,
                    **changes: dict[str, Any]) -> TenantsFile:
    """config/tenants.example.yaml pointed at a running sandbox (and optionally written to ``path``).

    ``changes`` maps a tenant name to keys merged into its block (e.g. ``{"limits": {...}}``).
    ``copies`` adds tenants: new name -> (the tenant whose block it copies, keys that differ, e.g. realm_id).
    """
    raw = yaml.safe_load(EXAMPLE_TENANTS.read_text(encoding="utf-8"))
    for name, (source, keys) in (copies or {}).items():
        raw["tenants"][name] = {**copy.deepcopy(raw["tenants"][source]), **keys}
    for name, block in raw["tenants"].items():
        block["base_url"] = base_url
        block.update(changes.get(name, {}))
    if path is not None:
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return parse_tenants(raw, path or EXAMPLE_TENANTS)


def make_runtime(redis_url: str, ledger_dir: Path, *, minute_seconds: float = 60.0, **settings: Any
                 ) -> ConnectorRuntime:
    """A runtime on a fresh SQLite ledger (for tokens) and the given Redis (for locks and limits)."""
    url = f"sqlite:///{ledger_dir / 'tokens.db'}"
    upgrade(url)
    key = Fernet.generate_key().decode()
    store = LedgerTokenStore(session_factory(url), key)
    redis = Redis.from_url(redis_url)
    cfg = Settings(database_url=url, broker_url=redis_url, token_key=key, limit_minute_seconds=minute_seconds,
                   quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret",
                   xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret", **settings)
    return ConnectorRuntime(
        TokenKeeper(redis, store, margin=timedelta(seconds=minute_seconds)), FleetLimiter(redis), cfg
    )


def sandbox_tokens(sandbox: Any, tenant_name: str, *, expires_in: float | None = None) -> TokenSet:
    """A token set issued by the sandbox's shortcut (``expires_in`` overrides the lifetime, e.g. negative)."""
    issued = sandbox.admin.issue_tokens(tenant_name)
    return TokenSet.from_response({"access_token": issued.access_token, "refresh_token": issued.refresh_token,
                                   "expires_in": issued.expires_in if expires_in is None else expires_in,
                                   "x_refresh_token_expires_in": issued.refresh_expires_in})


def connect(runtime: ConnectorRuntime, sandbox: Any, tenant: TenantConfig) -> TokenSet:
    """Tokens for ``tenant`` as if a person had just run `refundsync connect` (the sandbox's shortcut)."""
    tokens = sandbox_tokens(sandbox, tenant.name)
    runtime.keeper.store.save(tenant.name, tenant.provider.value, tokens, expected_version=None)
    return tokens
