"""The taxonomy walked with answers the sandbox really sends over HTTP (the other half of test_errors.py,
whose bodies follow ../shared/reference): parse, classify, and the operator's reason."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from connectors.errors import Action, ProviderError, classify
from connectors.quickbooks import faults as qbo
from connectors.sandbox.testing import SandboxServer, running_sandbox
from connectors.xero import faults as xero

REALM = "9130355377389516"
XERO_TENANT = "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox() as server:
        yield server


def _vendor_credit(doc_number: str, *, vendor: str = "56", date: str = "2026-11-20") -> dict[str, Any]:
    return {"VendorRef": {"value": vendor}, "DocNumber": doc_number, "TxnDate": date,
            "Line": [{"Amount": 10.00, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "80"}}}]}


def _qbo(sb: SandboxServer, body: dict[str, Any] | None = None, *, token: str | None = None,
         path: str = "vendorcredit") -> httpx.Response:
    token = token or sb.admin.issue_tokens("demo-qbo").access_token
    url = f"{sb.base_url}/v3/company/{REALM}/{path}?minorversion=75"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if body is None:
        return httpx.get(f"{sb.base_url}/v3/company/{REALM}/query?query=select * from Vendor", headers=headers)
    return httpx.post(url, json=body, headers=headers)


def _credit_note(number: str, *, account: str = "300", date: str = "2026-11-20") -> dict[str, Any]:
    return {"Type": "ACCPAYCREDIT", "Contact": {"ContactID": "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b01"},
            "Date": date, "CreditNoteNumber": number, "Reference": number, "LineAmountTypes": "NoTax",
            "Status": "AUTHORISED",
            "LineItems": [{"Description": "mugs", "Quantity": 1, "UnitAmount": 10.00, "AccountCode": account}]}


def _xero(sb: SandboxServer, body: dict[str, Any] | None = None, *, token: str | None = None) -> httpx.Response:
    token = token or sb.admin.issue_tokens("demo-xero").access_token
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": XERO_TENANT, "Accept": "application/json"}
    url = f"{sb.base_url}/api.xro/2.0/CreditNotes"
    if body is None:
        return httpx.get(url, headers=headers)
    return httpx.put(f"{url}?summarizeErrors=false", content=json.dumps({"CreditNotes": [body]}),
                     headers={**headers, "Content-Type": "application/json"})


def _qbo_error(r: httpx.Response, write: bool = True) -> ProviderError:
    return qbo.parse_fault(r.status_code, r.content, dict(r.headers), write=write)


def _xero_error(r: httpx.Response, write: bool = True) -> ProviderError:
    if r.status_code == 200:
        item = r.json()["CreditNotes"][0]
        found = xero.item_error(item, write=write)
        assert found is not None, item
        return found
    return xero.parse_error(r.status_code, r.content, dict(r.headers), write=write)


def qbo_expired(sb: SandboxServer) -> ProviderError:
    return _qbo_error(_qbo(sb, _vendor_credit("T-401"), token="not-a-token"))


def qbo_throttled(sb: SandboxServer) -> ProviderError:
    sb.admin.set_faults("demo-qbo", throttle_next=1)
    try:
        return _qbo_error(_qbo(sb), write=False)
    finally:
        sb.admin.clear_faults("demo-qbo")


def qbo_duplicate(sb: SandboxServer) -> ProviderError:
    assert _qbo(sb, _vendor_credit("T-DUP")).status_code == 200
    return _qbo_error(_qbo(sb, _vendor_credit("T-DUP")))


def qbo_bad_vendor(sb: SandboxServer) -> ProviderError:
    return _qbo_error(_qbo(sb, _vendor_credit("T-2500", vendor="9999")))


def qbo_closed_books(sb: SandboxServer) -> ProviderError:
    return _qbo_error(_qbo(sb, _vendor_credit("T-6210", date="2025-06-30")))


def qbo_inactive_vendor(sb: SandboxServer) -> ProviderError:
    return _qbo_error(_qbo(sb, _vendor_credit("T-INACT", vendor="60")))


def xero_expired(sb: SandboxServer) -> ProviderError:
    return _xero_error(_xero(sb, token="not-a-token"), write=False)


def xero_throttled(sb: SandboxServer) -> ProviderError:
    sb.admin.set_faults("demo-xero", throttle_next=1)
    try:
        return _xero_error(_xero(sb), write=False)
    finally:
        sb.admin.clear_faults("demo-xero")


def xero_archived_account(sb: SandboxServer) -> ProviderError:
    return _xero_error(_xero(sb, _credit_note("T-4010", account="4010")))


def xero_lock_date(sb: SandboxServer) -> ProviderError:
    return _xero_error(_xero(sb, _credit_note("T-LOCK", date="2025-06-30")))


def xero_offline(sb: SandboxServer) -> ProviderError:
    sb.admin.set_faults("demo-xero", offline=True)
    try:
        return _xero_error(_xero(sb, _credit_note("T-OFF")))
    finally:
        sb.admin.clear_faults("demo-xero")


CASES: list[tuple[Callable[[SandboxServer], ProviderError], Action, str, str]] = [
    (qbo_expired, Action.REFRESH_THEN_RETRY, "qbo.auth_expired", "expired"),
    (qbo_throttled, Action.RATE_LIMITED, "qbo.throttled", "slow down"),
    (qbo_duplicate, Action.UNCERTAIN, "qbo.duplicate_doc_number", "never re-sent"),
    (qbo_bad_vendor, Action.PERMANENT, "qbo.invalid_reference", "fix the tenant's mapping"),
    (qbo_closed_books, Action.PERMANENT, "qbo.closed_period", "the books are closed"),
    (qbo_inactive_vendor, Action.PERMANENT, "qbo.inactive_reference", "make it active or change the mapping"),
    (xero_expired, Action.REFRESH_THEN_RETRY, "xero.token_expired", "expired"),
    (xero_throttled, Action.RATE_LIMITED, "xero.rate_limited", "slow down"),
    (xero_archived_account, Action.PERMANENT, "xero.account_archived", "account 4010 is archived in Xero"),
    (xero_lock_date, Action.PERMANENT, "xero.lock_date", "lock date"),
    (xero_offline, Action.RETRY, "xero.offline", "offline"),
]


@pytest.mark.parametrize(("answer", "action", "rule", "words"), CASES, ids=[c[0].__name__ for c in CASES])
def test_sandbox_answers_are_classified(sandbox: SandboxServer, answer: Callable[[SandboxServer], ProviderError],
                                        action: Action, rule: str, words: str) -> None:
    result = classify(answer(sandbox))
    assert (result.action, result.rule) == (action, rule), result
    assert words in result.reason, result.reason
