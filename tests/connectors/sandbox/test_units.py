"""Pure pieces of the sandbox: exact JSON money, the QBO query parser and the Xero where parser."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.sandbox import wire
from connectors.sandbox.quickbooks.faults import QboFault
from connectors.sandbox.quickbooks.query import Condition, parse
from connectors.sandbox.xero.where import QueryParseError, parse_order, parse_where


def test_money_round_trips_exactly() -> None:
    body = wire.loads('{"Amount": 0.1, "Other": 12345678901234567890.123456789, "Count": 3}')
    assert body == {"Amount": Decimal("0.1"), "Other": Decimal("12345678901234567890.123456789"), "Count": 3}
    total = body["Amount"] + Decimal("0.2")
    assert wire.dumps({"Total": total, "Big": body["Other"], "E": Decimal("1E+2"), "Z": Decimal("-0")}) == (
        '{"Total":0.3,"Big":12345678901234567890.123456789,"E":100,"Z":0}')
    assert wire.dumps({"名前": "深圳市联华贸易有限公司", "q": 'a"b\n'}) == (
        '{"名前":"深圳市联华贸易有限公司","q":"a\\"b\\n"}')
    assert wire.to_decimal("42.50") == Decimal("42.50")
    assert wire.to_decimal(7) == Decimal(7)
    for bad in ("", "4x", True, None, "NaN", "Infinity"):
        with pytest.raises(wire.WireError):
            wire.to_decimal(bad)


def test_query_parser_accepts_the_client_subset() -> None:
    query = parse("select * from VendorCredit where DocNumber in ('A', 'B\\'s') and TxnDate >= '2026-01-01' "
                  "and DisplayName like '%Acme%' orderby TxnDate desc, Id startposition 11 maxresults 10")
    assert query.entity == "VendorCredit" and not query.count
    assert query.conditions == [Condition("DocNumber", "in", ("A", "B's")),
                                Condition("TxnDate", ">=", ("2026-01-01",)),
                                Condition("DisplayName", "like", ("%Acme%",))]
    assert query.order == [("TxnDate", True), ("Id", False)]
    assert (query.start, query.max_results) == (11, 10)
    assert parse("SELECT COUNT(*) FROM Bill").count
    assert parse("SELECT *, Sku FROM Item ORDER BY Name").order == [("Name", False)]
    assert parse("SELECT Id, MetaData.LastUpdatedTime FROM Bill WHERE TotalAmt > 10.5").fields == [
        "Id", "MetaData.LastUpdatedTime"]


@pytest.mark.parametrize(("text", "detail"), [
    ("SELECT FROM Bill", 'Encountered "from" at line 1, column 8.\nWas expecting one of:\n    <IDENTIFIER> ...\n    '),
    ("SELECT * FROM Bill WHERE",
     'Encountered <EOF> at line 1, column 25.\nWas expecting one of:\n    <IDENTIFIER> ...\n    '),
    ("SELECT * FROM Bill WHERE Id != '1'", 'Invalid content. Lexical error at line 1, column 29.  Encountered: "!" '
                                          '(33), after : ""'),
    ("SELECT * FROM Bill LIMIT 5",
     'Encountered " <IDENTIFIER> "LIMIT "" at line 1, column 20.\nWas expecting one of:\n    <EOF> \n    <AND> ...\n'
     '    "maxresults" ...\n    "order" ...\n    "orderby" ...\n    "startposition" ...\n    '),
])
def test_query_parser_errors_read_like_intuits(text: str, detail: str) -> None:
    with pytest.raises(QboFault) as err:
        parse(text)
    assert err.value.errors[0].detail == f"QueryParserError: {detail}"
    assert err.value.errors[0].code == "4000"


def test_where_language() -> None:
    fields = {"Reference", "Status", "Date", "Contact", "Total", "Name"}
    body = {"Reference": "RF-1", "Status": "AUTHORISED", "Date": "/Date(1795132800000+0000)/",
            "Contact": {"ContactID": "7B1D5C3A-0E2F-4D6B-8A9C-1F2E3D4C5B01", "Name": "Acme"}, "Total": Decimal("10.00")}

    def where(text: str) -> bool:
        return parse_where(text, "CreditNote", fields).matches(body)

    assert where('Reference=="RF-1" AND Status=="AUTHORISED"')
    assert where('Contact.ContactID==Guid("7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b01")')
    assert where("Date >= DateTime(2026, 11, 20) && Date < DateTime(2026,11,21)")
    assert datetime(2026, 11, 20, tzinfo=UTC).timestamp() * 1000 == 1795132800000
    assert where('Total > 9.99 AND NOT (Status == "VOIDED" || Reference == null)')
    assert where('Contact.Name.ToLower().StartsWith("ac")')
    assert not where('Reference!="RF-1"')
    assert parse_order("Date DESC, Reference", "CreditNote", fields) == [("Date", True), ("Reference", False)]
    for bad in ('Reference=="x" AND', "Colour==1", "Reference ==", 'Reference=="open'):
        with pytest.raises(QueryParseError):
            parse_where(bad, "CreditNote", fields)
    with pytest.raises(QueryParseError, match="No property or field 'Colour' exists in type 'CreditNote'"):
        parse_order("Colour DESC", "CreditNote", fields)
