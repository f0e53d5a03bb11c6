"""The pure parts: query writing, reading QBO JSON, batch ids. No network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from quickbooks.helpers import qb_datetime_format
from quickbooks.utils import build_where_clause

from connectors.protocol import OutgoingDocument, RemoteStatus
from connectors.quickbooks.batch import batch_ids
from connectors.quickbooks.provider import QUICKBOOKS, UnknownDocumentType
from connectors.quickbooks.query import Condition, QueryError, literal, select, timestamp
from connectors.quickbooks.reading import is_voided, money, remote_document, remote_party


def test_literals_escape_backslash_and_quote() -> None:
    assert literal("O'Brien\\") == "'O\\'Brien\\\\'"
    assert literal("深圳市联华") == "'深圳市联华'"
    assert literal(True) == "true" and literal(Decimal("12.50")) == "'12.50'"
    # python-quickbooks escapes only the quote: a trailing backslash then escapes the closing quote
    assert build_where_clause(DocNumber="A\\") == "DocNumber = 'A\\'"


def test_names_and_operators_are_checked() -> None:
    with pytest.raises(QueryError):
        select("VendorCredit; DROP", [])
    with pytest.raises(QueryError):
        Condition("DocNumber = 'x' OR Id", "=", "1").render()
    with pytest.raises(QueryError):
        Condition("DocNumber", "!=", "1").render()
    with pytest.raises(QueryError):
        select("Vendor", [], max_results=1001)
    assert select("Vendor", [Condition("Active", "IN", (True, False))], start=1001) == (
        "SELECT * FROM Vendor WHERE Active IN (true, false) STARTPOSITION 1001 MAXRESULTS 1000")
    assert select("Bill", [Condition("MetaData.LastUpdatedTime", ">", datetime(2026, 11, 1, 8, tzinfo=UTC))],
                  order_by="MetaData.LastUpdatedTime", max_results=10) == (
        "SELECT * FROM Bill WHERE MetaData.LastUpdatedTime > '2026-11-01T08:00:00+00:00' "
        "ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 10")


def test_timestamps_keep_their_offset_and_naive_ones_are_refused() -> None:
    moment = datetime(2026, 11, 22, 18, 33, 39, 512000, tzinfo=UTC)
    assert timestamp(moment) == "2026-11-22T18:33:39+00:00"
    assert timestamp(moment.astimezone(timezone(timedelta(hours=-8)))) == "2026-11-22T10:33:39-08:00"
    assert qb_datetime_format(moment) == "2026-11-22T18:33:39"  # the SDK's: no offset at all
    with pytest.raises(QueryError):
        timestamp(datetime(2026, 11, 22, 18, 33))


def test_money_is_never_a_float() -> None:
    assert money(1200) == Decimal("1200") and money("315.50") == Decimal("315.50")
    assert money(Decimal("0.10")) == Decimal("0.10") and money(None) is None
    with pytest.raises(TypeError):
        money(0.1)


BILL_PAYMENT = {
    "Id": "150", "SyncToken": "1", "DocNumber": "RF-1~a", "TxnDate": "2026-11-20", "TotalAmt": 0,
    "VendorRef": {"value": "57", "name": "深圳市联华贸易有限公司"}, "CurrencyRef": {"value": "USD"},
    "PrivateNote": "refundsync RF-1 r1",
    "MetaData": {"CreateTime": "2026-11-22T10:33:39-08:00", "LastUpdatedTime": "2026-11-22T10:34:00-08:00"},
    "Line": [{"Amount": Decimal("310.25"), "LinkedTxn": [{"TxnId": "131", "TxnType": "Bill"}]},
             {"Amount": Decimal("310.25"), "LinkedTxn": [{"TxnId": "149", "TxnType": "VendorCredit"}]}],
}


def test_a_zero_total_application_reads_as_the_amount_applied() -> None:
    doc = remote_document("BillPayment", BILL_PAYMENT)
    assert (doc.amount, doc.number, doc.party_id, doc.version) == (Decimal("310.25"), "RF-1~a", "57", "1")
    assert doc.status is RemoteStatus.ACTIVE
    assert doc.updated_at == datetime(2026, 11, 22, 18, 34, tzinfo=UTC)


def test_voided_needs_the_memo_and_zero_amounts() -> None:
    voided = {**BILL_PAYMENT, "PrivateNote": "Voided - refundsync RF-1 r1",
              "Line": [{**line, "Amount": 0} for line in BILL_PAYMENT["Line"]]}  # type: ignore[attr-defined]
    assert is_voided(voided) and remote_document("BillPayment", voided).status is RemoteStatus.VOIDED
    assert not is_voided({**BILL_PAYMENT, "PrivateNote": "Voided cheque replaced"})  # amounts still there


def test_payment_is_found_by_payment_ref_num_and_deposit_party_from_its_line() -> None:
    payment = remote_document("Payment", {"Id": "7", "PaymentRefNum": "RF-2~a", "TotalAmt": 0,
                                          "CustomerRef": {"value": "3"}, "Line": []})
    assert payment.number == "RF-2~a" and payment.amount == 0
    line = {"Amount": Decimal("118.00"), "DetailType": "DepositLineDetail",
            "DepositLineDetail": {"Entity": {"value": "56", "type": "VENDOR"}}}
    deposit = remote_document("Deposit", {"Id": "8", "DocNumber": "RF-3~p", "TotalAmt": Decimal("118.00"),
                                          "Line": [line]})
    assert (deposit.party_id, deposit.amount) == ("56", Decimal("118.00"))


def test_party_reading() -> None:
    assert remote_party({"Id": "59", "DisplayName": "Acme Supplies Ltd", "AcctNum": "V-1059"}).external_id == "V-1059"
    assert remote_party({"Id": "60", "DisplayName": "Dormant", "Active": False}).active is False


def test_batch_ids_are_the_posting_ids_when_they_fit() -> None:
    def doc(ref: str) -> OutgoingDocument:
        return OutgoingDocument(ref, "VendorCredit", "vendorcredit", {}, "T", "DocNumber", "rs-x")

    uuids = [doc("0b7f3c1e-7a4e-5d7c-9f1e-3c2b1a0d9e8f"), doc("1b7f3c1e-7a4e-5d7c-9f1e-3c2b1a0d9e8f")]
    assert batch_ids(uuids, QUICKBOOKS) == [d.ref for d in uuids]
    assert batch_ids([doc("x" * 37), doc("y")], QUICKBOOKS) == ["1", "2"]
    assert batch_ids([doc("same"), doc("same")], QUICKBOOKS) == ["1", "2"]


def test_unknown_types_are_refused() -> None:
    with pytest.raises(UnknownDocumentType):
        QUICKBOOKS.document("JournalEntry")
