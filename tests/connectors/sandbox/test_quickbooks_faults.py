"""QBO validation the way Intuit answers it: one table row per fault code, exact status and body."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from connectors.sandbox import wire
from connectors.sandbox.client import IssuedTokens
from tests.connectors.sandbox.conftest import REALM, qbo_headers

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[78]:00$")
INACTIVE = ("Invalid Reference Id : Something you're trying to use has been made inactive. Check the fields "
            "with accounts, customers, items, vendors or employees.")


def vendor_credit(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "VendorRef": {"value": "56"},
        "TxnDate": "2026-11-20",
        "DocNumber": "RF-1",
        "Line": [{"Amount": "42.50", "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "91"}}}],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def line(account: str) -> list[dict[str, Any]]:
    return [{"Amount": 1, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}}}]


CASES = [
    ("required Line", "vendorcredit", vendor_credit(Line=None),
     {"Message": "Required param missing, need to supply the required value for the API",
      "Detail": "Required parameter Line is missing in the request", "code": "2020", "element": "Line"}),
    ("required DepositToAccountRef", "refundreceipt",
     {"Line": [{"Amount": 5, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]},
     {"Message": "Required param missing, need to supply the required value for the API",
      "Detail": "Required parameter DepositToAccountRef is missing in the request", "code": "2020",
      "element": "DepositToAccountRef"}),
    ("DocNumber over 21", "vendorcredit", vendor_credit(DocNumber="RF-2026-0000000000123X"),
     {"Message": "String length is either shorter or longer than supported by specification",
      "Detail": "String length specified does not match the supported length. Min:0 Max:21 supplied length:22",
      "code": "2050", "element": "DocNumber"}),
    ("unknown vendor", "vendorcredit", vendor_credit(VendorRef={"value": "9999"}),
     {"Message": "Invalid Reference Id", "Detail": "Invalid Reference Id : VendorRef", "code": "2500",
      "element": "VendorRef"}),
    ("inactive vendor", "vendorcredit", vendor_credit(VendorRef={"value": "60"}),
     {"Message": "Invalid Reference Id", "Detail": INACTIVE, "code": "2500", "element": "VendorRef"}),
    ("inactive account", "vendorcredit", vendor_credit(Line=line("92")),
     {"Message": "Invalid Reference Id", "Detail": INACTIVE, "code": "2500",
      "element": "Line.AccountBasedExpenseLineDetail.AccountRef"}),
    ("duplicate DocNumber", "bill", vendor_credit(DocNumber="BILL-1042"),
     {"Message": "Duplicate Document Number Error",
      "Detail": "Duplicate Document Number Error : You must specify a different number. This number has already "
                "been used. DocNumber=BILL-1042 is assigned to TxnType=Bill with TxnId=130", "code": "6140"}),
    ("closed books", "vendorcredit", vendor_credit(TxnDate="2025-12-31"),
     {"Message": "Account Period Closed, Cannot Update Through Services API",
      "Detail": "The account period has closed and the books are locked for this company. Cannot update through "
                "services API. Closing date: 2025-12-31", "code": "6210"}),
    ("unsupported property", "vendorcredit", vendor_credit(Colour="red"),
     {"Message": "Request has invalid or unsupported property",
      "Detail": "Property Name:Colour specified is unsupported or invalid", "code": "2010", "element": "Colour"}),
    ("amount not a number", "vendorcredit", vendor_credit(Line=[{**line("91")[0], "Amount": "4x"}]),
     {"Message": "Request has invalid or unsupported property", "Detail": "Line.Amount must be a number, got '4x'",
      "code": "2010", "element": "Line.Amount"}),
    ("foreign currency", "vendorcredit", vendor_credit(CurrencyRef={"value": "EUR"}),
     {"Message": "A business validation error has occurred while processing your request",
      "Detail": "Business Validation Error: Multi-currency is not enabled for this company. Transactions must be "
                "in the home currency USD.", "code": "6000"}),
    ("create a tax code", "taxcode", {"Name": "New"},
     {"Message": "Unsupported Operation", "Detail": "Operation Create of TaxCode is not supported.",
      "code": "500"}),
]


@pytest.mark.parametrize(("case", "entity", "body", "error"), CASES, ids=[c[0] for c in CASES])
def test_validation_fault(http: httpx.Client, qbo_tokens: IssuedTokens, case: str, entity: str,
                          body: dict[str, Any], error: dict[str, str]) -> None:
    response = http.post(f"/v3/company/{REALM}/{entity}?minorversion=75", content=wire.dumps(body),
                         headers=qbo_headers(qbo_tokens))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    data = response.json()
    assert data["Fault"] == {"Error": [error], "type": "ValidationFault"}
    assert TIME.match(data["time"])
    assert set(data) == {"Fault", "time"}


def test_duplicate_doc_number_is_allowed_when_asked(http: httpx.Client, qbo_tokens: IssuedTokens) -> None:
    response = http.post(f"/v3/company/{REALM}/bill?include=allowduplicatedocnum",
                         content=wire.dumps(vendor_credit(DocNumber="BILL-1042")), headers=qbo_headers(qbo_tokens))
    assert response.status_code == 200
    assert response.json()["Bill"]["DocNumber"] == "BILL-1042"


def _fault(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["Fault"]["Error"][0]
    return error


def test_stale_sync_token_not_found_and_deleted(http: httpx.Client, qbo_tokens: IssuedTokens) -> None:
    headers = qbo_headers(qbo_tokens)
    created = http.post(f"/v3/company/{REALM}/vendorcredit", content=wire.dumps(vendor_credit()), headers=headers)
    doc = created.json()["VendorCredit"]
    update = {"Id": doc["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "first"}
    assert http.post(f"/v3/company/{REALM}/vendorcredit", json=update, headers=headers).status_code == 200
    stale = _fault(http.post(f"/v3/company/{REALM}/vendorcredit", json=update, headers=headers))
    assert stale == {"Message": "Stale Object Error", "code": "5010", "element": "SyncToken",
                     "Detail": "Stale Object Error : You and Sandbox Admin were working on this at the same time. "
                               "Sandbox Admin finished before you did, so your work was not saved."}
    missing = http.get(f"/v3/company/{REALM}/vendorcredit/424242", headers=headers)
    assert _fault(missing)["code"] == "610"
    delete = http.post(f"/v3/company/{REALM}/vendorcredit?operation=delete", json={"Id": doc["Id"], "SyncToken": "1"},
                       headers=headers)
    assert delete.json()["VendorCredit"] == {"domain": "QBO", "status": "Deleted", "Id": doc["Id"]}
    again = http.post(f"/v3/company/{REALM}/vendorcredit", json={**update, "SyncToken": "1"}, headers=headers)
    assert _fault(again) == {"Message": "Object Not Found", "Detail": "Another user has deleted this transaction.",
                             "code": "610"}
    vendor = http.post(f"/v3/company/{REALM}/vendor?operation=delete", json={"Id": "56", "SyncToken": "0"},
                       headers=headers)
    assert _fault(vendor) == {"Message": "Unsupported Operation", "Detail": "Operation Delete is not supported.",
                              "code": "500"}


QUERY_CASES = [
    ("SELECT * FROM VendorCredit WHERE PrivateNote = 'x'", "4001", "Invalid query",
     "QueryValidationError: property 'PrivateNote' is not queryable"),
    ("SELECT * FROM VendorCredit WHERE DocNumber = 'a' OR DocNumber = 'b'", "4001", "Invalid query",
     "QueryValidationError: OR operator is not supported in the where clause"),
    ("SELECT * FROM VendorCredit MAXRESULTS 1001", "4001", "Invalid query",
     "QueryValidationError: MaxResults value 1001 exceeds the maximum of 1000"),
    ("SELECT * FROM Vendor WHERE DisplayName = 'Cutlery 'R Us'", "4000", "Error parsing query",
     'QueryParserError: Encountered " <IDENTIFIER> "R "" at line 1, column 52.\nWas expecting one of:\n'
     '    <EOF> \n    <AND> ...\n    "maxresults" ...\n    "order" ...\n    "orderby" ...\n    "startposition" ...\n'
     '    '),
    ("SELECT * FROM Account WHERE Name LIKE %x%", "4000", "Error parsing query",
     'QueryParserError: Invalid content. Lexical error at line 1, column 39.  Encountered: "%" (37), after : ""'),
    ("", "4000", "Error parsing query", "QueryParserError: The query provided was empty"),
]


@pytest.mark.parametrize(("query", "code", "message", "detail"), QUERY_CASES, ids=[c[0][:40] for c in QUERY_CASES])
def test_query_faults(http: httpx.Client, qbo_tokens: IssuedTokens, query: str, code: str, message: str,
                      detail: str) -> None:
    response = http.post(f"/v3/company/{REALM}/query", content=query.encode(),
                         headers={**qbo_headers(qbo_tokens), "Content-Type": "application/text"})
    assert _fault(response) == {"Message": message, "Detail": detail, "code": code}


def test_query_language_subset(http: httpx.Client, qbo_tokens: IssuedTokens) -> None:
    def run(query: str) -> dict[str, Any]:
        response = http.get(f"/v3/company/{REALM}/query", params={"query": query, "minorversion": "75"},
                            headers=qbo_headers(qbo_tokens))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["QueryResponse"]
        return result

    assert [a["Id"] for a in run("select * from Account where AccountType = 'Bank'")["Account"]] == ["35"]
    assert run("SELECT COUNT(*) FROM Vendor") == {"totalCount": 4}  # the inactive vendor is left out
    assert run("SELECT COUNT(*) FROM Vendor WHERE Active IN (true, false)") == {"totalCount": 5}
    names = [v["DisplayName"] for v in run("SELECT * FROM Vendor WHERE DisplayName LIKE '%株式会社%'")["Vendor"]]
    assert names == ["株式会社サクラ商事"]
    bills = run("SELECT * FROM Bill WHERE TotalAmt >= '315.50' AND TotalAmt < '8800' ORDERBY TotalAmt DESC")
    assert [b["DocNumber"] for b in bills["Bill"]] == ["BILL-1042", "BILL-1044"]
    assert [b["Id"] for b in run("SELECT * FROM Bill WHERE VendorRef = '57'")["Bill"]] == ["131"]
    assert [b["Id"] for b in run("SELECT * FROM Bill WHERE Id IN ('130', '132') ORDER BY Id DESC")["Bill"]] == [
        "132", "130"]
    projected = run("SELECT DocNumber, TotalAmt FROM Invoice WHERE DocNumber = 'INV-2001'")["Invoice"][0]
    assert set(projected) == {"DocNumber", "TotalAmt", "Id", "SyncToken", "MetaData", "domain", "sparse"}
    recent = run("SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > '2000-01-01T00:00:00-08:00'")
    assert len(recent["Invoice"]) == 3
    assert run("SELECT * FROM CompanyInfo")["CompanyInfo"][0]["CompanyName"] == "Refundsync Demo Trading (QuickBooks)"


def test_batch_limits(http: httpx.Client, qbo_tokens: IssuedTokens) -> None:
    items = [{"bId": str(n), "operation": "create", "VendorCredit": vendor_credit(DocNumber=f"B-{n}")}
             for n in range(31)]
    response = http.post(f"/v3/company/{REALM}/batch", json={"BatchItemRequest": items},
                         headers=qbo_headers(qbo_tokens))
    assert response.status_code == 400
    assert response.json()["Fault"] == {"type": "SystemFault", "Error": [{
        "Message": "An application error has occurred while processing your request",
        "Detail": "System Failure Error: Number of items in the batch request exceeds the maximum of 30. "
                  "Items supplied: 31", "code": "1040"}]}
    ok = http.post(f"/v3/company/{REALM}/batch", json={"BatchItemRequest": items[:30]}, headers=qbo_headers(qbo_tokens))
    assert ok.status_code == 200 and len(ok.json()["BatchItemResponse"]) == 30
