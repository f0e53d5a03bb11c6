"""Building the engine inside a worker process: ledger sessions, tenants file, connectors, Redis."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from config.settings import Settings, get_settings
from config.tenants import TenantConfig, TenantsFile, load_tenants
from connectors.auth import TokenKeeper
from connectors.limits import FleetLimiter
from connectors.protocol import TenantClient
from connectors.registry import ConnectorRuntime, build_client
from sync.engine.decide import RetryPolicy
from sync.engine.flush import EngineDeps
from sync.ledger.db import session_factory
from sync.ledger.models import utcnow
from sync.ledger.token_store import LedgerTokenStore
from sync.redis_client import redis_for


@dataclass
class TenantsCache:
    """The tenants file, re-read when it changes on disk: fixing a mapping needs no worker restart."""

    path: Path
    _stamp: tuple[float, int] | None = None
    _file: TenantsFile | None = None

    def get(self) -> TenantsFile:
        if not self.path.exists():
            return load_tenants(self.path)  # raises the ConfigError that says how to create one
        stat = self.path.stat()
        stamp = (stat.st_mtime, stat.st_size)
        if self._file is None or stamp != self._stamp:
            self._file = load_tenants(self.path)
            self._stamp = stamp
        return self._file


@dataclass
class ClientCache:
    """One client per tenant configuration (a changed tenant block gets a new client)."""

    runtime: ConnectorRuntime
    _clients: dict[str, tuple[TenantConfig, TenantClient]] = field(default_factory=dict)

    def get(self, tenant: TenantConfig) -> TenantClient:
        known = self._clients.get(tenant.name)
        if known is None or known[0] != tenant:
            known = (tenant, build_client(tenant, self.runtime))
            self._clients[tenant.name] = known
        return known[1]


def connector_runtime(settings: Settings) -> ConnectorRuntime:
    redis = redis_for(settings.coordination_url)
    store = LedgerTokenStore(session_factory(settings.database_url),
                             settings.token_key.get_secret_value() if settings.token_key else None)
    keeper = TokenKeeper(redis, store, margin=timedelta(seconds=settings.limit_minute_seconds))
    return ConnectorRuntime(keeper, FleetLimiter(redis), settings)


@lru_cache(maxsize=1)
def engine_deps() -> EngineDeps:
    """The process's engine (built on first use, after the worker has forked)."""
    settings = get_settings()
    tenants = TenantsCache(Path(settings.tenants_file))
    clients = ClientCache(connector_runtime(settings))
    return EngineDeps(
        sessions=session_factory(settings.database_url),
        tenants=tenants.get,
        client_for=clients.get,
        redis=redis_for(settings.coordination_url),
        owner=f"{socket.gethostname()}:{os.getpid()}",
        clock=utcnow,
        policy=RetryPolicy(cap_seconds=float(settings.max_retry_countdown)),
        lease_seconds=settings.claim_lease_seconds,
        time_budget_seconds=max(10.0, settings.task_time_limit * 0.6),
        minute_seconds=settings.limit_minute_seconds,
    )
