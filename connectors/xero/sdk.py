"""xero-python, one instance per tenant client, wired so that it can neither share state nor refresh tokens.

* **Its own Configuration.** ``Configuration``'s metaclass (``TypeWithDefault``) keeps the *first*
  instance ever built as a class-wide default and answers every later ``Configuration(...)`` with a copy
  of it, ignoring the arguments (xero-python #99). A token passed to the constructor would therefore
  leak from the first tenant built in the process to every other one. We construct it bare and set
  ``configuration.oauth2_token`` on our own copy afterwards.
* **No refresh inside the SDK.** Its ``OAuth2Token`` refreshes by itself 60 s before expiry, without any
  lock: racing worker processes would present the same rotated refresh token and all but one would get
  ``invalid_grant``. :class:`KeeperBearer` only ever hands out the access token that
  :class:`connectors.auth.TokenKeeper` (single-flight across the fleet) gave us, and refuses to refresh.
* **Our transport.** ``ApiClient.rest_client`` is replaced by :class:`HttpxTransport` (why: see there).
"""

from __future__ import annotations

import threading
from typing import Any

from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token

from connectors.xero.transport import HttpxTransport


class KeeperBearer(OAuth2Token):
    """The ``OAuth2Token`` the SDK asks for its Authorization header; the token comes from the keeper."""

    def __init__(self) -> None:
        super().__init__(client_id=None, client_secret=None)
        self._local = threading.local()

    def use(self, access_token: str) -> None:
        """The access token for this thread's next request(s)."""
        self._local.token = access_token

    def create_auth_settings(self, api_client: Any) -> dict[str, str]:
        token = getattr(self._local, "token", None)
        if not token:
            raise RuntimeError("no access token set for this request (XeroSession.call sets it)")
        return {"type": "oauth2", "in": "header", "key": "Authorization", "value": f"Bearer {token}"}

    def refresh_access_token(self, api_client: Any) -> bool:
        raise RuntimeError("xero-python must not refresh tokens: connectors.auth.TokenKeeper does, once per fleet")

    def __repr__(self) -> str:  # never show a token
        return "KeeperBearer(<hidden>)"


class XeroSdk:
    """AccountingApi on a private ApiClient, Configuration and transport."""

    def __init__(self, api_base_url: str, timeout: float, user_agent: str = "refundsync"):
        configuration = Configuration()  # bare: see the module docstring (shared default, #99)
        self.bearer = KeeperBearer()
        configuration.oauth2_token = self.bearer
        self.configuration = configuration
        self.transport = HttpxTransport(timeout)
        self.api_client = ApiClient(configuration)
        self.api_client.rest_client = self.transport
        self.api_client.user_agent = f"{user_agent} {self.api_client.user_agent}"
        self.accounting = AccountingApi(self.api_client, base_url=f"{api_base_url.rstrip('/')}/api.xro/2.0")

    def close(self) -> None:
        self.transport.close()
