"""OAuth tokens: what they are, where they are kept, and refreshing them exactly once per expiry.

Both providers rotate refresh tokens: using one returns a new one and (soon) retires the old. If two
workers refresh at the same moment, the slower one presents a retired token, gets ``invalid_grant``,
and the connection looks broken although it is fine. So a refresh is single-flight across every
process on every host:

    lock (Redis) -> re-read the stored token -> refresh only if still stale -> save -> unlock

and an ``invalid_grant`` is believed only after re-reading the store: if another process saved newer
tokens meanwhile, those are used. Tokens are never logged; their ``repr`` hides them.

The store is a protocol: the ledger implements it (encrypted at rest, in ``sync``), because
``connectors`` never touches the ledger.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from redis import Redis
from redis.exceptions import LockError

from connectors import metrics
from connectors.errors import ProviderError

#: Refresh this long before the access token expires, so a request never starts with a dying token.
REFRESH_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime | None = None
    scope: str = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def stale(self, now: datetime | None = None, margin: timedelta = REFRESH_MARGIN) -> bool:
        return (now or datetime.now(UTC)) >= self.access_expires_at - margin

    @classmethod
    def from_response(cls, data: dict[str, Any], now: datetime | None = None) -> TokenSet:
        """From an OAuth token endpoint's JSON (``expires_in`` seconds; Intuit adds
        ``x_refresh_token_expires_in``)."""
        now = now or datetime.now(UTC)
        refresh_in = data.get("x_refresh_token_expires_in") or data.get("refresh_token_expires_in")
        known = {"access_token", "refresh_token", "expires_in", "x_refresh_token_expires_in",
                 "refresh_token_expires_in", "scope", "token_type"}
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            access_expires_at=now + timedelta(seconds=float(data.get("expires_in", 3600))),
            refresh_expires_at=now + timedelta(seconds=float(refresh_in)) if refresh_in else None,
            scope=str(data.get("scope", "")),
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass(frozen=True)
class StoredToken:
    tokens: TokenSet
    version: int
    state: str  # "active" | "broken"
    reason: str | None = None


class TokenStore(Protocol):
    def load(self, tenant: str) -> StoredToken | None: ...

    def save(self, tenant: str, provider: str, tokens: TokenSet, expected_version: int | None) -> int:
        """Compare-and-set: write only if the stored version is still ``expected_version`` (None: new)."""
        ...

    def mark_broken(self, tenant: str, reason: str) -> None: ...


class OAuthError(Exception):
    """The token endpoint said no; ``error`` carries its answer for classification."""

    def __init__(self, error: ProviderError):
        super().__init__(f"{error.provider} token endpoint: HTTP {error.status} {error.code or ''}".strip())
        self.error = error


class ConnectionBroken(Exception):
    """The tenant must be reconnected by an operator (`refundsync connect`)."""

    def __init__(self, tenant: str, reason: str):
        super().__init__(f"tenant {tenant}: {reason}")
        self.tenant = tenant
        self.reason = reason


class NotConnected(ConnectionBroken):
    pass


Refresh = Callable[[TokenSet], TokenSet]


class TokenKeeper:
    """Hands out a valid access token for a tenant, refreshing once per expiry across the fleet."""

    def __init__(self, redis: Redis, store: TokenStore, *, lock_timeout: float = 30.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), margin: timedelta = REFRESH_MARGIN):
        """``margin``: refresh this long before expiry; one provider minute, so it compresses with time in tests."""
        self.redis = redis
        self.store = store
        self.lock_timeout = lock_timeout
        self.clock = clock
        self.margin = margin

    def access_token(self, tenant: str, provider: str, refresh: Refresh) -> str:
        stored = self._load(tenant)
        if not stored.tokens.stale(self.clock(), self.margin):
            return stored.tokens.access_token
        return self._refresh(tenant, provider, refresh, lambda s: s.tokens.stale(self.clock(), self.margin))

    def after_unauthorized(self, tenant: str, provider: str, refresh: Refresh, rejected_access_token: str) -> str:
        """A request was refused with 401: refresh, unless someone already replaced that access token."""
        return self._refresh(tenant, provider, refresh,
                             lambda s: s.tokens.access_token == rejected_access_token)

    def _load(self, tenant: str) -> StoredToken:
        stored = self.store.load(tenant)
        if stored is None:
            raise NotConnected(tenant, "not connected yet; run `refundsync connect` for this tenant")
        if stored.state == "broken":
            raise ConnectionBroken(tenant, stored.reason or "the connection is broken; run `refundsync connect`")
        return stored

    def _refresh(self, tenant: str, provider: str, refresh: Refresh, still_needed: Callable[[StoredToken], bool]
                 ) -> str:
        lock = self.redis.lock(f"refundsync:token-refresh:{tenant}", timeout=self.lock_timeout,
                               blocking_timeout=self.lock_timeout)
        if not lock.acquire():
            raise TimeoutError(f"tenant {tenant}: another process held the token refresh lock for too long")
        try:
            stored = self._load(tenant)  # re-read under the lock: someone may have refreshed already
            if not still_needed(stored):
                return stored.tokens.access_token
            try:
                fresh = refresh(stored.tokens)
            except OAuthError as exc:
                metrics.token_refresh(provider, ok=False)
                if exc.error.code == "invalid_grant":
                    again = self._load(tenant)
                    if again.version != stored.version:  # another writer got there first: use theirs
                        return again.tokens.access_token
                    reason = ("the refresh token was refused (invalid_grant): the connection was revoked or "
                              "expired; run `refundsync connect` for this tenant")
                    self.store.mark_broken(tenant, reason)
                    raise ConnectionBroken(tenant, reason) from None
                raise
            if not fresh.refresh_expires_at and stored.tokens.refresh_expires_at:
                fresh = replace(fresh, refresh_expires_at=stored.tokens.refresh_expires_at)
            self.store.save(tenant, provider, fresh, expected_version=stored.version)
            metrics.token_refresh(provider, ok=True)
            return fresh.access_token
        finally:
            # If the lock expired while refreshing, the compare-and-set save already protected the store.
            with contextlib.suppress(LockError):
                lock.release()


