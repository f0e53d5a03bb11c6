"""OAuth 2.0 endpoints of both providers (or the local sandbox) and the two token grants, over httpx.

The SDKs' own token handling is not used: intuitlib's AuthClient fetches a discovery document in its
constructor and mutates itself on refresh, and xero-python refreshes inside its API client without any
lock. Both would break single-flight refresh (connectors.auth), so tokens are obtained here and handed
to the SDK clients as plain strings.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from config.settings import Settings
from config.tenants import Provider, TenantConfig
from connectors.auth import OAuthError, TokenSet
from connectors.errors import Transport
from connectors.quickbooks import faults as qbo_faults
from connectors.xero import faults as xero_faults

QBO_SCOPE = "com.intuit.quickbooks.accounting"
XERO_SCOPE = "openid profile email accounting.transactions accounting.contacts accounting.settings offline_access"


@dataclass(frozen=True)
class OAuthEndpoints:
    authorize: str
    token: str
    scope: str


def endpoints_for(tenant: TenantConfig) -> OAuthEndpoints:
    """Real endpoints for named environments; the sandbox's paths for a local base URL."""
    local = tenant.base_url.startswith("http")
    if tenant.provider is Provider.QUICKBOOKS:
        if local:
            return OAuthEndpoints(f"{tenant.base_url}/connect/oauth2", f"{tenant.base_url}/oauth2/v1/tokens/bearer",
                                  QBO_SCOPE)
        return OAuthEndpoints("https://appcenter.intuit.com/connect/oauth2",
                              "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer", QBO_SCOPE)
    if local:
        return OAuthEndpoints(f"{tenant.base_url}/identity/connect/authorize", f"{tenant.base_url}/connect/token",
                              XERO_SCOPE)
    return OAuthEndpoints("https://login.xero.com/identity/connect/authorize", "https://identity.xero.com/connect/token",
                          XERO_SCOPE)


def authorize_url(tenant: TenantConfig, client_id: str, redirect_uri: str, state: str) -> str:
    ep = endpoints_for(tenant)
    query = {"client_id": client_id, "response_type": "code", "scope": ep.scope, "redirect_uri": redirect_uri,
             "state": state}
    return f"{ep.authorize}?{urlencode(query)}"


def _post(tenant: TenantConfig, client_id: str, client_secret: str, form: dict[str, str], timeout: float
          ) -> TokenSet:
    ep = endpoints_for(tenant)
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
    parse = qbo_faults.parse_oauth_error if tenant.provider is Provider.QUICKBOOKS else xero_faults.parse_oauth_error
    try:
        response = httpx.post(ep.token, data=form, headers=headers, timeout=timeout)
    except httpx.ConnectError as exc:
        err = (qbo_faults if tenant.provider is Provider.QUICKBOOKS else xero_faults).transport_error(
            Transport.CONNECT, str(exc), write=False)
        raise OAuthError(err) from None
    except httpx.HTTPError as exc:
        err = (qbo_faults if tenant.provider is Provider.QUICKBOOKS else xero_faults).transport_error(
            Transport.TIMEOUT, type(exc).__name__, write=False)
        raise OAuthError(err) from None
    if response.status_code != 200:
        raise OAuthError(parse(response.status_code, response.content))
    return TokenSet.from_response(response.json())


def exchange_code(tenant: TenantConfig, client_id: str, client_secret: str, code: str, redirect_uri: str,
                  timeout: float = 30.0) -> TokenSet:
    return _post(tenant, client_id, client_secret,
                 {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}, timeout)


def refresh(tenant: TenantConfig, client_id: str, client_secret: str, tokens: TokenSet, timeout: float = 30.0
            ) -> TokenSet:
    return _post(tenant, client_id, client_secret,
                 {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}, timeout)


class MissingCredentials(RuntimeError):
    pass


def credentials_for(tenant: TenantConfig, settings: Settings) -> tuple[str, str]:
    """The app's client id and secret: the tenant's own, else the app-wide settings."""
    if tenant.provider is Provider.QUICKBOOKS:
        cid, secret = settings.quickbooks_client_id, settings.quickbooks_client_secret
        env = "REFUNDSYNC_QUICKBOOKS_CLIENT_ID / REFUNDSYNC_QUICKBOOKS_CLIENT_SECRET"
    else:
        cid, secret = settings.xero_client_id, settings.xero_client_secret
        env = "REFUNDSYNC_XERO_CLIENT_ID / REFUNDSYNC_XERO_CLIENT_SECRET"
    cid = tenant.client_id or cid
    secret_value = (tenant.client_secret or secret)
    if not cid or secret_value is None:
        raise MissingCredentials(
            f"tenant {tenant.name}: no OAuth client id/secret; set client_id and client_secret in the tenants "
            f"file or {env}")
    return cid, secret_value.get_secret_value()
