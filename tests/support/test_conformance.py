"""The conformance helpers must catch what they claim to catch, or every conformance test is hollow."""

from __future__ import annotations

from decimal import Decimal

from tests.support.conformance import qbo_unknown_elements, xero_schema_errors

GOOD_CREDIT_NOTE = {
    "Type": "ACCPAYCREDIT",
    "Contact": {"ContactID": "9d5c4a4e-2a8b-4f61-9a55-6c1f0d0f8a11"},
    "Date": "2026-11-20",
    "Reference": "RF-2026-000123",
    "LineAmountTypes": "NoTax",
    "LineItems": [{"Description": "mugs", "Quantity": Decimal("1"), "UnitAmount": Decimal("42.50"),
                   "AccountCode": "300", "LineAmount": Decimal("42.50")}],
}


def test_xero_good_body_conforms() -> None:
    assert xero_schema_errors("CreditNotes", {"CreditNotes": [GOOD_CREDIT_NOTE]}) == []


def test_xero_catches_unknown_field_wrong_enum_and_string_amount() -> None:
    bad = {**GOOD_CREDIT_NOTE, "Typo": 1, "Type": "ACCPAY", "LineItems": [{"LineAmount": "42.50"}]}
    errors = xero_schema_errors("CreditNotes", {"CreditNotes": [bad]})
    assert any("'Typo' was unexpected" in e for e in errors)
    assert any("'ACCPAY' is not one of" in e for e in errors)
    assert any("LineItems[0].LineAmount" in e and "number" in e for e in errors)


def test_xero_lenient_mode_allows_unknown_fields() -> None:
    assert xero_schema_errors("CreditNotes", {"CreditNotes": [{**GOOD_CREDIT_NOTE, "Typo": 1}]}, strict=False) == []


def test_qbo_inherited_and_nested_names() -> None:
    body = {"VendorCredit": {
        "Id": "12", "SyncToken": "0", "MetaData": {"CreateTime": "2026-11-21T09:14:00-08:00"},  # IntuitEntity
        "DocNumber": "RF-1", "TxnDate": "2026-11-20", "PrivateNote": "case RF-1",  # Transaction
        "VendorRef": {"value": "56", "name": "Acme"}, "APAccountRef": {"value": "33"},  # PurchaseByVendor
        "Line": [{"Amount": Decimal("42.50"), "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}}}],
        "sparse": False, "domain": "QBO",
    }}
    assert qbo_unknown_elements("VendorCredit", body) == []


def test_qbo_catches_names_not_in_schema_at_any_depth() -> None:
    body = {"CustomField": [], "VendorRef": {"value": "1", "nickname": "x"},
            "Line": [{"DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}, "Acount": 1}}],
            "DocNumbr": "x"}
    problems = qbo_unknown_elements("VendorCredit", body)
    assert "VendorCredit.DocNumbr: not an element of VendorCredit in Intuit's schema" in problems
    assert any(p.startswith("VendorCredit.VendorRef.nickname") for p in problems)
    assert any(p.startswith("VendorCredit.Line[0].AccountBasedExpenseLineDetail.Acount") for p in problems)
