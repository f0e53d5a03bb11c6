"""Xero validation in Xero's shapes: one table row per rule, exact status, headers and body."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.sandbox import wire
from connectors.sandbox.client import IssuedTokens
from tests.connectors.sandbox.conftest import xero_headers

SHENZHEN = "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b01"
DEFUNCT = "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5d01"
NORTHWIND = "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5c01"
BILL_1042 = "0c6f9a2b-3e4d-4f5a-8b6c-7d8e9f0a1042"
INV_2001 = "0c6f9a2b-3e4d-4f5a-8b6c-7d8e9f0a2001"
ZERO = "00000000-0000-0000-0000-000000000000"


def note(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "ACCPAYCREDIT", "Contact": {"ContactID": SHENZHEN}, "Date": "2026-11-20", "Status": "AUTHORISED",
        "Reference": "RF-1", "LineAmountTypes": "NoTax",
        "LineItems": [{"Description": "refund", "Quantity": 1, "UnitAmount": "25.00", "AccountCode": "310"}],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


CASES = [
    ("end of year lock date", note(Date="2025-06-30"),
     "The document date cannot be before the end of year lock date, currently set at 31-Dec-2025"),
    ("period lock date", note(Date="2026-02-01"),
     "The document date cannot be before the period lock date, currently set at 31-Mar-2026"),
    ("invalid account code", note(LineItems=[{"UnitAmount": 5, "AccountCode": "999"}]),
     "Account code '999' is not a valid code for this document."),
    ("bank account on a line", note(LineItems=[{"UnitAmount": 5, "AccountCode": "090"}]),
     "Account code '090' is not a valid code for this document."),
    ("archived account code", note(LineItems=[{"UnitAmount": 5, "AccountCode": "4010"}]),
     "Account code '4010' has been archived, or has been deleted. Each line item must reference a valid account."),
    ("archived contact", note(Contact={"ContactID": DEFUNCT}),
     "The contact 'Defunct Imports Pty Ltd' has been archived. Archived contacts cannot be used on new "
     "transactions."),
    ("no contact", note(Contact=None), "A Contact must be specified for this type of transaction"),
    ("wrong type", note(Type="ACCPAY"), "Credit Note Type must be one of ACCPAYCREDIT, ACCRECCREDIT"),
]


@pytest.mark.parametrize(("case", "body", "message"), CASES, ids=[c[0] for c in CASES])
def test_credit_note_validation(http: httpx.Client, xero_tokens: IssuedTokens, case: str, body: dict[str, Any],
                                message: str) -> None:
    response = http.put("/api.xro/2.0/CreditNotes", content=wire.dumps({"CreditNotes": [body]}),
                        headers=xero_headers(xero_tokens))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["x-minlimit-remaining"] == "59"
    assert response.headers["x-daylimit-remaining"] == "4999"
    assert response.headers["x-appminlimit-remaining"] == "9999"
    assert response.json() == {
        "ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
        "Elements": [{"CreditNoteID": ZERO, "ValidationErrors": [{"Message": message}]}],
    }


def _put(http: httpx.Client, tokens: IssuedTokens, path: str, body: dict[str, Any],
         params: dict[str, str] | None = None) -> httpx.Response:
    return http.put(f"/api.xro/2.0/{path}", content=wire.dumps(body), headers=xero_headers(tokens), params=params)


def _messages(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    return [e["Message"] for el in response.json()["Elements"] for e in el["ValidationErrors"]]


def test_credit_note_number_is_unique(http: httpx.Client, xero_tokens: IssuedTokens) -> None:
    first = _put(http, xero_tokens, "CreditNotes", {"CreditNotes": [note(CreditNoteNumber="SUP-1")]})
    assert first.status_code == 200
    again = _put(http, xero_tokens, "CreditNotes", {"CreditNotes": [note(CreditNoteNumber="SUP-1")]})
    assert _messages(again) == ["Credit Note # must be unique."]
    other_type = note(Type="ACCRECCREDIT", Contact={"ContactID": NORTHWIND}, CreditNoteNumber="SUP-1",
                      LineItems=[{"UnitAmount": 5, "AccountCode": "260"}])
    assert _put(http, xero_tokens, "CreditNotes", {"CreditNotes": [other_type]}).status_code == 200


def test_allocation_and_payment_cannot_exceed_what_is_outstanding(http: httpx.Client,
                                                                  xero_tokens: IssuedTokens) -> None:
    created = _put(http, xero_tokens, "CreditNotes", {"CreditNotes": [note()]}).json()["CreditNotes"][0]
    credit_id = created["CreditNoteID"]
    too_much = _put(http, xero_tokens, f"CreditNotes/{credit_id}/Allocations",
                    {"Allocations": [{"Invoice": {"InvoiceID": BILL_1042}, "Amount": "25.01", "Date": "2026-11-21"}]})
    assert too_much.json() == {
        "ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
        "Elements": [{"ValidationErrors": [
            {"Message": "Credit Note cannot be allocated as amount is greater than amount outstanding"}]}],
    }
    wrong_side = _put(http, xero_tokens, f"CreditNotes/{credit_id}/Allocations",
                      {"Allocations": [{"Invoice": {"InvoiceID": INV_2001}, "Amount": "5", "Date": "2026-11-21"}]})
    assert _messages(wrong_side) == ["Credit Note cannot be allocated to an incorrect invoice type"]
    payment = {"CreditNote": {"CreditNoteID": credit_id}, "Account": {"Code": "090"}, "Date": "2026-11-21",
               "Amount": "30.00"}
    assert _messages(_put(http, xero_tokens, "Payments", {"Payments": [payment]})) == [
        "The payment amount exceeds the amount outstanding on this document."]
    not_bank = {**payment, "Amount": "5.00", "Account": {"Code": "200"}}
    assert _messages(_put(http, xero_tokens, "Payments", {"Payments": [not_bank]})) == [
        "Account code '200' is not a bank account and does not allow payments."]
    per_item = _put(http, xero_tokens, "Payments", {"Payments": [{**payment, "Amount": "25.00"}, payment]},
                    params={"summarizeErrors": "false"})
    items = per_item.json()["Payments"]
    assert per_item.status_code == 200
    assert [(p["StatusAttributeString"], p.get("HasValidationErrors")) for p in items] == [("OK", False),
                                                                                         ("ERROR", True)]
    assert items[1]["ValidationErrors"] == [  # the first payment settled the credit note (now PAID)
        {"Message": "Credit Note not of valid status for modification"},
        {"Message": "The payment amount exceeds the amount outstanding on this document."}]
    assert items[1]["Amount"] == 30  # echoed as a number, as Xero does


QUERY_CASES = [
    ('Reference=="RF-1" AND', "Expression expected at position 21"),
    ('Colour=="red"', "No property or field 'Colour' exists in type 'CreditNote'"),
    ('Reference=="RF-1', "Unterminated string literal at position 11"),
]


@pytest.mark.parametrize(("where", "message"), QUERY_CASES, ids=[c[0] for c in QUERY_CASES])
def test_where_parse_errors(http: httpx.Client, xero_tokens: IssuedTokens, where: str, message: str) -> None:
    response = http.get("/api.xro/2.0/CreditNotes", params={"where": where}, headers=xero_headers(xero_tokens))
    assert response.status_code == 400
    assert response.json() == {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}


def test_where_order_and_archived_filters(http: httpx.Client, xero_tokens: IssuedTokens) -> None:
    def names(path: str, **params: str) -> list[str]:
        response = http.get(f"/api.xro/2.0/{path}", params=params, headers=xero_headers(xero_tokens))
        assert response.status_code == 200, response.text
        key = path.split("/")[0]
        return [item.get("Name") or item.get("InvoiceNumber") for item in response.json()[key]]

    assert "Defunct Imports Pty Ltd" not in names("Contacts")
    assert "Defunct Imports Pty Ltd" in names("Contacts", includeArchived="true")
    assert names("Contacts", where='IsSupplier==true AND Name.Contains("Co")', order="Name DESC") == [
        "Shenzhen Lianhua Trading Co."]
    assert names("Invoices", where='Type=="ACCREC" AND AmountDue > 1000') == ["INV-2002"]
    assert names("Invoices", where='Date >= DateTime(2026,10,10) && Date < DateTime(2026,10,13)') == ["BILL-1043"]
    assert names("Invoices", where='Reference != null', order="InvoiceNumber") == ["BILL-1042", "BILL-1043"]
    assert names("Accounts", where='Status=="ARCHIVED"') == ["Old Refunds Clearing"]
    assert names("Invoices/INV-2001") == ["INV-2001"]


def test_at_most_fifty_documents_per_request(http: httpx.Client, xero_tokens: IssuedTokens) -> None:
    notes = [note(Reference=f"RF-{n}") for n in range(51)]
    refused = _put(http, xero_tokens, "CreditNotes", {"CreditNotes": notes})
    assert (refused.status_code, refused.json()) == (400, {
        "ErrorNumber": 14, "Type": "PostDataInvalidException",
        "Message": "No more than 50 CreditNotes can be sent in one request"})
    accepted = _put(http, xero_tokens, "CreditNotes", {"CreditNotes": notes[:50]}, params={"summarizeErrors": "false"})
    assert accepted.status_code == 200 and len(accepted.json()["CreditNotes"]) == 50
