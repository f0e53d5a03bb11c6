"""Xero's identity endpoints, on the sandbox's own port.

GET    /identity/connect/authorize   consents at once and redirects with code and state
                                     (``tenant_ids=a,b`` picks tenants; default every Xero company)
POST   /connect/token                authorization_code and refresh_token grants; client credentials
                                     in HTTP Basic or in the form (xero-python sends them in the form)
POST   /connect/revocation           revoke a refresh token (the whole grant)
GET    /connections                  the tenants the bearer token may use (also /Connections)
DELETE /connections/{id}             disconnect one tenant from the grant
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connectors.sandbox.gateway import bearer_token
from connectors.sandbox.oauth_common import (
    authenticate_client,
    basic_credentials,
    form,
    grant,
    log_oauth,
    redirect_allowed,
    redirect_with,
)
from connectors.sandbox.state import SandboxState
from connectors.sandbox.store import Company
from connectors.sandbox.tokens import TokenPair
from connectors.sandbox.xero import faults as xf
from connectors.sandbox.xero.routes import RULES

PROVIDER = "xero"
DEFAULT_SCOPE = "offline_access accounting.transactions accounting.contacts accounting.settings"


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def connection_id(company: Company, grant: str) -> str:
    """A stable id for the (grant, tenant) connection."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"refundsync-sandbox:{grant}:{company.key}"))


async def authorize(request: Request) -> Response:
    state = _state(request)
    params = request.query_params
    client = state.settings.client(params.get("client_id", ""))
    if client is None or client.provider != PROVIDER:
        return PlainTextResponse("unauthorized_client: unknown client_id", status_code=400)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_allowed(client, redirect_uri):
        return PlainTextResponse("invalid redirect_uri", status_code=400)
    if params.get("response_type") != "code":
        return redirect_with(redirect_uri, {"error": "unsupported_response_type", "state": params.get("state", "")})
    wanted = [t for t in params.get("tenant_ids", "").split(",") if t]
    companies = [c for c in state.companies.values() if c.provider == PROVIDER]
    if wanted:
        chosen = [state.find(t) for t in wanted]
        if any(c is None or c.provider != PROVIDER for c in chosen):
            return redirect_with(redirect_uri, {"error": "access_denied", "state": params.get("state", "")})
        companies = [c for c in chosen if c is not None]
    code = state.tokens.new_code(
        client.client_id,
        PROVIDER,
        redirect_uri,
        [c.key for c in companies],
        params.get("scope", DEFAULT_SCOPE),
    )
    log_oauth(state, request, 302, "ok", client.client_id)
    return redirect_with(
        redirect_uri,
        {"code": code, "state": params.get("state", ""), "scope": params.get("scope", DEFAULT_SCOPE)},
    )


def token_body(pair: TokenPair) -> dict[str, Any]:
    """Only the keys xero-python's OAuth2Token.update_token accepts."""
    return {
        "access_token": pair.access_token,
        "expires_in": pair.expires_in,
        "token_type": "Bearer",
        "refresh_token": pair.refresh_token,
        "scope": pair.scope or DEFAULT_SCOPE,
    }


async def token(request: Request) -> Response:
    state = _state(request)
    data = await form(request)
    credentials = basic_credentials(request)
    if credentials is None and data.get("client_id"):
        credentials = (data.get("client_id", ""), data.get("client_secret", ""))
    client = authenticate_client(state, PROVIDER, credentials)
    if client is None:
        log_oauth(state, request, 400, "unauthorized", None)
        return JSONResponse({"error": "invalid_client"}, status_code=400)
    return grant(state, request, client, data, token_body)


async def revocation(request: Request) -> Response:
    state = _state(request)
    data = await form(request)
    credentials = basic_credentials(request) or (data.get("client_id", ""), data.get("client_secret", ""))
    client = authenticate_client(state, PROVIDER, credentials)
    if client is None:
        return JSONResponse({"error": "invalid_client"}, status_code=400)
    state.tokens.revoke_value(client.client_id, data.get("token", ""))
    state.dirty = True
    log_oauth(state, request, 200, "ok", client.client_id)
    return Response(status_code=200)


async def connections(request: Request) -> Response:
    state = _state(request)
    check = state.tokens.check_access(bearer_token(request), PROVIDER)
    if check.problem is not None or check.token is None:
        return RULES.unauthorized(check, state).response()
    token = check.token
    if request.method == "DELETE":
        target = str(request.path_params.get("connection", ""))
        for key in list(token.companies):
            company = state.companies.get(key)
            if company is not None and connection_id(company, token.grant) == target:
                state.tokens.disconnect(token.grant, key)
                state.dirty = True
                return Response(status_code=204)
        return xf.not_found().response()
    items = []
    for key in token.companies:
        company = state.companies.get(key)
        if company is None:
            continue
        created = _iso(company.created)
        items.append(
            {
                "id": connection_id(company, token.grant),
                "authEventId": connection_id(company, token.grant + ":auth"),
                "tenantId": company.key,
                "tenantType": "ORGANISATION",
                "tenantName": company.display_name,
                "createdDateUtc": created,
                "updatedDateUtc": created,
            }
        )
    return JSONResponse(items)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0")


ROUTES = [
    Route("/identity/connect/authorize", authorize, methods=["GET"]),
    Route("/connect/token", token, methods=["POST"]),
    Route("/connect/revocation", revocation, methods=["POST"]),
    Route("/connections", connections, methods=["GET"]),
    Route("/Connections", connections, methods=["GET"]),
    Route("/connections/{connection}", connections, methods=["DELETE"]),
    Route("/Connections/{connection}", connections, methods=["DELETE"]),
]
