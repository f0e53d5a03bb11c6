"""Intuit's OAuth 2.0 endpoints, on the sandbox's own port.

GET  /.well-known/openid_configuration   discovery document (intuitlib's AuthClient reads it: pass
                                         this URL as AuthClient's ``environment``)
GET  /connect/oauth2                     authorize: consents at once and redirects with code, state
                                         and realmId (``realm_id=`` picks the company; default the
                                         first QuickBooks company)
POST /oauth2/v1/tokens/bearer            token: authorization_code and refresh_token grants, HTTP
                                         Basic client authentication
POST /oauth2/v1/tokens/revoke            revoke a refresh or access token (the whole grant)
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connectors.sandbox import wire
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
from connectors.sandbox.tokens import TokenPair

PROVIDER = "quickbooks"


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def discovery(request: Request) -> Response:
    base = _base(request)
    return JSONResponse(
        {
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }
    )


async def authorize(request: Request) -> Response:
    state = _state(request)
    params = request.query_params
    client = state.settings.client(params.get("client_id", ""))
    if client is None or client.provider != PROVIDER:
        return PlainTextResponse("invalid_client: unknown client_id", status_code=400)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_allowed(client, redirect_uri):
        return PlainTextResponse("redirect_uri is not registered for this app", status_code=400)
    if params.get("response_type") != "code":
        return redirect_with(redirect_uri, {"error": "unsupported_response_type", "state": params.get("state", "")})
    wanted = params.get("realm_id") or params.get("realmId")
    companies = [c for c in state.companies.values() if c.provider == PROVIDER]
    company = state.find(wanted) if wanted else (companies[0] if companies else None)
    if company is None or company.provider != PROVIDER:
        return redirect_with(redirect_uri, {"error": "access_denied", "state": params.get("state", "")})
    code = state.tokens.new_code(client.client_id, PROVIDER, redirect_uri, [company.key], params.get("scope", ""))
    log_oauth(state, request, 302, "ok", client.client_id)
    return redirect_with(redirect_uri, {"code": code, "state": params.get("state", ""), "realmId": company.key})


def token_body(pair: TokenPair) -> dict[str, object]:
    return {
        "token_type": "bearer",
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in,
        "x_refresh_token_expires_in": pair.refresh_expires_in,
    }


async def token(request: Request) -> Response:
    state = _state(request)
    client = authenticate_client(state, PROVIDER, basic_credentials(request))
    if client is None:
        log_oauth(state, request, 401, "unauthorized", None)
        return JSONResponse({"error": "invalid_client"}, status_code=401)
    data = await form(request)
    return grant(state, request, client, data, token_body)


async def revoke(request: Request) -> Response:
    state = _state(request)
    client = authenticate_client(state, PROVIDER, basic_credentials(request))
    if client is None:
        return JSONResponse({"error": "invalid_client"}, status_code=401)
    try:
        data = wire.loads(await request.body())
    except wire.WireError:
        data = await form(request)
    value = str(data.get("token", "")) if isinstance(data, dict) else ""
    if not value or not state.tokens.revoke_value(client.client_id, value):
        log_oauth(state, request, 400, "error", client.client_id)
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    state.dirty = True
    log_oauth(state, request, 200, "ok", client.client_id)
    return Response(status_code=200)


ROUTES = [
    Route("/.well-known/openid_configuration", discovery, methods=["GET"]),
    Route("/.well-known/openid_configuration/", discovery, methods=["GET"]),
    Route("/connect/oauth2", authorize, methods=["GET"]),
    Route("/oauth2/v1/tokens/bearer", token, methods=["POST"]),
    Route("/oauth2/v1/tokens/revoke", revoke, methods=["POST"]),
]
