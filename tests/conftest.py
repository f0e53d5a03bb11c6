"""Fixtures that build real things: Redis and PostgreSQL servers on free ports, migrated ledgers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import PostgresServer, RedisServer, postgres_server, redis_server


@pytest.fixture(scope="session")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_srv() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated ledger on SQLite and on PostgreSQL (every test using it runs on both)."""
    from sync.ledger.db import engine_for, upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_srv")
        url = server.create_database(f"ledger_{uuid.uuid4().hex[:12]}")
    upgrade(url)
    yield url
    engine_for(url).dispose()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No REFUNDSYNC_* variable from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("REFUNDSYNC_"):
            monkeypatch.delenv(key)
    from config.settings import get_settings

    get_settings.cache_clear()
