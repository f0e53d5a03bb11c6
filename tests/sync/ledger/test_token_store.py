"""Tokens in the ledger: encrypted at rest, rotatable keys, compare-and-set saves (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from connectors.auth import TokenSet
from sync.ledger.db import session_factory
from sync.ledger.models import OAuthToken
from sync.ledger.token_store import LedgerTokenStore, TokenKeyMissing

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _tokens(n: int) -> TokenSet:
    return TokenSet(access_token=f"access-secret-{n}", refresh_token=f"refresh-secret-{n}",
                    access_expires_at=NOW + timedelta(hours=1), refresh_expires_at=NOW + timedelta(days=100),
                    extra={"realmId": "9130355377389516"})


def test_tokens_are_encrypted_at_rest_and_read_back(ledger_url: str) -> None:
    store = LedgerTokenStore(session_factory(ledger_url), Fernet.generate_key().decode())
    assert store.save("demo-qbo", "quickbooks", _tokens(1), expected_version=None) == 1
    with session_factory(ledger_url)() as s:
        row = s.scalars(select(OAuthToken)).one()
    assert b"access-secret-1" not in row.ciphertext and b"refresh-secret-1" not in row.ciphertext
    loaded = store.load("demo-qbo")
    assert loaded is not None and loaded.tokens == _tokens(1) and loaded.version == 1
    assert "secret" not in repr(loaded)


def test_compare_and_set_refuses_a_stale_writer(ledger_url: str) -> None:
    store = LedgerTokenStore(session_factory(ledger_url), Fernet.generate_key().decode())
    store.save("t", "xero", _tokens(1), expected_version=None)
    assert store.save("t", "xero", _tokens(2), expected_version=1) == 2
    with pytest.raises(RuntimeError, match="tokens changed while refreshing"):
        store.save("t", "xero", _tokens(3), expected_version=1)
    loaded = store.load("t")
    assert loaded is not None and loaded.tokens.access_token == "access-secret-2"


def test_key_rotation_keeps_old_tokens_readable_then_reencrypts(ledger_url: str) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    LedgerTokenStore(session_factory(ledger_url), old).save("t", "xero", _tokens(1), expected_version=None)
    rotated = LedgerTokenStore(session_factory(ledger_url), f"{new},{old}")
    assert rotated.load("t") is not None
    assert rotated.rotate() == 1
    only_new = LedgerTokenStore(session_factory(ledger_url), new)
    loaded = only_new.load("t")
    assert loaded is not None and loaded.tokens.refresh_token == "refresh-secret-1"
    with pytest.raises(TokenKeyMissing, match="cannot be decrypted"):
        LedgerTokenStore(session_factory(ledger_url), old).load("t")


def test_broken_connection_is_recorded_with_its_reason(ledger_url: str) -> None:
    store = LedgerTokenStore(session_factory(ledger_url), Fernet.generate_key().decode())
    store.save("t", "xero", _tokens(1), expected_version=None)
    store.mark_broken("t", "revoked in Xero")
    loaded = store.load("t")
    assert loaded is not None and (loaded.state, loaded.reason) == ("broken", "revoked in Xero")
    # reconnecting replaces the tokens and clears the state
    store.save("t", "xero", _tokens(2), expected_version=None)
    again = store.load("t")
    assert again is not None and again.state == "active" and again.reason is None


def test_missing_key_says_how_to_make_one() -> None:
    with pytest.raises(TokenKeyMissing, match=r"Fernet\.generate_key"):
        LedgerTokenStore(session_factory("sqlite://"), None)
