"""Fixtures of the QuickBooks connector tests: one sandbox per module (1-second "minutes" in the sandbox and
in the runtime alike), reset to the demo seed before every test, every QBO body it answered checked
against Intuit's XSD afterwards; a real Redis; a real (SQLite) ledger token store."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from config.tenants import TenantConfig
from connectors.limits import FleetLimiter
from connectors.quickbooks.client import QuickBooksClient
from connectors.registry import ConnectorRuntime, build_client
from connectors.sandbox.server import SandboxServer
from connectors.sandbox.testing import sandbox_fixture
from tests.connectors.quickbooks.support import QBO
from tests.connectors.sandbox.conformance_log import check_bodies
from tests.support.connectors import connect, make_runtime, sandbox_tenants
from tests.support.servers import RedisServer

MINUTE_SECONDS = 1.0
HTTP_TIMEOUT = 5.0

#: Access tokens last 600 sandbox minutes here: with 1-second minutes Intuit's 60 would be shorter than the
#: token keeper's 60-second refresh margin, and every call would refresh.
sandbox_server = sandbox_fixture(scope="module", minute_seconds=MINUTE_SECONDS, record_bodies=True,
                                 qbo_access_token_minutes=600.0)


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    sandbox_server.admin.reset(reseed=True)
    start = sandbox_server.admin.last_request_seq()
    yield sandbox_server
    report = check_bodies(sandbox_server, since=start)
    assert not report.problems, "\n".join(report.problems)


@pytest.fixture
def runtime(redis_srv: RedisServer, tmp_path: Path) -> ConnectorRuntime:
    """A runtime of its own: a fresh token ledger and a limiter namespace no other test shares."""
    built = make_runtime(redis_srv.url, tmp_path, minute_seconds=MINUTE_SECONDS, http_timeout=HTTP_TIMEOUT)
    limiter = FleetLimiter(Redis.from_url(redis_srv.url), prefix=f"test-{uuid.uuid4().hex[:12]}")
    return dataclasses.replace(built, limiter=limiter)


@pytest.fixture
def tenant(sandbox: SandboxServer) -> TenantConfig:
    return sandbox_tenants(sandbox.base_url).get(QBO)


@pytest.fixture
def client(sandbox: SandboxServer, runtime: ConnectorRuntime, tenant: TenantConfig) -> Iterator[QuickBooksClient]:
    connect(runtime, sandbox, tenant)
    built = build_client(tenant, runtime)
    assert isinstance(built, QuickBooksClient)
    yield built
    built.close()
