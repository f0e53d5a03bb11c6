"""The small pure pieces: Xero's date stamps, where literals, If-Modified-Since, allocation ids, readers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connectors.protocol import RemoteStatus
from connectors.xero import documents, wire
from connectors.xero.provider import XERO
from connectors.xero.transport import encode_query


def test_xero_date_stamps_are_read_as_utc() -> None:
    assert wire.parse_datetime("/Date(1795375952223+0000)/") == datetime(2026, 11, 22, 19, 32, 32, 223000, tzinfo=UTC)
    assert wire.parse_date("/Date(1795132800000)/") == date(2026, 11, 20)
    assert wire.parse_datetime("2026-11-20T10:00:00") == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert wire.parse_datetime("not a date") is None and wire.parse_datetime(None) is None


def test_where_literals_cannot_be_broken_out_of() -> None:
    assert wire.where_equals("Reference", 'RF-"1" OR 1==1') == 'Reference=="RF-\\"1\\" OR 1==1"'
    assert wire.where_equals("Contact.Name", "a\\b") == 'Contact.Name=="a\\\\b"'
    with pytest.raises(ValueError):
        wire.where_equals('Reference=="x" OR Status', "y")


def test_if_modified_since_is_utc_whole_seconds_rounded_down() -> None:
    moment = datetime(2026, 11, 22, 21, 5, 7, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert wire.modified_since(moment) == datetime(2026, 11, 22, 19, 5, 7)


def test_money_is_read_as_decimal_and_a_float_is_refused() -> None:
    body = wire.loads(b'{"Total": 64.90, "Big": 99999999999999.99, "Count": 3}')
    assert body == {"Total": Decimal("64.90"), "Big": Decimal("99999999999999.99"), "Count": 3}
    with pytest.raises(TypeError):
        documents.credit_note({"CreditNoteID": "x", "Total": 1.5})


def test_allocation_remote_ids_fit_the_ledger_and_round_trip() -> None:
    credit, allocation = "3b0c9f7e-1111-4a2b-8c3d-0e1f2a3b4c5d", "9a8b7c6d-2222-4e5f-8a9b-0c1d2e3f4a5b"
    remote_id = documents.allocation_remote_id(credit, allocation)
    assert len(remote_id) == 64
    assert documents.split_allocation_id(remote_id) == (credit, allocation)
    assert documents.split_allocation_id(f"{credit}/{allocation}") == (credit, allocation)
    with pytest.raises(ValueError):
        documents.split_allocation_id(credit)


def test_statuses_and_parties() -> None:
    def status(value: str) -> RemoteStatus:
        return documents.credit_note({"CreditNoteID": "c", "Status": value}).status

    assert [status(s) for s in ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")] == [
        RemoteStatus.ACTIVE] * 4 + [RemoteStatus.VOIDED, RemoteStatus.DELETED]
    assert documents.payment({"PaymentID": "p", "Status": "DELETED"}).status is RemoteStatus.DELETED
    party = documents.party({"ContactID": "c1", "Name": "Acme", "ContactNumber": "V-1", "ContactStatus": "ARCHIVED"})
    assert (party.external_id, party.active) == ("V-1", False)


def test_query_values_are_written_the_way_xero_documents_them() -> None:
    assert encode_query([("summarizeErrors", False), ("page", 2), ("IDs", ["a", "b"])]) == [
        ("summarizeErrors", "false"), ("page", "2"), ("IDs", "a,b")]


def test_the_provider_description() -> None:
    assert XERO.batch_size == 50 and XERO.party_entity == "Contact"
    assert XERO.kind("CreditNote").lookup_fields == ("Reference", "CreditNoteNumber")
    assert XERO.kind("Payment").lookup_fields == ("Reference",)
    with pytest.raises(ValueError, match="no document type"):
        XERO.kind("VendorCredit")
