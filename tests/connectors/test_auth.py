"""Single-flight token refresh across threads, with the real Redis lock and the real ledger store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis import Redis

from connectors.auth import ConnectionBroken, NotConnected, OAuthError, TokenKeeper, TokenSet
from connectors.errors import ProviderError
from sync.ledger.db import session_factory, upgrade
from sync.ledger.token_store import LedgerTokenStore
from tests.support.servers import RedisServer


@pytest.fixture
def store(tmp_path: Path) -> LedgerTokenStore:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    return LedgerTokenStore(session_factory(url), Fernet.generate_key().decode())


@pytest.fixture
def redis_client(redis_srv: RedisServer) -> Iterator[Redis]:
    client = Redis.from_url(redis_srv.url)
    client.flushall()
    yield client
    client.close()


def _expired(n: int) -> TokenSet:
    return TokenSet(f"access-{n}", f"refresh-{n}", datetime.now(UTC) - timedelta(seconds=1))


def _fresh(n: int) -> TokenSet:
    return TokenSet(f"access-{n}", f"refresh-{n}", datetime.now(UTC) + timedelta(hours=1))


def test_eight_threads_noticing_expiry_refresh_once(store: LedgerTokenStore, redis_client: Redis) -> None:
    store.save("t", "xero", _expired(1), expected_version=None)
    calls: list[str] = []

    def refresh(tokens: TokenSet) -> TokenSet:
        calls.append(tokens.refresh_token)
        time.sleep(0.3)
        return _fresh(2)

    keeper = TokenKeeper(redis_client, store)
    got: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        got.append(keeper.access_token("t", "xero", refresh))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert calls == ["refresh-1"]
    assert got == ["access-2"] * 8


def test_after_401_refreshes_only_if_nobody_replaced_the_token(store: LedgerTokenStore, redis_client: Redis) -> None:
    store.save("t", "xero", _fresh(1), expected_version=None)
    keeper = TokenKeeper(redis_client, store)
    calls: list[int] = []

    def refresh(tokens: TokenSet) -> TokenSet:
        calls.append(1)
        return _fresh(len(calls) + 1)

    assert keeper.after_unauthorized("t", "xero", refresh, rejected_access_token="access-1") == "access-2"
    # a second process that was refused with the same old token uses the new one without refreshing
    assert keeper.after_unauthorized("t", "xero", refresh, rejected_access_token="access-1") == "access-2"
    assert len(calls) == 1


def test_invalid_grant_after_someone_else_refreshed_is_not_a_broken_connection(
        store: LedgerTokenStore, redis_client: Redis) -> None:
    store.save("t", "xero", _expired(1), expected_version=None)

    def refresh(tokens: TokenSet) -> TokenSet:
        # another host refreshed and saved just before our request reached the token endpoint
        store.save("t", "xero", _fresh(2), expected_version=1)
        raise OAuthError(ProviderError("xero-oauth", 400, "invalid_grant"))

    assert TokenKeeper(redis_client, store).access_token("t", "xero", refresh) == "access-2"
    loaded = store.load("t")
    assert loaded is not None and loaded.state == "active"


def test_genuine_invalid_grant_marks_the_connection_broken(store: LedgerTokenStore, redis_client: Redis) -> None:
    store.save("t", "xero", _expired(1), expected_version=None)

    def refresh(tokens: TokenSet) -> TokenSet:
        raise OAuthError(ProviderError("xero-oauth", 400, "invalid_grant"))

    keeper = TokenKeeper(redis_client, store)
    with pytest.raises(ConnectionBroken, match="run `refundsync connect`"):
        keeper.access_token("t", "xero", refresh)
    with pytest.raises(ConnectionBroken):
        keeper.access_token("t", "xero", lambda t: _fresh(9))  # stays broken until reconnected
    with pytest.raises(NotConnected):
        keeper.access_token("other", "xero", lambda t: _fresh(9))
