"""Fixtures of the sandbox tests: one sandbox per session, reset to the demo seed before every test,
and every body it returned during the test checked against the providers' schemas afterwards."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.sandbox.client import IssuedTokens
from connectors.sandbox.sdk_clients import XeroClients, quickbooks_client
from connectors.sandbox.server import SandboxServer, running_sandbox
from connectors.sandbox.testing import sandbox_fixture
from tests.connectors.sandbox.conformance_log import check_bodies

QBO = "demo-qbo"
XERO = "demo-xero"
REALM = "9130355377389516"
TENANT = "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71"


#: One sandbox for the whole session, built with the fixture factory other test suites use too.
sandbox_server = sandbox_fixture(scope="session", record_bodies=True)


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared sandbox, freshly reset to the demo seed; its bodies are schema-checked after the test."""
    sandbox_server.admin.reset(reseed=True)
    start = sandbox_server.admin.last_request_seq()
    yield sandbox_server
    report = check_bodies(sandbox_server, since=start)
    assert not report.problems, "\n".join(report.problems)


@pytest.fixture
def qbo_tokens(sandbox: SandboxServer) -> IssuedTokens:
    return sandbox.admin.issue_tokens(QBO)


@pytest.fixture
def xero_tokens(sandbox: SandboxServer) -> IssuedTokens:
    return sandbox.admin.issue_tokens(XERO)


@pytest.fixture
def qb(sandbox: SandboxServer, qbo_tokens: IssuedTokens) -> Any:
    """python-quickbooks, pointed at the sandbox (nothing else changed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return quickbooks_client(sandbox.base_url, qbo_tokens)


@pytest.fixture
def xero(sandbox: SandboxServer, xero_tokens: IssuedTokens) -> XeroClients:
    """xero-python's AccountingApi and IdentityApi, pointed at the sandbox."""
    return XeroClients(sandbox.base_url, xero_tokens)


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as client:
        yield client


@contextlib.contextmanager
def checked_sandbox(**setting_changes: Any) -> Iterator[SandboxServer]:
    """A sandbox of its own (other settings than the shared one) whose bodies are schema-checked at the end."""
    with running_sandbox(record_bodies=True, **setting_changes) as server:
        yield server
        report = check_bodies(server)
        assert not report.problems, "\n".join(report.problems)


def qbo_headers(tokens: IssuedTokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json",
            "Content-Type": "application/json"}


def xero_headers(tokens: IssuedTokens, tenant: str = TENANT) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.access_token}", "xero-tenant-id": tenant,
            "Accept": "application/json", "Content-Type": "application/json"}
