"""Case logs as they are exported: spreadsheet CSV with loose headers, JSON, JSON Lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapping.validation import validate_payload
from sync.readers import ReaderError, read_path, read_text

HEADER = ("case id,KIND,Tenant,Original Order #,Vendor Name,Refund Date,Amount,Currency,Reason Code,Status,"
          "Payment Method,Transaction ID,Original Document,Evidence,Closed At")


def test_csv_headers_are_matched_case_insensitively_with_aliases() -> None:
    text = (HEADER + "\n"
            "RF-1,vendor_refund,demo-qbo,KB-1,Acme Supplies Ltd,2026-11-20,42.50,USD,DAMAGED,closed,bank_transfer,"
            "PAY-1,BILL-1042,https://a/1 https://a/2,2026-11-21T09:14:00Z\n")
    [record] = list(read_text(text, "csv"))
    assert record.row == "row 2"
    check = validate_payload(record.payload)
    assert check.valid, check.errors
    case = check.case
    assert case is not None
    assert case.party.name == "Acme Supplies Ltd" and case.order_number == "KB-1"
    assert case.payment is not None and case.payment.transaction_id == "PAY-1"
    assert case.evidence == ["https://a/1", "https://a/2"]
    assert str(case.amount) == "42.50"


def test_csv_rows_sharing_a_case_id_are_one_multi_vendor_case() -> None:
    text = ("Case ID,Kind,Tenant,Order Number,Party,Line Description,Amount,Currency,Reason,Status,Refund Date,"
            "Closed At\n"
            "RF-9,vendor_refund,demo-qbo,KB-9,Acme Supplies Ltd,mugs,30.00,USD,DAMAGED,closed,2026-11-20,"
            "2026-11-21T09:00:00Z\n"
            "RF-9,vendor_refund,demo-qbo,KB-9,株式会社サクラ商事,plates,12.50,USD,DAMAGED,closed,2026-11-20,"
            "2026-11-21T09:00:00Z\n")
    [record] = list(read_text(text, "csv"))
    assert record.row == "rows 2, 3"
    check = validate_payload(record.payload)
    assert check.case is not None, check.errors
    assert str(check.case.amount) == "42.50"
    assert [p.name for p in check.case.parties()] == ["Acme Supplies Ltd", "株式会社サクラ商事"]


def test_csv_rows_of_one_case_that_disagree_are_reported_with_both_rows() -> None:
    text = ("Case ID,Tenant,Currency,Amount\n"
            "RF-3,demo-qbo,USD,1.00\n"
            "RF-3,demo-qbo,EUR,2.00\n")
    [record] = list(read_text(text, "csv"))
    assert record.errors == [("currency", "row 3 says 'EUR' but row 2 says 'USD'; all rows of one case must agree")]


def test_csv_bad_rows_name_row_field_and_value(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + "\n"
                    "RF-1,vendor_refund,demo-qbo,KB-1,Acme,2026-02-30,42.50,USD,DAMAGED,closed,,,,,"
                    "2026-11-21T09:14:00Z\n"
                    ",vendor_refund,demo-qbo,KB-2,Acme,2026-11-20,1.00,USD,DAMAGED,closed,,,,,2026-11-21T09:14:00Z\n",
                    encoding="utf-8")
    records = list(read_path(path))
    assert records[0].row == "row 3" and records[0].errors == [("case_id", "is empty")]
    check = validate_payload(records[1].payload)
    assert records[1].row == "row 2"
    assert [(e.field, e.message) for e in check.errors] == [
        ("refund_date", "'2026-02-30' is not a real calendar date in the form YYYY-MM-DD")]


def test_csv_without_a_case_id_column_is_refused() -> None:
    with pytest.raises(ReaderError, match="no case id column"):
        list(read_text("Vendor,Amount\nAcme,1.00\n", "csv"))


def test_json_numbers_are_read_exactly_never_as_float(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"case_id": "RF-1", "amount": 0.1}\n\n{"case_id": "RF-2", "amount": 19.99}\nnot json\n')
    records = list(read_path(path))
    assert [r.payload["amount"] for r in records[:2]] == ["0.1", "19.99"]
    assert records[2].row == "line 4" and records[2].errors[0][0] == "(record)"


def test_json_list_and_single_object(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('[{"case_id": "A"}, {"case_id": "B"}]')
    (tmp_path / "b.json").write_text('{"case_id": "C"}')
    assert [r.case_id for r in read_path(tmp_path / "a.json")] == ["A", "B"]
    assert [r.row for r in read_path(tmp_path / "b.json")] == ["item 1"]
