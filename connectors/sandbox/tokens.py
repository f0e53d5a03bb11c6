"""OAuth tokens for both providers: issue, check, refresh with each provider's rotation rule, revoke.

A *grant* is one consent (one authorization code, or one admin ``issue_tokens`` shortcut). Every access
and refresh token belongs to a grant; revoking a company revokes every grant that covers it.

Rotation rules:
- QuickBooks: a refresh returns a new access token and, once the current refresh token is older than
  ``qbo_refresh_rotation_minutes``, a new refresh token; from then on the old one gets ``invalid_grant``.
  Within the rotation period the same refresh token value comes back (its 100-day lifetime restarts).
- Xero: every refresh returns a new refresh token; the previous one keeps working for
  ``xero_refresh_grace_minutes`` and then gets ``invalid_grant``.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from connectors.sandbox.clock import SandboxClock
from connectors.sandbox.settings import SandboxSettings


@dataclass
class AccessToken:
    value: str
    grant: str
    client_id: str
    provider: str
    companies: list[str]
    issued: float
    expires: float
    revoked: bool = False
    scope: str = ""


@dataclass
class RefreshToken:
    value: str
    grant: str
    client_id: str
    provider: str
    companies: list[str]
    issued: float
    expires: float
    superseded_at: float | None = None
    revoked: bool = False
    scope: str = ""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    provider: str
    companies: list[str]
    scope: str = ""


@dataclass(frozen=True)
class AccessCheck:
    """The verdict on a bearer token: ``problem`` is None when it may be used."""

    token: AccessToken | None
    problem: str | None  # "missing" | "unknown" | "expired" | "revoked"


class TokenError(Exception):
    """An OAuth error answered at the token endpoint (``error`` is the RFC 6749 code)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    provider: str
    redirect_uri: str
    companies: list[str]
    expires: float
    scope: str = ""


@dataclass
class TokenStore:
    """All tokens and authorization codes of the sandbox."""

    settings: SandboxSettings
    clock: SandboxClock
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)

    # -- lifetimes in real seconds (compressed) -------------------------------------------------

    def _access_lifetime(self, provider: str) -> float:
        minutes = (
            self.settings.qbo_access_token_minutes
            if provider == "quickbooks"
            else self.settings.xero_access_token_minutes
        )
        return self.clock.minutes(minutes)

    def _refresh_lifetime(self, provider: str) -> float:
        days = (
            self.settings.qbo_refresh_token_days if provider == "quickbooks" else self.settings.xero_refresh_token_days
        )
        return self.clock.days(days)

    # -- issuing ---------------------------------------------------------------------------------

    def issue(
        self, client_id: str, provider: str, companies: list[str], scope: str = "", grant: str | None = None
    ) -> TokenPair:
        """A fresh access + refresh token pair for a new (or given) grant."""
        now = self.clock.now()
        grant = grant or secrets.token_hex(8)
        access = self._new_access(grant, client_id, provider, companies, now, scope)
        refresh = RefreshToken(
            value=secrets.token_urlsafe(36),
            grant=grant,
            client_id=client_id,
            provider=provider,
            companies=list(companies),
            issued=now,
            expires=now + self._refresh_lifetime(provider),
            scope=scope,
        )
        self.refresh[refresh.value] = refresh
        return self._pair(access, refresh, now)

    def _new_access(
        self, grant: str, client_id: str, provider: str, companies: list[str], now: float, scope: str
    ) -> AccessToken:
        token = AccessToken(
            value=secrets.token_urlsafe(48),
            grant=grant,
            client_id=client_id,
            provider=provider,
            companies=list(companies),
            issued=now,
            expires=now + self._access_lifetime(provider),
            scope=scope,
        )
        self.access[token.value] = token
        return token

    def _pair(self, access: AccessToken, refresh: RefreshToken, now: float) -> TokenPair:
        return TokenPair(
            access_token=access.value,
            refresh_token=refresh.value,
            expires_in=max(1, round(access.expires - now)),
            refresh_expires_in=max(1, round(refresh.expires - now)),
            provider=access.provider,
            companies=list(access.companies),
            scope=access.scope,
        )

    def new_code(self, client_id: str, provider: str, redirect_uri: str, companies: list[str], scope: str) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            code=code,
            client_id=client_id,
            provider=provider,
            redirect_uri=redirect_uri,
            companies=list(companies),
            expires=self.clock.now() + self.clock.minutes(5),
            scope=scope,
        )
        return code

    def exchange_code(self, client_id: str, code: str, redirect_uri: str) -> TokenPair:
        """authorization_code grant: a code is good once, for five sandbox minutes, for its client."""
        entry = self.codes.pop(code, None)
        if entry is None or entry.client_id != client_id or entry.expires <= self.clock.now():
            raise TokenError("invalid_grant", "the authorization code is unknown, used or expired")
        if redirect_uri != entry.redirect_uri:
            raise TokenError("invalid_grant", "redirect_uri does not match the authorization request")
        return self.issue(client_id, entry.provider, entry.companies, entry.scope)

    # -- checking --------------------------------------------------------------------------------

    def check_access(self, value: str | None, provider: str) -> AccessCheck:
        if not value:
            return AccessCheck(None, "missing")
        token = self.access.get(value)
        if token is None or token.provider != provider:
            return AccessCheck(None, "unknown")
        if token.revoked:
            return AccessCheck(token, "revoked")
        if token.expires <= self.clock.now():
            return AccessCheck(token, "expired")
        return AccessCheck(token, None)

    # -- refreshing ------------------------------------------------------------------------------

    def refresh_grant(self, client_id: str, value: str) -> TokenPair:
        token = self.refresh.get(value)
        now = self.clock.now()
        if token is None or token.client_id != client_id or token.revoked or token.expires <= now:
            raise TokenError("invalid_grant", "the refresh token is unknown, revoked or expired")
        if token.provider == "quickbooks":
            return self._refresh_quickbooks(token, now)
        return self._refresh_xero(token, now)

    def _refresh_quickbooks(self, token: RefreshToken, now: float) -> TokenPair:
        if token.superseded_at is not None:
            raise TokenError("invalid_grant", "the refresh token was superseded by a newer one")
        access = self._new_access(token.grant, token.client_id, token.provider, token.companies, now, token.scope)
        rotation = self.clock.minutes(self.settings.qbo_refresh_rotation_minutes)
        if now - token.issued < rotation:
            token.expires = now + self._refresh_lifetime(token.provider)
            return self._pair(access, token, now)
        token.superseded_at = now
        successor = self._successor(token, now)
        return self._pair(access, successor, now)

    def _refresh_xero(self, token: RefreshToken, now: float) -> TokenPair:
        grace = self.clock.minutes(self.settings.xero_refresh_grace_minutes)
        if token.superseded_at is not None and now - token.superseded_at >= grace:
            raise TokenError("invalid_grant", "the refresh token was superseded more than the grace period ago")
        if token.superseded_at is None:
            token.superseded_at = now
        access = self._new_access(token.grant, token.client_id, token.provider, token.companies, now, token.scope)
        return self._pair(access, self._successor(token, now), now)

    def _successor(self, token: RefreshToken, now: float) -> RefreshToken:
        successor = RefreshToken(
            value=secrets.token_urlsafe(36),
            grant=token.grant,
            client_id=token.client_id,
            provider=token.provider,
            companies=list(token.companies),
            issued=now,
            expires=now + self._refresh_lifetime(token.provider),
            scope=token.scope,
        )
        self.refresh[successor.value] = successor
        return successor

    # -- revoking --------------------------------------------------------------------------------

    def revoke_value(self, client_id: str, value: str) -> bool:
        """Revoke the grant a token belongs to (Intuit and Xero revoke the whole consent)."""
        token: AccessToken | RefreshToken | None = self.refresh.get(value) or self.access.get(value)
        if token is None or token.client_id != client_id:
            return False
        self._revoke_grants({token.grant})
        return True

    def disconnect(self, grant: str, company: str) -> None:
        """Remove one company from a grant (Xero DELETE /connections/{id})."""
        tokens: list[AccessToken | RefreshToken] = [*self.access.values(), *self.refresh.values()]
        for token in tokens:
            if token.grant == grant and company in token.companies:
                token.companies.remove(company)

    def revoke_company(self, company: str) -> int:
        """Revoke every grant that covers ``company``; returns how many grants were revoked."""
        grants = {t.grant for t in self.refresh.values() if company in t.companies}
        grants |= {t.grant for t in self.access.values() if company in t.companies}
        self._revoke_grants(grants)
        return len(grants)

    def _revoke_grants(self, grants: set[str]) -> None:
        for access in self.access.values():
            if access.grant in grants:
                access.revoked = True
        for refresh in self.refresh.values():
            if refresh.grant in grants:
                refresh.revoked = True

    def purge(self) -> None:
        """Forget tokens that can never be used again, so long demos do not grow without bound."""
        now = self.clock.now()
        horizon = self.clock.days(1)  # keep expired access tokens a while so they answer "expired"
        self.access = {k: t for k, t in self.access.items() if t.expires > now - horizon}
        self.refresh = {k: t for k, t in self.refresh.items() if t.expires > now}
        self.codes = {k: c for k, c in self.codes.items() if c.expires > now}

    # -- persistence -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "access": [asdict(t) for t in self.access.values()],
            "refresh": [asdict(t) for t in self.refresh.values()],
        }

    def load_dict(self, data: dict[str, Any]) -> None:
        self.access = {t["value"]: AccessToken(**t) for t in data.get("access", [])}
        self.refresh = {t["value"]: RefreshToken(**t) for t in data.get("refresh", [])}
