"""plan_case: the documents each kind becomes, and every case the provider would reject, found locally."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pytest

from config.tenants import Provider
from mapping.errors import MappingError, MappingErrorCode
from mapping.hashing import idempotency_key
from mapping.plan import plan_case, plan_or_error
from mapping.split import tax_in_gross
from tests.mapping.helpers import make_case, plan, tenant, tenant_variant

LIANHUA = {"name": "Shenzhen Lianhua Trading Co.", "external_id": None}


def error_of(**overrides: Any) -> MappingError:
    with pytest.raises(MappingError) as info:
        plan(**overrides)
    assert info.value.permanent
    return info.value


def lines(*amounts: str, party: dict[str, Any] | None = None, account: str | None = None) -> list[dict[str, Any]]:
    return [{"description": f"item {i}", "amount": a, "party": party, "account": account}
            for i, a in enumerate(amounts, start=1)]


# --- QuickBooks -------------------------------------------------------------------------------------


def test_qbo_vendor_credit_carries_tag_accounts_and_a_memo_with_vendor_order_and_case_id() -> None:
    result = plan()
    assert [d.type for d in result.documents] == ["VendorCredit"]
    doc = result.documents[0]
    p = doc.payload
    assert doc.tag == p["DocNumber"] == "RF-2026-000123" and doc.lookup_field == "DocNumber"
    assert doc.path == "vendorcredit" and doc.depends_on is None and doc.placeholders == {"party.id"}
    assert p["TxnDate"] == "2026-11-20" and p["VendorRef"] == {"value": "{{party.id}}"}
    assert p["APAccountRef"] == {"value": "33", "name": "Accounts Payable (A/P)"}
    for text in ("Shenzhen Lianhua Trading Co.", "KB-88213", "RF-2026-000123"):
        assert text in p["PrivateNote"] and text in p["Line"][0]["Description"]
    line = p["Line"][0]
    assert line["Amount"] == Decimal("42.50") and str(line["Amount"]) == "42.50"
    assert line["DetailType"] == "AccountBasedExpenseLineDetail"
    assert line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] == "93"  # DAMAGED override
    assert line["AccountBasedExpenseLineDetail"]["ClassRef"] == {"value": "5000000000000012345"}
    assert "CurrencyRef" not in p and "GlobalTaxCalculation" not in p
    assert result.parties[0].entity == "Vendor" and result.parties[0].create_payload == {
        "DisplayName": "Shenzhen Lianhua Trading Co."}


def test_a_case_without_lines_gets_one_line_of_the_full_amount() -> None:
    doc = plan(lines=None, amount="17.05", reason_code="OTHER").documents[0]
    assert len(doc.payload["Line"]) == 1
    line = doc.payload["Line"][0]
    assert line["Amount"] == Decimal("17.05")
    assert line["Description"].startswith("vendor refund OTHER | RF-2026-000123")
    assert line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] == "80"


def test_qbo_vendor_cash_refund_is_a_deposit_crediting_ap_received_from_the_vendor() -> None:
    result = plan(payment={"method": "bank_transfer", "transaction_id": "PAY-7781"})
    credit, deposit = result.documents
    assert (credit.type, deposit.type) == ("VendorCredit", "Deposit")
    assert deposit.depends_on == "credit" and deposit.tag == "RF-2026-000123~p" and deposit.path == "deposit"
    p = deposit.payload
    assert p["DocNumber"] == deposit.tag and p["DepositToAccountRef"]["value"] == "35"
    detail = p["Line"][0]["DepositLineDetail"]
    assert detail["Entity"] == {"value": "{{party.id}}", "type": "VENDOR"}
    assert detail["AccountRef"]["value"] == "33" and detail["PaymentMethodRef"] == {"value": "1"}
    assert p["Line"][0]["Amount"] == Decimal("42.50")
    assert result.credit_of(deposit) is credit


def test_qbo_vendor_credit_applied_to_its_bill_with_a_zero_bill_payment() -> None:
    result = plan(original_document="BILL-1042")
    _credit, application = result.documents
    assert application.type == "BillPayment" and application.tag == "RF-2026-000123~a"
    assert application.placeholders == {"party.id", "original.id", "credit.id"}
    p = application.payload
    assert p["TotalAmt"] == Decimal("0.00") and p["PayType"] == "Check"
    assert p["CheckPayment"]["BankAccountRef"]["value"] == "35"
    assert p["Line"] == [
        {"Amount": Decimal("42.50"), "LinkedTxn": [{"TxnId": "{{original.id}}", "TxnType": "Bill"}]},
        {"Amount": Decimal("42.50"), "LinkedTxn": [{"TxnId": "{{credit.id}}", "TxnType": "VendorCredit"}]},
    ]
    assert result.original is not None
    assert (result.original.type, result.original.number, result.original.lookup_field) == (
        "Bill", "BILL-1042", "DocNumber")


def test_qbo_customer_cash_refund_is_one_refund_receipt_paid_from_the_method_account() -> None:
    result = plan(kind="customer_refund", payment={"method": "card", "transaction_id": "ch_3Pq9XyZ2026_0000001"},
                  original_document="INV-9")
    assert [d.type for d in result.documents] == ["RefundReceipt"]
    p = result.documents[0].payload
    assert p["CustomerRef"] == {"value": "{{party.id}}"} and p["DepositToAccountRef"]["value"] == "36"
    assert p["PaymentMethodRef"] == {"value": "3"}
    assert "PaymentRefNum" not in p  # 22 characters: longer than QBO's 21, kept in the memo instead
    line = p["Line"][0]
    assert line["DetailType"] == "SalesItemLineDetail"
    assert line["SalesItemLineDetail"] == {"ItemRef": {"value": "21"}, "Qty": Decimal(1),
                                           "UnitPrice": Decimal("42.50"), "ClassRef": {"value": "5000000000000012346"},
                                           "TaxCodeRef": {"value": "NON"}}
    assert result.notes == ("original document INV-9 is not applied: the refund was paid out",)
    assert result.parties[0].entity == "Customer"


def test_qbo_store_credit_is_a_credit_memo_optionally_applied_to_the_invoice() -> None:
    assert [d.type for d in plan(kind="customer_refund").documents] == ["CreditMemo"]
    result = plan(kind="customer_refund", original_document="INV-2031")
    memo, payment = result.documents
    assert (memo.type, payment.type) == ("CreditMemo", "Payment")
    assert payment.lookup_field == "PaymentRefNum" and payment.payload["PaymentRefNum"] == "RF-2026-000123~a"
    assert payment.payload["TotalAmt"] == Decimal("0.00")
    assert [ln["LinkedTxn"][0]["TxnType"] for ln in payment.payload["Line"]] == ["Invoice", "CreditMemo"]
    assert result.original is not None and result.original.type == "Invoice"


def test_qbo_foreign_currency_carries_currency_ref_and_the_rate_when_one_is_known() -> None:
    eur = plan(currency="EUR").documents[0].payload
    assert eur["CurrencyRef"] == {"value": "EUR"} and eur["ExchangeRate"] == Decimal("1.0832")
    fixed = plan(currency="EUR", exchange_rate="1.0901").documents[0].payload
    assert fixed["ExchangeRate"] == Decimal("1.0901")
    cny = plan(currency="CNY").documents[0].payload
    assert cny["CurrencyRef"] == {"value": "CNY"} and "ExchangeRate" not in cny
    party = plan_case(make_case(currency="CNY"), tenant("demo-qbo")).parties[0]
    assert party.create_payload == {"DisplayName": "Shenzhen Lianhua Trading Co.", "CurrencyRef": {"value": "CNY"}}


def test_home_currency_with_a_rate_other_than_one_is_refused() -> None:
    err = error_of(exchange_rate="1.2")
    assert err.code is MappingErrorCode.EXCHANGE_RATE_INVALID and err.field == "exchange_rate"
    assert "ExchangeRate" not in plan(exchange_rate="1").documents[0].payload


def test_jpy_amounts_have_no_decimals_and_kwd_is_sent_with_two() -> None:
    jpy = plan(currency="JPY", amount="12800", lines=lines("12800")).documents[0].payload
    assert jpy["Line"][0]["Amount"] == Decimal(12800) and jpy["Line"][0]["Amount"].as_tuple().exponent == 0
    assert jpy["ExchangeRate"] == Decimal("0.006712")
    kwd = plan(currency="KWD", amount="12.340", lines=lines("10.100", "2.240")).documents[0].payload
    assert [ln["Amount"] for ln in kwd["Line"]] == [Decimal("10.10"), Decimal("2.24")]
    assert all(ln["Amount"].as_tuple().exponent == -2 for ln in kwd["Line"])


@pytest.mark.parametrize(("tenant_name", "amount", "line_amounts", "field"), [
    ("demo-qbo", "12.345", None, "amount"),
    ("demo-qbo", "12.340", ["12.335", "0.005"], "lines[0].amount"),
    ("demo-xero", "8.251", None, "amount"),
])
def test_a_third_decimal_the_provider_cannot_store_is_refused(
    tenant_name: str, amount: str, line_amounts: list[str] | None, field: str
) -> None:
    currency = "KWD" if tenant_name == "demo-qbo" else "BHD"
    err = error_of(tenant=tenant_name, currency=currency, amount=amount,
                   lines=lines(*line_amounts) if line_amounts else None)
    assert err.code is MappingErrorCode.AMOUNT_PRECISION and err.field == field
    assert "2" in err.reason and currency in err.reason


def test_more_than_fifteen_significant_digits_is_refused() -> None:
    err = error_of(amount="12345678901234.56", lines=None)
    assert err.code is MappingErrorCode.AMOUNT_TOO_LARGE
    assert plan(amount="1234567890123.45", lines=None).documents[0].payload["Line"][0]["Amount"] == Decimal(
        "1234567890123.45")


def test_multi_vendor_order_becomes_one_credit_per_vendor_with_distinct_tags() -> None:
    parties = [
        {"name": "深圳市联华贸易有限公司", "external_id": None},
        {"name": "Guangzhou Bright Ceramics", "external_id": "V-1044"},
        {"name": "placeholder", "external_id": None},
        {"name": "Nordic Paper AB", "external_id": None},
    ]
    case_lines = [{"description": f"part {i}", "amount": a, "party": p, "account": None}
                  for i, (a, p) in enumerate(zip(["10.00", "20.00", "5.55", "7.45"], parties, strict=True))]
    case_lines[2]["party"] = {"name": "深圳市联华贸易有限公司（ ）", "external_id": None}  # same vendor, noisy
    result = plan(amount="43.00", lines=case_lines, payment={"method": "card", "transaction_id": "T-1"})
    credits = [d for d in result.documents if d.role == "credit"]
    assert [d.tag for d in credits] == ["RF-2026-000123~1", "RF-2026-000123~2", "RF-2026-000123~3"]
    assert [d.amount for d in credits] == [Decimal("15.55"), Decimal("20.00"), Decimal("7.45")]
    assert sum(d.amount for d in credits) == Decimal("43.00")
    assert [d.tag for d in result.documents if d.role == "refund"] == [
        "RF-2026-000123~1~p", "RF-2026-000123~2~p", "RF-2026-000123~3~p"]
    assert [p.key for p in result.parties] == ["name:深圳市联华贸易有限公司", "id:V-1044", "name:nordicpaperab"]
    for doc in credits:
        assert "KB-88213" in doc.payload["PrivateNote"] and "RF-2026-000123" in doc.payload["PrivateNote"]
        assert doc.party.name in doc.payload["PrivateNote"]
    assert len({d.payload_hash for d in result.documents}) == len(result.documents)
    assert [d.key for d in result.documents] == ["1:credit", "1:refund", "2:credit", "2:refund", "3:credit",
                                                 "3:refund"]


def test_a_multi_vendor_case_is_not_applied_to_one_original_document() -> None:
    case_lines = lines("10.00") + lines("32.50", party={"name": "Acme Supplies Ltd", "external_id": None})
    result = plan(lines=case_lines, original_document="BILL-1")
    assert [d.type for d in result.documents] == ["VendorCredit", "VendorCredit"]
    assert result.original is None and "2 parties" in result.notes[0]


def test_a_later_revision_gets_its_own_tags_hashes_and_keys() -> None:
    first = plan(payment={"method": "card", "transaction_id": None})
    second = plan(revision=2, payment={"method": "card", "transaction_id": None})
    assert [d.tag for d in second.documents] == ["RF-2026-000123~r2", "RF-2026-000123~r2~p"]
    assert "r2" in second.documents[0].payload["PrivateNote"]
    for a, b in zip(first.documents, second.documents, strict=True):
        assert a.payload_hash != b.payload_hash
        assert idempotency_key("7", a.payload_hash, "quickbooks") != idempotency_key("7", b.payload_hash, "quickbooks")
    assert second.case_hash != first.case_hash


def test_a_long_case_id_gets_the_short_form_and_keeps_the_full_id_in_the_memo() -> None:
    long_id = "MKT-AMAZON-JP-2026-11-20-000000123456"
    doc = plan(case_id=long_id).documents[0]
    assert len(doc.tag or "") == 21 and "~h" in (doc.tag or "")
    assert long_id in doc.payload["PrivateNote"] and long_id in doc.payload["Line"][0]["Description"]
    strict = tenant_variant("demo-qbo", lambda m: m["tags"].update(shorten=False))
    with pytest.raises(MappingError) as info:
        plan_case(make_case(case_id=long_id), strict)
    assert info.value.code is MappingErrorCode.TAG_TOO_LONG


def test_line_account_aliases_map_to_their_own_account() -> None:
    case_lines = lines("30.00") + lines("12.50", account="shipping")
    doc = plan(lines=case_lines).documents[0]
    assert [ln["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] for ln in doc.payload["Line"]] == ["93", "94"]
    err = error_of(lines=lines("30.00") + lines("12.50", account="duty"))
    assert err.code is MappingErrorCode.LINE_ACCOUNT_NOT_MAPPED and err.field == "lines[1].account"
    assert "shipping" in err.reason


def test_qbo_party_names_with_colons_are_created_with_dashes() -> None:
    result = plan(party={"name": "Acme: Ceramics Division", "external_id": None})
    assert result.parties[0].create_payload == {"DisplayName": "Acme- Ceramics Division"}


# --- Xero -----------------------------------------------------------------------------------------


def test_xero_vendor_credit_note_with_refund_payment() -> None:
    result = plan(tenant="demo-xero", currency="USD", payment={"method": "bank_transfer", "transaction_id": "P"})
    note, payment = result.documents
    assert (note.type, payment.type) == ("CreditNote", "Payment")
    p = note.payload
    assert p["Type"] == "ACCPAYCREDIT" and p["Status"] == "AUTHORISED" and p["Contact"] == {
        "ContactID": "{{party.id}}"}
    assert p["Date"] == "/Date(1795132800000)/" and p["CurrencyCode"] == "USD" and "CurrencyRate" not in p
    assert p["CreditNoteNumber"] == p["Reference"] == note.tag == note.reference == "RF-2026-000123"
    assert note.lookup_field == "Reference" and note.path == "CreditNotes"
    item = p["LineItems"][0]
    assert item["AccountCode"] == "310" and item["TaxType"] == "NONE" and item["TaxAmount"] == Decimal("0.00")
    assert item["Quantity"] == Decimal(1) and item["UnitAmount"] == item["LineAmount"] == Decimal("42.50")
    assert item["Tracking"] == [{"Name": "Region", "Option": "North America"}]
    assert "RF-2026-000123" in item["Description"] and "KB-88213" in item["Description"]
    assert payment.payload == {"CreditNote": {"CreditNoteID": "{{credit.id}}"}, "Account": {"Code": "090"},
                               "Date": "/Date(1795132800000)/", "Amount": Decimal("42.50"),
                               "Reference": "RF-2026-000123~p"}
    assert payment.path == "Payments" and payment.lookup_field == "Reference" and payment.tag == "RF-2026-000123~p"
    assert result.parties[0].entity == "Contact"


def test_xero_allocation_goes_to_the_credit_notes_allocation_endpoint() -> None:
    result = plan(tenant="demo-xero", currency="GBP", original_document="BILL-7731")
    allocation = result.documents[1]
    assert allocation.type == "Allocation" and allocation.tag is None and allocation.lookup_field is None
    assert allocation.path == "CreditNotes/{{credit.id}}/Allocations"
    assert allocation.placeholders == {"credit.id", "original.id"}
    assert allocation.payload == {"Invoice": {"InvoiceID": "{{original.id}}"}, "Amount": Decimal("42.50"),
                                  "Date": "/Date(1795132800000)/"}
    assert result.original is not None and result.original.lookup_field == "InvoiceNumber"


def test_xero_vat_inclusive_lines_carry_tax_that_adds_up_to_the_tax_of_the_total() -> None:
    result = plan(tenant="demo-xero", kind="customer_refund", currency="GBP", amount="100.01",
                  lines=lines("33.34", "33.34", "33.33"))
    p = result.documents[0].payload
    assert p["Type"] == "ACCRECCREDIT" and p["LineAmountTypes"] == "Inclusive"
    taxes = [item["TaxAmount"] for item in p["LineItems"]]
    assert sum(taxes) == tax_in_gross(Decimal("100.01"), Decimal(20), Decimal("0.01")) == Decimal("16.67")
    assert taxes == [Decimal("5.56"), Decimal("5.56"), Decimal("5.55")]
    assert sum(item["LineAmount"] for item in p["LineItems"]) == Decimal("100.01")
    assert {item["TaxType"] for item in p["LineItems"]} == {"OUTPUT2"}


def test_xero_foreign_currency_rate_is_written_the_xero_way() -> None:
    p = plan(tenant="demo-xero", currency="GBP").documents[0].payload
    assert p["CurrencyCode"] == "GBP" and p["CurrencyRate"] == Decimal("0.7912018356")  # 1 / 1.2639 USD per GBP
    assert p["LineItems"][0]["Tracking"] == [{"Name": "Region", "Option": "UK"}]
    p = plan(tenant="demo-xero", currency="GBP", exchange_rate="0.8").documents[0].payload
    assert p["CurrencyRate"] == Decimal("1.25")
    p = plan(tenant="demo-xero", currency="CNY").documents[0].payload
    assert "CurrencyRate" not in p and p["LineItems"][0]["Tracking"] == [{"Name": "Region", "Option": "Asia"}]


def test_xero_contact_payload_carries_the_external_id_as_contact_number() -> None:
    result = plan(tenant="demo-xero", currency="GBP", party={"name": "深圳市联华", "external_id": "V-1001"})
    assert result.parties[0].create_payload == {"Name": "深圳市联华", "ContactNumber": "V-1001"}
    assert result.parties[0].key == "id:V-1001"


# --- configuration-driven rules -----------------------------------------------------------------------


def test_an_unmapped_reason_names_the_reason_the_tenant_and_where_to_add_it() -> None:
    def drop(m: dict[str, Any]) -> None:
        del m["kinds"]["vendor_refund"]["account"]
        del m["kinds"]["vendor_refund"]["reasons"]["DAMAGED"]
        m["kinds"]["vendor_refund"]["strict_reasons"] = False  # the fallback path: no default account to fall to

    with pytest.raises(MappingError) as info:
        plan_case(make_case(tenant="demo-xero", currency="GBP"), tenant_variant("demo-xero", drop))
    err = info.value
    assert err.code is MappingErrorCode.REASON_NOT_MAPPED
    assert err.reason.startswith("reason code DAMAGED has no account in tenant demo-xero: add it under "
                                 "mapping.kinds.vendor_refund.reasons.DAMAGED.account")
    assert err.field == "mapping.kinds.vendor_refund.reasons"


def test_strict_reasons_refuse_a_reason_that_would_fall_back_to_the_default() -> None:
    strict = tenant_variant("demo-qbo", lambda m: m["kinds"]["vendor_refund"].update(strict_reasons=True))
    assert plan_case(make_case(reason_code="DAMAGED"), strict).documents
    with pytest.raises(MappingError) as info:
        plan_case(make_case(reason_code="LOST_IN_WAREHOUSE"), strict)
    assert info.value.code is MappingErrorCode.REASON_NOT_MAPPED
    assert plan(reason_code="LOST_IN_WAREHOUSE").documents[0].payload["Line"][0][
        "AccountBasedExpenseLineDetail"]["AccountRef"]["value"] == "80"


@pytest.mark.parametrize(("overrides", "code", "field"), [
    ({"tenant": "demo-xero", "payment": {"method": "crypto_wallet", "transaction_id": None}},
     MappingErrorCode.PAYMENT_METHOD_NOT_MAPPED, "payment.method"),
    ({"currency": "BRL"}, MappingErrorCode.CURRENCY_NOT_ACCEPTED, "currency"),
    ({"tenant": "demo-xero", "currency": "KWD"}, MappingErrorCode.CURRENCY_NOT_ACCEPTED, "currency"),
])
def test_mapping_errors_name_the_field_to_fix(overrides: dict[str, Any], code: MappingErrorCode, field: str) -> None:
    err = error_of(**overrides)
    assert err.code is code and err.field == field


def test_tenant_mismatch_and_unmapped_kind() -> None:
    with pytest.raises(MappingError) as info:
        plan_case(make_case(tenant="demo-xero"), tenant("demo-qbo"))
    assert info.value.code is MappingErrorCode.TENANT_MISMATCH
    no_customers = tenant_variant("demo-qbo", lambda m: m["kinds"].pop("customer_refund"))
    with pytest.raises(MappingError) as info:
        plan_case(make_case(kind="customer_refund"), no_customers)
    assert info.value.code is MappingErrorCode.KIND_NOT_MAPPED and "mapping.kinds.customer_refund" in info.value.reason


def test_cash_refund_off_keeps_the_credit_open_and_says_so() -> None:
    off = tenant_variant("demo-qbo", lambda m: m["kinds"]["vendor_refund"].update(cash_refund=False))
    result = plan_case(make_case(payment={"method": "card", "transaction_id": None}), off)
    assert [d.type for d in result.documents] == ["VendorCredit"]
    assert "cash_refund is off" in result.notes[0]


def qbo_with_tax(amounts: str) -> Any:
    def edit(m: dict[str, Any]) -> None:
        m["tax"] = {"amounts": amounts, "codes": {"NON": {"rate": "0"}, "TAX": {"rate": "8.875"}}}
        m["kinds"]["vendor_refund"]["tax_code"] = "TAX"

    return tenant_variant("demo-qbo", edit)


def test_qbo_tax_exclusive_sends_net_lines_and_the_total_tax() -> None:
    p = plan_case(make_case(amount="108.88", lines=lines("54.44", "54.44")), qbo_with_tax("exclusive")).documents[
        0].payload
    assert p["GlobalTaxCalculation"] == "TaxExcluded"
    assert p["TxnTaxDetail"] == {"TotalTax": Decimal("8.88")}
    assert [ln["Amount"] for ln in p["Line"]] == [Decimal("50.00"), Decimal("50.00")]
    assert all(ln["AccountBasedExpenseLineDetail"]["TaxCodeRef"] == {"value": "TAX"} for ln in p["Line"])
    assert sum(ln["Amount"] for ln in p["Line"]) + p["TxnTaxDetail"]["TotalTax"] == Decimal("108.88")


def test_qbo_tax_inclusive_sends_net_amounts_with_the_gross_alongside() -> None:
    p = plan_case(make_case(amount="108.88", lines=lines("108.88")), qbo_with_tax("inclusive")).documents[0].payload
    assert p["GlobalTaxCalculation"] == "TaxInclusive"
    line = p["Line"][0]
    assert line["Amount"] == Decimal("100.00")
    assert line["AccountBasedExpenseLineDetail"]["TaxInclusiveAmt"] == Decimal("108.88")


def test_tax_without_a_tax_code_on_the_reason_is_refused() -> None:
    def edit(m: dict[str, Any]) -> None:
        m["tax"] = {"amounts": "exclusive", "codes": {"NON": {"rate": "0"}}}

    with pytest.raises(MappingError) as info:
        plan_case(make_case(), tenant_variant("demo-qbo", edit))
    assert info.value.code is MappingErrorCode.TAX_RATE_MISSING


def test_xero_exclusive_lines_are_net_with_tax_amounts() -> None:
    def edit(m: dict[str, Any]) -> None:
        m["tax"]["amounts"] = "exclusive"

    p = plan_case(make_case(tenant="demo-xero", kind="customer_refund", currency="GBP", amount="120.00",
                            lines=lines("120.00")), tenant_variant("demo-xero", edit)).documents[0].payload
    item = p["LineItems"][0]
    assert p["LineAmountTypes"] == "Exclusive"
    assert (item["LineAmount"], item["TaxAmount"]) == (Decimal("100.00"), Decimal("20.00"))


def test_tracking_and_department_rules() -> None:
    def edit(m: dict[str, Any]) -> None:
        m["quickbooks"]["department"] = {"source": "payment_method", "values": {"card": "4"}, "required": True}

    dept = tenant_variant("demo-qbo", edit)
    p = plan_case(make_case(payment={"method": "card", "transaction_id": None}), dept).documents[0].payload
    assert p["DepartmentRef"] == {"value": "4"}
    with pytest.raises(MappingError) as info:
        plan_case(make_case(), dept)
    assert info.value.code is MappingErrorCode.TRACKING_NOT_MAPPED
    assert info.value.field == "mapping.quickbooks.department"

    def order_tracking(m: dict[str, Any]) -> None:
        m["xero"]["tracking"].append({"category": "Order", "source": "order_number"})

    p = plan_case(make_case(tenant="demo-xero", currency="EUR"), tenant_variant("demo-xero", order_tracking)
                  ).documents[0].payload
    assert p["LineItems"][0]["Tracking"] == [{"Name": "Region", "Option": "Europe"},
                                             {"Name": "Order", "Option": "KB-88213"}]


def test_plan_or_error_returns_the_error_and_errors_survive_pickling() -> None:
    result = plan_or_error(make_case(currency="BRL"), tenant("demo-qbo"))
    assert isinstance(result, MappingError)
    copy = pickle.loads(pickle.dumps(result))
    assert (copy.code, copy.reason, copy.field) == (result.code, result.reason, result.field)
    assert result.as_dict()["code"] == "CURRENCY_NOT_ACCEPTED"
    assert plan_or_error(make_case(), tenant("demo-qbo")).provider is Provider.QUICKBOOKS  # type: ignore[union-attr]


def test_the_same_case_always_gives_the_same_plan() -> None:
    a, b = plan(payment={"method": "card", "transaction_id": "T"}), plan(payment={"method": "card",
                                                                                     "transaction_id": "T"})
    assert [(d.payload_hash, d.tag) for d in a.documents] == [(d.payload_hash, d.tag) for d in b.documents]
    assert a.documents[0].payload == b.documents[0].payload


def test_a_repost_gets_its_own_tags_and_hashes_and_still_fits() -> None:
    first = plan(payment={"method": "card", "transaction_id": None})
    again = plan_case(first.case, tenant(first.tenant), repost=1)
    assert [d.tag for d in again.documents] == ["RF-2026-000123~g1", "RF-2026-000123~g1~p"]
    assert again.documents[0].payload["DocNumber"] == "RF-2026-000123~g1"
    assert all(a.payload_hash != b.payload_hash for a, b in zip(first.documents, again.documents, strict=True))
    assert plan_case(first.case, tenant(first.tenant), repost=1) == again  # deterministic: found again by lookup
    long_id = "MKT-AMAZON-JP-2026-11-20-000000123456"
    case = make_case(case_id=long_id)
    reposts = [plan_case(case, tenant(case.tenant), repost=n).documents[0].tag for n in (0, 1, 2)]
    assert all(len(t or "") <= 21 for t in reposts) and len(set(reposts)) == 3
