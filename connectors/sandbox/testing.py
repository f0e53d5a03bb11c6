"""Test support: start a sandbox for a test, a module or a session.

    from connectors.sandbox.testing import running_sandbox, sandbox_fixture

    with running_sandbox(minute_seconds=1) as sandbox:      # context manager
        ...

    sandbox = sandbox_fixture(scope="module", minute_seconds=1)   # in a conftest.py: a pytest fixture
    def test_x(sandbox): sandbox.admin.issue_tokens("demo-xero")

A module- or session-scoped fixture is reset (demo seed reloaded) by ``sandbox.admin.reset()``; the
function-scoped default starts a fresh server per test (about 50 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from connectors.sandbox.client import IssuedTokens, SandboxAdmin, SandboxAdminError
from connectors.sandbox.server import SandboxServer, running_sandbox
from connectors.sandbox.settings import SandboxSettings


def sandbox_fixture(scope: str = "function", **setting_changes: Any) -> Callable[..., Any]:
    """A pytest fixture yielding a running ``SandboxServer`` (demo seed) with these settings."""
    import pytest

    def sandbox() -> Iterator[SandboxServer]:
        with running_sandbox(**setting_changes) as server:
            yield server

    fixture: Callable[..., Any] = pytest.fixture(sandbox, scope=scope)  # type: ignore[call-overload]
    return fixture


__all__ = [
    "IssuedTokens",
    "SandboxAdmin",
    "SandboxAdminError",
    "SandboxServer",
    "SandboxSettings",
    "running_sandbox",
    "sandbox_fixture",
]
