"""OAuth tokens in the ledger, encrypted at rest with Fernet (MultiFernet, so keys can be rotated).

``REFUNDSYNC_TOKEN_KEY`` holds one or more Fernet keys, comma-separated, newest first: new writes use
the first; reads try each. `refundsync rotate-key`-style rotation is simply: put a new key first, keep
the old one after it, and every token is re-encrypted with the new key on its next save.
"""

from __future__ import annotations

import json
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from connectors.auth import StoredToken, TokenSet
from sync.ledger.models import OAuthToken, utcnow


class TokenKeyMissing(RuntimeError):
    pass


def fernet_from(keys: str | None) -> MultiFernet:
    if not keys:
        raise TokenKeyMissing(
            "REFUNDSYNC_TOKEN_KEY is not set; generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
        )
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except ValueError:
        raise TokenKeyMissing("REFUNDSYNC_TOKEN_KEY must be Fernet keys (32 url-safe base64 bytes), "
                              "comma-separated") from None


def _encode(tokens: TokenSet) -> bytes:
    return json.dumps({
        "access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
        "access_expires_at": tokens.access_expires_at.isoformat(),
        "refresh_expires_at": tokens.refresh_expires_at.isoformat() if tokens.refresh_expires_at else None,
        "scope": tokens.scope, "extra": tokens.extra,
    }).encode()


def _decode(raw: bytes) -> TokenSet:
    data = json.loads(raw)
    return TokenSet(
        access_token=data["access_token"], refresh_token=data["refresh_token"],
        access_expires_at=datetime.fromisoformat(data["access_expires_at"]),
        refresh_expires_at=datetime.fromisoformat(data["refresh_expires_at"]) if data["refresh_expires_at"] else None,
        scope=data.get("scope", ""), extra=data.get("extra") or {},
    )


class LedgerTokenStore:
    """:class:`connectors.auth.TokenStore` on the ``oauth_tokens`` table."""

    def __init__(self, sessions: sessionmaker[Session], keys: str | None):
        self.sessions = sessions
        self.fernet = fernet_from(keys)

    def load(self, tenant: str) -> StoredToken | None:
        with self.sessions() as session:
            row = session.get(OAuthToken, tenant)
            if row is None:
                return None
            try:
                tokens = _decode(self.fernet.decrypt(row.ciphertext))
            except InvalidToken:
                raise TokenKeyMissing(f"the stored tokens of tenant {tenant} cannot be decrypted with "
                                      "REFUNDSYNC_TOKEN_KEY (was the old key removed?)") from None
            return StoredToken(tokens, row.version, row.state, row.reason)

    def save(self, tenant: str, provider: str, tokens: TokenSet, expected_version: int | None) -> int:
        blob = self.fernet.encrypt(_encode(tokens))
        with self.sessions() as session, session.begin():
            if expected_version is None:
                row = session.get(OAuthToken, tenant)
                if row is None:
                    session.add(OAuthToken(tenant=tenant, provider=provider, ciphertext=blob,
                                           access_expires_at=tokens.access_expires_at,
                                           refresh_expires_at=tokens.refresh_expires_at, state="active",
                                           version=1, updated_at=utcnow()))
                    return 1
                expected_version = row.version  # a reconnect replaces whatever was there
            result = session.execute(
                update(OAuthToken).where(OAuthToken.tenant == tenant, OAuthToken.version == expected_version)
                .values(ciphertext=blob, provider=provider, access_expires_at=tokens.access_expires_at,
                        refresh_expires_at=tokens.refresh_expires_at, state="active", reason=None,
                        version=expected_version + 1, updated_at=utcnow()))
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise RuntimeError(f"tenant {tenant}: tokens changed while refreshing (version {expected_version})")
            return expected_version + 1

    def mark_broken(self, tenant: str, reason: str) -> None:
        with self.sessions() as session, session.begin():
            session.execute(update(OAuthToken).where(OAuthToken.tenant == tenant)
                            .values(state="broken", reason=reason, updated_at=utcnow()))

    def rotate(self) -> int:
        """Re-encrypt every token with the newest key; returns how many rows."""
        with self.sessions() as session, session.begin():
            rows = session.scalars(select(OAuthToken)).all()
            for row in rows:
                row.ciphertext = self.fernet.rotate(row.ciphertext)
            return len(rows)
