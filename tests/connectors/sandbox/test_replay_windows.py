"""How long replay keys are remembered: Xero's Idempotency-Key window (6 sandbox minutes by default)
and QBO's requestid (configurable; remembered for the life of the state by default)."""

from __future__ import annotations

import httpx

from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conftest import QBO, REALM, XERO, checked_sandbox, qbo_headers, xero_headers
from tests.connectors.sandbox.test_faults import _credit_note
from tests.connectors.sandbox.test_quickbooks_faults import vendor_credit


def test_idempotency_key_expires_after_its_window(sandbox: SandboxServer, http: httpx.Client) -> None:
    headers = {**xero_headers(sandbox.admin.issue_tokens(XERO)), "Idempotency-Key": "window-1"}
    first = http.put("/api.xro/2.0/CreditNotes", content=_credit_note("RF-W"), headers=headers)
    sandbox.admin.advance_clock(minutes=5.9)
    headers["Authorization"] = f"Bearer {sandbox.admin.issue_tokens(XERO).access_token}"
    inside = http.put("/api.xro/2.0/CreditNotes", content=_credit_note("RF-W"), headers=headers)
    assert inside.json() == first.json()
    sandbox.admin.advance_clock(minutes=0.2)
    after = http.put("/api.xro/2.0/CreditNotes", content=_credit_note("RF-W"), headers=headers)
    assert after.status_code == 200
    assert after.json()["CreditNotes"][0]["CreditNoteID"] != first.json()["CreditNotes"][0]["CreditNoteID"]
    assert len(sandbox.admin.documents(XERO, "CreditNote")) == 2


def test_idempotency_key_longer_than_128_is_refused(sandbox: SandboxServer, http: httpx.Client) -> None:
    headers = {**xero_headers(sandbox.admin.issue_tokens(XERO)), "Idempotency-Key": "k" * 129}
    response = http.put("/api.xro/2.0/CreditNotes", content=_credit_note("RF-L"), headers=headers)
    assert response.status_code == 400
    assert response.json()["Detail"] == "Idempotency-Key must be at most 128 characters"
    assert sandbox.admin.documents(XERO, "CreditNote") == []


def test_qbo_requestid_is_kept_for_the_configured_window() -> None:
    with checked_sandbox(qbo_requestid_minutes=10) as sandbox, httpx.Client(base_url=sandbox.base_url) as http:
        def post() -> str:
            headers = qbo_headers(sandbox.admin.issue_tokens(QBO))
            response = http.post(f"/v3/company/{REALM}/vendorcredit?requestid=r-1&include=allowduplicatedocnum",
                                 json=vendor_credit(), headers=headers)
            doc_id: str = response.json()["VendorCredit"]["Id"]
            return doc_id

        first = post()
        sandbox.admin.advance_clock(minutes=9)
        assert post() == first
        sandbox.admin.advance_clock(minutes=2)
        assert post() != first
        assert len(sandbox.admin.documents(QBO, "VendorCredit")) == 2


def test_replay_returns_errors_too(sandbox: SandboxServer, http: httpx.Client) -> None:
    """The first answer is remembered whatever it was, a validation fault included."""
    headers = qbo_headers(sandbox.admin.issue_tokens(QBO))
    url = f"/v3/company/{REALM}/vendorcredit?requestid=r-err"
    failed = http.post(url, json=vendor_credit(VendorRef={"value": "9999"}), headers=headers)
    assert failed.status_code == 400
    repeat = http.post(url, json=vendor_credit(), headers=headers)
    assert (repeat.status_code, repeat.json()) == (400, failed.json())
    assert sandbox.admin.documents(QBO, "VendorCredit") == []
