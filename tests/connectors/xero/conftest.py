"""Fixtures of the Xero connector tests: a fresh sandbox and a clean Redis per test, a connected client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from config.tenants import TenantConfig
from connectors.registry import ConnectorRuntime, build_client
from connectors.sandbox.server import SandboxServer, running_sandbox
from connectors.xero.client import XeroClient
from tests.connectors.sandbox.conformance_log import check_bodies
from tests.connectors.xero.helpers import XERO, SharedRuntime, store_tokens
from tests.support.connectors import sandbox_tenants
from tests.support.servers import RedisServer


@pytest.fixture
def redis_url(redis_srv: RedisServer) -> str:
    """The session's redis-server, emptied: no limiter budget or lock leaks from one test to the next."""
    Redis.from_url(redis_srv.url).flushdb()
    return redis_srv.url


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox of its own (demo seed, real-time minutes); every JSON body it answered is checked against
    Xero's OpenAPI spec after the test."""
    with running_sandbox(record_bodies=True) as server:
        yield server
        report = check_bodies(server)
        assert not report.problems, "\n".join(report.problems)


@dataclass
class XeroEnv:
    sandbox: SandboxServer
    tenant: TenantConfig
    shared: SharedRuntime
    runtime: ConnectorRuntime
    client: XeroClient

    def another_client(self) -> XeroClient:
        """A second client on its own Redis connections and token store handle: another worker, as far as
        the fleet limiter and the token keeper can tell."""
        return XeroClient(self.tenant, self.shared.runtime())


MakeEnv = Callable[..., XeroEnv]


@pytest.fixture
def make_env(redis_url: str, tmp_path: Path) -> MakeEnv:
    def make(sandbox: SandboxServer, *, tenant_changes: dict[str, Any] | None = None, **shared: Any) -> XeroEnv:
        tenant = sandbox_tenants(sandbox.base_url, **{XERO: tenant_changes or {}}).get(XERO)
        config = SharedRuntime.create(redis_url, tmp_path, sandbox.base_url, **shared)
        runtime = config.runtime()
        store_tokens(runtime, sandbox, tenant)
        client = build_client(tenant, runtime)
        assert isinstance(client, XeroClient)
        return XeroEnv(sandbox, tenant, config, runtime, client)

    return make


@pytest.fixture
def env(sandbox: SandboxServer, make_env: MakeEnv) -> XeroEnv:
    return make_env(sandbox)
