"""Fault injection, one table row per fault and provider: exact status, headers and body a client sees;
then the lost response (committed, connection closed), latency, and determinism of the seeded faults."""

from __future__ import annotations

import http.client
import re
import time
from typing import Any

import httpx
import pytest
import requests

from connectors.sandbox import wire
from connectors.sandbox.client import IssuedTokens
from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conftest import QBO, REALM, XERO, qbo_headers, xero_headers

QBO_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[78]:00"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
SHENZHEN = "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b01"


def qbo_call(http: httpx.Client, tokens: IssuedTokens) -> httpx.Response:
    return http.get(f"/v3/company/{REALM}/vendor/56?minorversion=75", headers=qbo_headers(tokens))


def xero_call(http: httpx.Client, tokens: IssuedTokens) -> httpx.Response:
    return http.get("/api.xro/2.0/Contacts", headers=xero_headers(tokens))


def qbo_fault(status: int, code: str, message: str, detail: str, fault_type: str = "SystemFault") -> dict[str, Any]:
    return {"status": status, "content-type": "application/json;charset=UTF-8",
            "json": {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}], "type": fault_type}},
            "time": QBO_TIME}


def xero_problem(status: int, title: str, detail: str, **headers: str) -> dict[str, Any]:
    return {"status": status, "content-type": "application/json;charset=UTF-8",
            "json": {"Type": None, "Title": title, "Status": status, "Detail": detail, "Extensions": {}},
            "headers": headers}


SERVER_DETAIL = ("An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current "
                 "service status.")
QBO_THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<IntuitResponse time="{QBO_TIME}" xmlns="http://schema.intuit.com/finance/v3">\n'
    '    <Fault type="SERVICE">\n'
    '        <Error code="3001">\n'
    "            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n"
    "            <Detail>The request limit was reached.  Try again later</Detail>\n"
    "        </Error>\n"
    "    </Fault>\n"
    "</IntuitResponse>"
)

CASES = [
    ("quickbooks", "500", {"error_next": 1},
     qbo_fault(500, "10000", "An application error has occurred while processing your request",
               "System Failure Error: An unexpected error occurred (HTTP 500)")),
    ("quickbooks", "503", {"error_next": 1, "error_statuses": [503]},
     qbo_fault(503, "10000", "Service Unavailable", "System Failure Error: An unexpected error occurred (HTTP 503)")),
    ("quickbooks", "offline", {"offline": True},
     qbo_fault(503, "6190", "Invalid Company Status",
               "Subscription period has ended or canceled or there was a billing problem : You can't add data to "
               "QuickBooks Online because your company is unavailable.")),
    ("quickbooks", "429 burst", {"throttle_next": 2},
     {"status": 429, "content-type": "application/xml;charset=UTF-8", "xml": QBO_THROTTLE_XML}),
    ("xero", "500", {"error_next": 1},
     xero_problem(500, "Internal Server Error", SERVER_DETAIL, **{"x-minlimit-remaining": "59"})),
    ("xero", "503", {"error_next": 1, "error_statuses": [503]},
     xero_problem(503, "Service Unavailable", SERVER_DETAIL, **{"x-minlimit-remaining": "59"})),
    ("xero", "offline", {"offline": True},
     {"status": 503, "content-type": "text/plain; charset=utf-8", "text": "Organisation offline",
      "headers": {"x-minlimit-remaining": "60", "x-daylimit-remaining": "5000"}}),
    ("xero", "429 burst", {"throttle_next": 2},
     xero_problem(429, "Too Many Requests", "You have exceeded the per minute rate limit",
                  **{"x-rate-limit-problem": "minute", "x-minlimit-remaining": "60",
                     "x-appminlimit-remaining": "10000"})),
]


@pytest.mark.parametrize(("provider", "case", "faults", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_fault_answers(sandbox: SandboxServer, http: httpx.Client, provider: str, case: str,
                       faults: dict[str, Any], expected: dict[str, Any]) -> None:
    company = QBO if provider == "quickbooks" else XERO
    tokens = sandbox.admin.issue_tokens(company)
    call = qbo_call if provider == "quickbooks" else xero_call
    sandbox.admin.set_faults(company, **faults)
    response = call(http, tokens)
    assert response.status_code == expected["status"]
    assert response.headers["content-type"] == expected["content-type"]
    for name, value in expected.get("headers", {}).items():
        assert response.headers[name] == value
    if "json" in expected:
        body = response.json()
        if provider == "quickbooks":
            assert re.fullmatch(expected["time"], body.pop("time"))
        else:
            assert re.fullmatch(UUID, body.pop("Instance"))
        assert body == expected["json"]
    if "xml" in expected:  # the XML body, even though the client asked for JSON
        assert re.fullmatch(_xml_pattern(expected["xml"]), response.text)
    if "text" in expected:
        assert response.text == expected["text"]
    if case == "429 burst":
        if provider == "xero":
            assert 1 <= int(response.headers["retry-after"]) <= 60
        assert call(http, tokens).status_code == 429  # the burst is two requests long
        assert call(http, tokens).status_code == 200
    elif case == "offline":
        assert call(http, tokens).status_code == 503  # until the fault is cleared
        sandbox.admin.clear_faults(company)
        assert call(http, tokens).status_code == 200
    else:
        assert call(http, tokens).status_code == 200  # error_next=1: one failure only
    outcomes = [r["outcome"] for r in sandbox.admin.requests(company=company)]
    assert outcomes[0] == {"offline": "offline", "429 burst": "throttled"}.get(case, "injected_error")


def _xml_pattern(xml: str) -> str:
    """The expected XML as a regular expression, literal except for the time attribute."""
    before, after = xml.split(QBO_TIME)
    return re.escape(before) + QBO_TIME + re.escape(after)


def test_token_revocation_fault(sandbox: SandboxServer, http: httpx.Client) -> None:
    qbo, xero = sandbox.admin.issue_tokens(QBO), sandbox.admin.issue_tokens(XERO)
    sandbox.admin.set_faults(QBO, revoke_tokens=True)
    sandbox.admin.set_faults(XERO, revoke_tokens=True)
    assert qbo_call(http, qbo).status_code == 401
    revoked = xero_call(http, xero)
    assert (revoked.status_code, revoked.json()["Detail"]) == (401, "AuthenticationUnsuccessful")
    refresh = http.post("/oauth2/v1/tokens/bearer", auth=(qbo.client_id, qbo.client_secret),
                        data={"grant_type": "refresh_token", "refresh_token": qbo.refresh_token})
    assert refresh.json() == {"error": "invalid_grant"}


def test_latency_is_added_to_every_request(sandbox: SandboxServer, http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens(XERO)
    xero_call(http, tokens)  # warm the connection
    sandbox.admin.set_faults(XERO, latency_ms=300)
    started = time.monotonic()
    assert xero_call(http, tokens).status_code == 200
    assert 0.3 <= time.monotonic() - started < 1.5


def _credit_note(reference: str) -> bytes:
    return wire.dumps({"CreditNotes": [{
        "Type": "ACCPAYCREDIT", "Contact": {"ContactID": SHENZHEN}, "Status": "AUTHORISED", "Reference": reference,
        "Date": "2026-11-20", "LineItems": [{"UnitAmount": "5.00", "AccountCode": "310"}]}]}).encode()


def test_lost_response_commits_the_write_and_closes_the_connection(sandbox: SandboxServer,
                                                                    http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens(XERO)
    sandbox.admin.set_faults(XERO, drop_next=1)
    assert xero_call(http, tokens).status_code == 200  # reads are never dropped; the countdown waits for a write
    headers = {**xero_headers(tokens), "Idempotency-Key": "lost-1"}
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        http.put("/api.xro/2.0/CreditNotes", content=_credit_note("RF-LOST"), headers=headers)
    stored = sandbox.admin.documents(XERO, "CreditNote")
    assert [d["body"]["Reference"] for d in stored] == ["RF-LOST"]  # committed although nobody heard back
    record = [r for r in sandbox.admin.requests(company=XERO) if r["method"] == "PUT"][-1]
    assert (record["status"], record["outcome"], record["idempotency_key"]) == (None, "dropped", "lost-1")
    assert record["written"] == [{"entity": "CreditNote", "id": stored[0]["id"]}]
    retry = http.put("/api.xro/2.0/CreditNotes", content=_credit_note("RF-LOST"), headers=headers)
    assert retry.status_code == 200
    assert retry.json()["CreditNotes"][0]["CreditNoteID"] == stored[0]["id"]  # replayed, not written twice
    assert len(sandbox.admin.documents(XERO, "CreditNote")) == 1


def test_lost_response_with_python_quickbooks_and_requestid(sandbox: SandboxServer, qb: Any) -> None:
    from tests.connectors.sandbox.test_quickbooks_sdk import vendor_credit

    sandbox.admin.set_faults(QBO, drop_next=1)
    with pytest.raises(requests.exceptions.ConnectionError) as err:
        vendor_credit("RF-LOST", "12.00").save(qb=qb, request_id="posting-lost")
    assert isinstance(err.value.args[0].args[1], http.client.RemoteDisconnected)
    assert len(sandbox.admin.documents(QBO, "VendorCredit")) == 1
    again = vendor_credit("RF-LOST", "12.00").save(qb=qb, request_id="posting-lost")
    assert again.Id == sandbox.admin.documents(QBO, "VendorCredit")[0]["id"]
    assert len(sandbox.admin.documents(QBO, "VendorCredit")) == 1


def test_xero_python_retries_a_lost_put_by_itself(sandbox: SandboxServer, xero: Any) -> None:
    """urllib3 (under xero-python) retries an idempotent PUT whose connection was dropped: without an
    Idempotency-Key the lost write is duplicated, with one it is not. Connectors must send the key."""
    from xero_python.accounting import CreditNotes

    from tests.connectors.sandbox.test_xero_sdk import credit_note

    sandbox.admin.set_faults(XERO, drop_next=1)
    result = xero.accounting.create_credit_notes(
        "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71",
        CreditNotes(credit_notes=[credit_note("ACCPAYCREDIT", SHENZHEN, "RF-DUP", "5.00", "310")]))
    assert result.credit_notes[0].reference == "RF-DUP"  # the SDK call "succeeded"...
    assert len(sandbox.admin.documents(XERO, "CreditNote")) == 2  # ...and wrote the credit note twice

    sandbox.admin.set_faults(XERO, drop_next=1)
    xero.accounting.create_credit_notes(
        "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71",
        CreditNotes(credit_notes=[credit_note("ACCPAYCREDIT", SHENZHEN, "RF-ONCE", "5.00", "310")]),
        idempotency_key="rf-once")
    assert [d["body"]["Reference"] for d in sandbox.admin.documents(XERO, "CreditNote")].count("RF-ONCE") == 1


def test_seeded_faults_repeat_exactly(sandbox: SandboxServer, http: httpx.Client) -> None:
    tokens = sandbox.admin.issue_tokens(XERO)

    def run() -> list[int]:
        sandbox.admin.set_faults(XERO, error_rate=0.5, error_statuses=[500, 503], seed=7)
        return [xero_call(http, tokens).status_code for _ in range(16)]

    first, second = run(), run()
    assert first == second
    assert {500, 503, 200} == set(first)


def test_unknown_fault_setting_is_refused(sandbox: SandboxServer) -> None:
    from connectors.sandbox.client import SandboxAdminError

    with pytest.raises(SandboxAdminError) as err:
        sandbox.admin.set_faults(XERO, dropp_next=1)
    assert err.value.status == 400 and "unknown fault setting(s): dropp_next" in err.value.body["error"]
