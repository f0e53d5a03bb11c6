"""QBO Payment (a credit memo applied to an invoice), Class and PaymentMethod in the sandbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from connectors.sandbox.client import IssuedTokens
from connectors.sandbox.server import SandboxServer
from tests.connectors.sandbox.conftest import QBO, REALM, qbo_headers


def post(http: httpx.Client, tokens: IssuedTokens, entity: str, body: dict[str, Any], **params: str
         ) -> httpx.Response:
    return http.post(f"/v3/company/{REALM}/{entity}", json=body, params={"minorversion": "75", **params},
                     headers=qbo_headers(tokens))


def credit_memo(amount: str, **changes: Any) -> dict[str, Any]:
    detail = {"ItemRef": {"value": "22"}, "ClassRef": {"value": "5000000000000012346"}}
    return {"CustomerRef": {"value": "3"}, "TxnDate": "2026-11-20", "DocNumber": "RF-9",
            "Line": [{"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}],
            **changes}


def test_payment_applies_a_credit_memo_to_an_invoice_and_its_void_gives_both_back(
        http: httpx.Client, qbo_tokens: IssuedTokens, sandbox: SandboxServer) -> None:
    memo = post(http, qbo_tokens, "creditmemo", credit_memo("1200.00")).json()["CreditMemo"]
    assert memo["Line"][0]["SalesItemLineDetail"]["ClassRef"] == {"value": "5000000000000012346",
                                                                  "name": "Customer care"}
    payment = post(http, qbo_tokens, "payment", {
        "CustomerRef": {"value": "3"}, "TxnDate": "2026-11-20", "TotalAmt": 0, "PaymentRefNum": "RF-9~a",
        "Line": [{"Amount": "1200.00", "LinkedTxn": [{"TxnId": "141", "TxnType": "Invoice"}]},
                 {"Amount": "1200.00", "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}],
    }).json()["Payment"]
    invoice = sandbox.admin.document(QBO, "Invoice", "141")["body"]
    memo_now = sandbox.admin.document(QBO, "CreditMemo", memo["Id"])["body"]
    assert invoice["Balance"] == Decimal("10800.00")
    assert memo_now["Balance"] == memo_now["RemainingCredit"] == 0
    found = http.get(f"/v3/company/{REALM}/query", params={"query": "SELECT * FROM Payment WHERE PaymentRefNum = "
                                                                    "'RF-9~a'"}, headers=qbo_headers(qbo_tokens))
    assert [p["Id"] for p in found.json()["QueryResponse"]["Payment"]] == [payment["Id"]]

    voided = post(http, qbo_tokens, "payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"],
                                                "sparse": True}, operation="update", include="void")
    assert voided.status_code == 200 and voided.json()["Payment"]["PrivateNote"] == "Voided"
    assert sandbox.admin.document(QBO, "Invoice", "141")["body"]["Balance"] == 12000
    assert sandbox.admin.document(QBO, "CreditMemo", memo["Id"])["body"]["RemainingCredit"] == Decimal("1200.00")


def test_class_payment_method_and_linked_types_are_checked(http: httpx.Client, qbo_tokens: IssuedTokens) -> None:
    bad_class = credit_memo("5.00")
    bad_class["Line"][0]["SalesItemLineDetail"]["ClassRef"] = {"value": "42"}
    answer = post(http, qbo_tokens, "creditmemo", bad_class)
    assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["code"] == "2500"
    receipt = {"CustomerRef": {"value": "1"}, "DepositToAccountRef": {"value": "36"},
               "PaymentMethodRef": {"value": "99"},
               "Line": [{"Amount": "5.00", "DetailType": "SalesItemLineDetail",
                         "SalesItemLineDetail": {"ItemRef": {"value": "21"}}}]}
    answer = post(http, qbo_tokens, "refundreceipt", receipt)
    assert answer.json()["Fault"]["Error"][0] == {"Message": "Invalid Reference Id", "code": "2500",
                                                  "Detail": "Invalid Reference Id : PaymentMethodRef",
                                                  "element": "PaymentMethodRef"}
    assert post(http, qbo_tokens, "refundreceipt", {**receipt, "PaymentMethodRef": {"value": "3"}}).status_code == 200
    wrong_link = {"CustomerRef": {"value": "1"}, "TotalAmt": 0,
                  "Line": [{"Amount": "1.00", "LinkedTxn": [{"TxnId": "130", "TxnType": "Bill"}]}]}
    answer = post(http, qbo_tokens, "payment", wrong_link)
    assert answer.json()["Fault"]["Error"][0]["code"] == "2170"
