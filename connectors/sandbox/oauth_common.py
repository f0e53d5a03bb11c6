"""Pieces both providers' OAuth endpoints share: client authentication, form bodies, token logging.

Secrets never reach the request log: a token endpoint's record keeps the grant type and the client
id, not the body.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from connectors.sandbox.settings import OAuthClient
from connectors.sandbox.state import SandboxState
from connectors.sandbox.tokens import TokenError, TokenPair


async def form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (no multipart needed for OAuth)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def authenticate_client(state: SandboxState, provider: str, credentials: tuple[str, str] | None) -> OAuthClient | None:
    if credentials is None:
        return None
    client = state.settings.client(credentials[0])
    if client is None or client.provider != provider or client.client_secret != credentials[1]:
        return None
    return client


def redirect_allowed(client: OAuthClient, redirect_uri: str) -> bool:
    return bool(redirect_uri) and (not client.redirect_uris or redirect_uri in client.redirect_uris)


def redirect_with(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)


def log_oauth(state: SandboxState, request: Request, status: int, outcome: str, client_id: str | None) -> None:
    record = state.requests.start("oauth", request.method, request.url.path, "", state.clock.now())
    record.client_id = client_id
    state.requests.finish(record, status, outcome)


def grant(state: SandboxState, request: Request, client: OAuthClient, data: dict[str, str],
          body: Callable[[TokenPair], dict[str, object]]) -> Response:
    """The token endpoint's two grants, answered the same way by both providers (only the body differs)."""
    grant_type = data.get("grant_type", "")
    try:
        if grant_type == "authorization_code":
            pair = state.tokens.exchange_code(client.client_id, data.get("code", ""), data.get("redirect_uri", ""))
        elif grant_type == "refresh_token":
            pair = state.tokens.refresh_grant(client.client_id, data.get("refresh_token", ""))
        else:
            log_oauth(state, request, 400, "error", client.client_id)
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    except TokenError as exc:
        log_oauth(state, request, 400, "error", client.client_id)
        return JSONResponse({"error": exc.error}, status_code=400)
    state.dirty = True
    log_oauth(state, request, 200, "ok", client.client_id)
    return JSONResponse(body(pair), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
