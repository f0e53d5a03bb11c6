"""Connecting a company: the OAuth 2.0 authorization-code flow with a local callback.

The operator opens the printed URL, consents in QuickBooks or Xero, and the provider redirects the
browser to ``http://localhost:PORT/callback`` where this process is listening. The code is exchanged
for tokens, which are encrypted into the ledger. The ``state`` value is random and compared in
constant time, so a stray or forged callback is refused. Postings that waited for the connection are
put back in line (looked up by tag first, as their last outcome is unknown).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from config.tenants import Provider, TenantConfig
from connectors import oauth
from connectors.auth import TokenSet
from sync.ledger.models import Posting, utcnow
from sync.ledger.states import PostingState
from sync.ledger.token_store import LedgerTokenStore


class ConnectFailed(RuntimeError):
    pass


@dataclass
class CallbackResult:
    params: dict[str, str]


class _Callback(BaseHTTPRequestHandler):
    result: CallbackResult | None = None
    done: threading.Event

    def do_GET(self) -> None:
        parsed = urlparse(self.path)
        if parsed.path != "/callback":
            self.send_error(404)
            return
        params = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        type(self).result = CallbackResult(params)
        ok = "code" in params
        body = ("refundsync: connected. You can close this window." if ok
                else f"refundsync: the provider answered {params.get('error', 'without a code')}.").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        type(self).done.set()

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: never log it
        return


class CallbackServer:
    """A one-shot HTTP listener for the redirect."""

    def __init__(self, port: int):
        handler: type[_Callback] = type("Handler", (_Callback,), {"result": None, "done": threading.Event()})
        self.handler = handler
        self.server = HTTPServer(("127.0.0.1", port), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.port}/callback"

    def __enter__(self) -> CallbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, timeout: float) -> dict[str, str]:
        if not self.handler.done.wait(timeout):
            raise ConnectFailed(f"no answer from the browser within {int(timeout)} s; run the command again")
        assert self.handler.result is not None
        return self.handler.result.params


def check_callback(params: dict[str, str], expected_state: str, tenant: TenantConfig) -> str:
    """The authorization code, after checking state (constant time), errors and the company."""
    if not hmac.compare_digest(params.get("state", ""), expected_state):
        raise ConnectFailed("the callback's state does not match this request; it was refused (start again)")
    if "error" in params:
        raise ConnectFailed(f"the provider refused the connection: {params['error']}")
    if tenant.provider is Provider.QUICKBOOKS and params.get("realmId") and params["realmId"] != tenant.realm_id:
        raise ConnectFailed(f"you connected QuickBooks company {params['realmId']}, but tenant {tenant.name} is "
                            f"realm {tenant.realm_id}; pick that company, or fix realm_id in the tenants file")
    if not params.get("code"):
        raise ConnectFailed("the callback carried no authorization code")
    return params["code"]


def xero_tenant_ids(tenant: TenantConfig, tokens: TokenSet, timeout: float) -> list[str]:
    """The organisations the new tokens may use (Xero's /connections)."""
    base = tenant.api_base_url
    response = httpx.get(f"{base}/connections", headers={"Authorization": f"Bearer {tokens.access_token}"},
                         timeout=timeout)
    response.raise_for_status()
    return [str(c["tenantId"]) for c in response.json()]


def new_state() -> str:
    return secrets.token_urlsafe(24)


def finish(tenant: TenantConfig, settings: Settings, sessions: sessionmaker[Session], code: str,
           redirect_uri: str) -> tuple[TokenSet, int]:
    """Exchange the code, verify the company, store the tokens, wake the waiting postings."""
    client_id, client_secret = oauth.credentials_for(tenant, settings)
    tokens = oauth.exchange_code(tenant, client_id, client_secret, code, redirect_uri, timeout=settings.http_timeout)
    if tenant.provider is Provider.XERO:
        ids = xero_tenant_ids(tenant, tokens, settings.http_timeout)
        if tenant.tenant_id not in ids:
            raise ConnectFailed(f"the Xero user connected {', '.join(ids) or 'no organisation'}, not tenant "
                                f"{tenant.name}'s {tenant.tenant_id}; connect that organisation, or fix tenant_id")
    store = LedgerTokenStore(sessions, settings.token_key.get_secret_value() if settings.token_key else None)
    store.save(tenant.name, tenant.provider.value, tokens, expected_version=None)
    return tokens, resume_waiting(sessions, tenant.name)


def resume_waiting(sessions: sessionmaker[Session], tenant: str) -> int:
    """Postings that waited for a reconnect go back in line, looked up before anything is re-sent."""
    with sessions() as session, session.begin():
        result = session.execute(
            update(Posting).where(Posting.tenant == tenant,
                                  Posting.state == PostingState.WAITING_RECONNECT.value)
            .values(state=PostingState.UNKNOWN.value, next_attempt_at=None, updated_at=utcnow(),
                    reason="connection restored; looked up by tag before anything is re-sent"))
        return int(result.rowcount)  # type: ignore[attr-defined]
