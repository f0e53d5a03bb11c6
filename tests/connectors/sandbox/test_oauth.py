"""OAuth as each provider does it: authorize redirect, code exchange, expiry, rotation, revocation."""

from __future__ import annotations

import re
import time
import warnings
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.vendor import Vendor

from connectors.sandbox.client import IssuedTokens
from connectors.sandbox.sdk_clients import quickbooks_client
from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conftest import REALM, TENANT, checked_sandbox, qbo_headers, xero_headers

REDIRECT = "http://127.0.0.1:9/callback"
QBO_CLIENT = ("sandbox-qbo-client", "sandbox-qbo-secret")
XERO_CLIENT = ("sandbox-xero-client", "sandbox-xero-secret")


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _auth_client(sandbox: SandboxServer) -> AuthClient:
    return AuthClient(*QBO_CLIENT, REDIRECT, f"{sandbox.base_url}/.well-known/openid_configuration/")


def test_intuit_authorization_code_flow_with_intuitlib(sandbox: SandboxServer, http: httpx.Client) -> None:
    auth = _auth_client(sandbox)
    url = auth.get_authorization_url([Scopes.ACCOUNTING], state_token="st-1")
    assert url.startswith(f"{sandbox.base_url}/connect/oauth2?")
    redirect = http.get(url)
    assert redirect.status_code == 302
    params = _query(redirect.headers["location"])
    assert redirect.headers["location"].startswith(REDIRECT + "?")
    assert (params["state"], params["realmId"]) == ("st-1", REALM)
    auth.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert (auth.expires_in, auth.x_refresh_token_expires_in) == (3600, 8640000)
    with pytest.raises(AuthClientError) as reused:  # a code is good once
        auth.get_bearer_token(params["code"])
    assert reused.value.status_code == 400 and reused.value.content == b'{"error":"invalid_grant"}'

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tokens = IssuedTokens("quickbooks", REALM, *QBO_CLIENT, auth.access_token, auth.refresh_token, 3600, 1, "")
        qb = quickbooks_client(sandbox.base_url, tokens)
    assert Vendor.get("57", qb=qb).DisplayName == "深圳市联华贸易有限公司"


def test_intuit_refresh_keeps_the_value_for_a_day_then_rotates(sandbox: SandboxServer, http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens("demo-qbo")
    auth = _auth_client(sandbox)
    auth.refresh(refresh_token=tokens.refresh_token)
    assert auth.refresh_token == tokens.refresh_token  # within the rotation period: same value
    assert auth.access_token != tokens.access_token

    sandbox.admin.advance_clock(minutes=24 * 60 + 1)
    expired = http.get(f"/v3/company/{REALM}/vendor/56", headers=qbo_headers(tokens))
    assert expired.status_code == 401
    auth.refresh(refresh_token=tokens.refresh_token)
    assert auth.refresh_token != tokens.refresh_token  # rotated; the old one is now superseded
    with pytest.raises(AuthClientError) as superseded:
        auth.refresh(refresh_token=tokens.refresh_token)
    assert (superseded.value.status_code, superseded.value.content) == (400, b'{"error":"invalid_grant"}')
    ok = http.get(f"/v3/company/{REALM}/vendor/56", headers={**qbo_headers(tokens),
                                                               "Authorization": f"Bearer {auth.access_token}"})
    assert ok.status_code == 200


AUTH_FAULT = {
    "warnings": None, "intuitObject": None,
    "fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                         "detail": None, "code": "3200", "element": None}], "type": "AUTHENTICATION"},
    "report": None, "queryResponse": None, "batchItemResponse": [], "attachableResponse": [],
    "syncErrorResponse": None, "requestId": None, "time": None, "status": None, "cdcresponse": [],
}


@pytest.mark.parametrize(("case", "detail"), [("expired", "Token expired"), ("unknown", "Token invalid"),
                                              ("revoked", "Token revoked"),
                                              ("missing", "Authorization header missing or not a Bearer token")])
def test_intuit_401_authentication_fault(sandbox: SandboxServer, http: httpx.Client, case: str, detail: str) -> None:
    tokens = sandbox.admin.issue_tokens("demo-qbo")
    headers = qbo_headers(tokens)
    if case == "expired":
        sandbox.admin.advance_clock(minutes=61)
    elif case == "unknown":
        headers["Authorization"] = "Bearer not-a-token"
    elif case == "revoked":
        sandbox.admin.revoke_tokens("demo-qbo")
    else:
        del headers["Authorization"]
    response = http.get(f"/v3/company/{REALM}/vendor/56", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    body = response.json()
    assert isinstance(body.pop("time"), int)
    expected = {**AUTH_FAULT, "fault": {**AUTH_FAULT["fault"]}}
    expected["fault"]["error"] = [{**AUTH_FAULT["fault"]["error"][0], "detail": detail}]  # type: ignore[index]
    expected.pop("time")
    assert body == expected


def test_python_quickbooks_raises_authorization_exception(sandbox: SandboxServer, qb: Any) -> None:
    sandbox.admin.advance_clock(minutes=61)
    with pytest.raises(AuthorizationException) as err:
        Vendor.get("56", qb=qb)
    assert err.value.error_code == 401
    assert "AuthenticationFailed" in err.value.detail


def test_intuit_token_endpoint_errors_and_other_realm(sandbox: SandboxServer, http: httpx.Client) -> None:
    bad_client = http.post("/oauth2/v1/tokens/bearer", auth=("sandbox-qbo-client", "wrong"),
                           data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert (bad_client.status_code, bad_client.json()) == (401, {"error": "invalid_client"})
    unknown = http.post("/oauth2/v1/tokens/bearer", auth=QBO_CLIENT, data={"grant_type": "refresh_token",
                                                                         "refresh_token": "nope"})
    assert (unknown.status_code, unknown.json()) == (400, {"error": "invalid_grant"})
    grant = http.post("/oauth2/v1/tokens/bearer", auth=QBO_CLIENT, data={"grant_type": "password"})
    assert (grant.status_code, grant.json()) == (400, {"error": "unsupported_grant_type"})
    sandbox.admin.seed({"companies": [{"name": "other-qbo", "provider": "quickbooks", "realm_id": "4620816365",
                                       "display_name": "Other"}]})
    tokens = sandbox.admin.issue_tokens("demo-qbo")
    other = http.get("/v3/company/4620816365/preferences", headers=qbo_headers(tokens))
    assert other.status_code == 403
    assert other.json()["fault"] == {"error": [{
        "message": "message=AuthorizationFailed; errorCode=003100; statusCode=403", "detail": None, "code": "3100",
        "element": None}], "type": "SERVICE"}


def test_intuit_revoke_ends_the_grant(sandbox: SandboxServer, http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens("demo-qbo")
    auth = _auth_client(sandbox)
    assert auth.revoke(token=tokens.refresh_token) is True
    assert http.get(f"/v3/company/{REALM}/vendor/56", headers=qbo_headers(tokens)).status_code == 401
    refresh = http.post("/oauth2/v1/tokens/bearer", auth=QBO_CLIENT,
                        data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token})
    assert refresh.json() == {"error": "invalid_grant"}


def _xero_code(http: httpx.Client, **extra: str) -> str:
    response = http.get("/identity/connect/authorize", params={
        "response_type": "code", "client_id": XERO_CLIENT[0], "redirect_uri": REDIRECT,
        "scope": "offline_access accounting.transactions", "state": "s9", **extra})
    assert response.status_code == 302
    params = _query(response.headers["location"])
    assert params["state"] == "s9"
    return params["code"]


def _xero_token(http: httpx.Client, **form: str) -> httpx.Response:
    return http.post("/connect/token", data={"client_id": XERO_CLIENT[0], "client_secret": XERO_CLIENT[1], **form})


def test_xero_code_exchange_rotation_and_grace(sandbox: SandboxServer, http: httpx.Client) -> None:
    code = _xero_code(http)
    first = _xero_token(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    body = first.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "refresh_token", "scope"}
    assert (body["expires_in"], body["token_type"], body["scope"]) == (1800, "Bearer",
                                                                       "offline_access accounting.transactions")
    second = _xero_token(http, grant_type="refresh_token", refresh_token=body["refresh_token"]).json()
    assert second["refresh_token"] != body["refresh_token"]  # rotates on every use
    sandbox.admin.advance_clock(minutes=29)
    in_grace = _xero_token(http, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert in_grace.status_code == 200  # the previous token still works for 30 minutes
    sandbox.admin.advance_clock(minutes=2)
    late = _xero_token(http, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert (late.status_code, late.json()) == (400, {"error": "invalid_grant"})
    basic = http.post("/connect/token", auth=XERO_CLIENT,
                      data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]})
    assert basic.status_code == 200
    wrong = http.post("/connect/token", data={"grant_type": "refresh_token", "refresh_token": "x",
                                              "client_id": XERO_CLIENT[0], "client_secret": "nope"})
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_client"})


def test_xero_401_403_and_connections(sandbox: SandboxServer, http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens("demo-xero")
    headers = xero_headers(tokens)
    no_tenant = http.get("/api.xro/2.0/Accounts", headers={k: v for k, v in headers.items() if k != "xero-tenant-id"})
    assert no_tenant.status_code == 403
    body = no_tenant.json()
    assert re.fullmatch(r"[0-9a-f-]{36}", body.pop("Instance"))
    assert body == {"Type": None, "Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful",
                    "Extensions": {}}
    connections = http.get("/connections", headers={"Authorization": headers["Authorization"]}).json()
    assert [c["tenantId"] for c in connections] == [TENANT]
    sandbox.admin.advance_clock(minutes=31)
    expired = http.get("/api.xro/2.0/Accounts", headers=headers)
    assert expired.status_code == 401
    detail = expired.json()["Detail"]
    assert re.fullmatch(r"TokenExpired: token expired at \d\d/\d\d/\d{4} \d\d:\d\d:\d\d", detail)
    assert expired.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    fresh = sandbox.admin.issue_tokens("demo-xero")
    auth = {"Authorization": f"Bearer {fresh.access_token}"}
    connection = http.get("/Connections", headers=auth).json()[0]["id"]
    assert http.delete(f"/connections/{connection}", headers=auth).status_code == 204
    assert http.get("/connections", headers=auth).json() == []
    assert http.get("/api.xro/2.0/Accounts", headers=xero_headers(fresh)).status_code == 403


def test_time_compression_shortens_token_lifetimes() -> None:
    with checked_sandbox(minute_seconds=0.05) as sandbox, httpx.Client(base_url=sandbox.base_url) as http:
        qbo = sandbox.admin.issue_tokens("demo-qbo")
        xero = sandbox.admin.issue_tokens("demo-xero")
        assert (qbo.expires_in, xero.expires_in) == (3, 2)  # 60 and 30 sandbox minutes of 0.05 s
        assert http.get("/api.xro/2.0/Accounts", headers=xero_headers(xero)).status_code == 200
        time.sleep(1.6)
        assert http.get("/api.xro/2.0/Accounts", headers=xero_headers(xero)).status_code == 401
        assert http.get(f"/v3/company/{REALM}/vendor/56", headers=qbo_headers(qbo)).status_code == 200
        time.sleep(1.5)
        assert http.get(f"/v3/company/{REALM}/vendor/56", headers=qbo_headers(qbo)).status_code == 401
