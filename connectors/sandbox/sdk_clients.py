"""Official SDK clients pointed at a sandbox, changing nothing but where they connect.

python-quickbooks (with intuit-oauth):
- ``intuitlib.AuthClient(...)`` fetches Intuit's discovery document in its constructor. Passing the
  sandbox's discovery URL as ``environment`` (intuitlib treats any other value as the URL) keeps that
  request on 127.0.0.1 and points the token/revoke endpoints at the sandbox.
- ``QuickBooks.api_url`` is built from ``api_url_v3``; setting that attribute on the instance is the
  base-URL change.
- python-quickbooks sends through requests-oauthlib, which refuses plain http unless
  ``OAUTHLIB_INSECURE_TRANSPORT=1`` (oauthlib's own switch for local testing). The sandbox speaks http
  on 127.0.0.1, so ``quickbooks_client`` sets it for the process.

xero-python:
- ``AccountingApi(api_client, base_url=...)`` and ``IdentityApi(api_client, base_url=...)`` take a
  base URL. The token refresh URL is a class attribute of ``TokenApi``; rather than patching it for
  the whole process, ``SandboxOAuth2Token`` sets it on the TokenApi instance it refreshes with.
- ``Configuration`` shares one default across instances (xero-python #99), so the OAuth2Token is set
  on the configuration after construction.
"""

from __future__ import annotations

import os
from typing import Any

from connectors.sandbox.client import IssuedTokens

REDIRECT_URI = "http://127.0.0.1:9/callback"


def intuit_auth_client(base_url: str, tokens: IssuedTokens, redirect_uri: str = REDIRECT_URI) -> Any:
    from intuitlib.client import AuthClient

    return AuthClient(
        client_id=tokens.client_id,
        client_secret=tokens.client_secret,
        redirect_uri=redirect_uri,
        environment=f"{base_url}/.well-known/openid_configuration/",
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        realm_id=tokens.company,
    )


def quickbooks_client(base_url: str, tokens: IssuedTokens, minorversion: int = 75, use_decimal: bool = True) -> Any:
    """A python-quickbooks ``QuickBooks`` client for the sandbox realm the tokens belong to."""
    from quickbooks import QuickBooks

    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client = QuickBooks(
        auth_client=intuit_auth_client(base_url, tokens),
        refresh_token=tokens.refresh_token,
        company_id=tokens.company,
        minorversion=minorversion,
        use_decimal=use_decimal,
    )
    client.api_url_v3 = f"{base_url}/v3"
    return client


def xero_oauth2_token_class() -> type:
    from xero_python.api_client.oauth2 import OAuth2Token

    class SandboxOAuth2Token(OAuth2Token):
        """OAuth2Token whose refresh goes to the sandbox's /connect/token."""

        token_url: str = ""

        def call_refresh_token_api(self, token_api: Any) -> Any:
            token_api.refresh_token_url = self.token_url
            return super().call_refresh_token_api(token_api)

    return SandboxOAuth2Token


class XeroClients:
    """An ApiClient with AccountingApi and IdentityApi bound to the sandbox, and the token it uses."""

    def __init__(self, base_url: str, tokens: IssuedTokens) -> None:
        from xero_python.accounting import AccountingApi
        from xero_python.api_client import ApiClient
        from xero_python.api_client.configuration import Configuration
        from xero_python.identity import IdentityApi

        self.tenant_id = tokens.company
        self.token_set: dict[str, Any] = tokens.xero_token_set()
        token_class = xero_oauth2_token_class()
        oauth2_token = token_class(client_id=tokens.client_id, client_secret=tokens.client_secret)
        oauth2_token.token_url = f"{base_url}/connect/token"
        configuration = Configuration()
        configuration.oauth2_token = oauth2_token
        self.api_client = ApiClient(
            configuration,
            oauth2_token_getter=lambda: self.token_set,
            oauth2_token_saver=self._save,
        )
        self.accounting = AccountingApi(self.api_client, base_url=f"{base_url}/api.xro/2.0")
        self.identity = IdentityApi(self.api_client, base_url=base_url)

    def _save(self, token: dict[str, Any]) -> None:
        self.token_set = dict(token)
