"""Fixtures shared by the end-to-end tests of sync/ (a module may define its own ``sandbox`` to seed more)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox.testing import SandboxServer, running_sandbox


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox (demo seed) per test. Its provider "minute" lasts 2 s, like the limiter's in
    tests/support/posting.py (REFUNDSYNC_LIMIT_MINUTE_SECONDS): a 429's Retry-After lasts seconds, not a minute."""
    with running_sandbox(minute_seconds=2) as server:
        yield server
