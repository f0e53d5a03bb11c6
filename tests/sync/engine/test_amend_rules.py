"""The amendment decision as a table: for each provider, role and state of the old document in the books,
what revision N does with it (sync/engine/amend_rules.py)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from connectors.protocol import RemoteDocument, RemoteStatus
from sync.engine.amend_rules import Amendment, after_reading, before_reading, replacement_note

A, U, D, R = Amendment.ADOPT, Amendment.UPDATE, Amendment.UPDATED, Amendment.REPLACE


def doc(status: RemoteStatus = RemoteStatus.ACTIVE, *, number: str = "RF-1", total: str = "42.50",
        remaining: str | None = "42.50", raw: dict[str, Any] | None = None) -> RemoteDocument:
    return RemoteDocument("CreditNote", "id-1", number, number, Decimal(total), "USD", "p", "Party", None, status,
                          "v1", None, Decimal(remaining) if remaining is not None else None, raw or {})


XERO_OPEN = {"Status": "AUTHORISED", "Allocations": [], "Payments": []}

BEFORE = [
    # unchanged, live in the ledger -> decision (None: read the books first)
    (True, True, A),
    (False, True, None),
    (True, False, R),  # voided already (an earlier try, an operator): post anew, nothing to void
    (False, False, R),
]


@pytest.mark.parametrize(("unchanged", "live", "expected"), BEFORE)
def test_before_reading(unchanged: bool, live: bool, expected: Amendment | None) -> None:
    assert before_reading(unchanged=unchanged, live=live) is expected


AFTER = [
    # provider, role, remote document, settled (a live follow-up in the ledger) -> decision
    ("quickbooks", "credit", doc(raw={"SyncToken": "0"}), False, U),
    ("quickbooks", "credit", doc(raw={"SyncToken": "0"}), True, U),  # its follow-ups are voided first
    ("quickbooks", "credit", doc(remaining="0"), True, U),  # applied by a BillPayment: still editable
    ("quickbooks", "credit", None, False, R),  # deleted in QuickBooks: post anew
    ("quickbooks", "credit", doc(RemoteStatus.DELETED), False, R),
    ("quickbooks", "credit", doc(number="RF-1~r2"), False, D),  # an earlier edit went through
    ("quickbooks", "refund", doc(), False, R),  # a Deposit is never edited: voided and posted again
    ("quickbooks", "application", doc(), False, R),
    ("xero", "credit", doc(raw=XERO_OPEN), False, U),
    ("xero", "credit", doc(raw={"Status": "DRAFT"}), False, U),
    ("xero", "credit", doc(raw={"Status": "SUBMITTED"}), False, U),
    ("xero", "credit", doc(raw={**XERO_OPEN, "Allocations": [{"Amount": 10}]}, remaining="32.50"), False, R),
    ("xero", "credit", doc(raw={"Status": "PAID", "Payments": [{"Amount": 42.5}]}, remaining="0"), False, R),
    ("xero", "credit", doc(raw=XERO_OPEN, remaining="0.01"), False, R),  # anything applied: not editable
    ("xero", "credit", doc(raw=XERO_OPEN), True, R),  # the ledger knows of a payment/allocation: replace
    ("xero", "credit", doc(raw={**XERO_OPEN, "Allocations": [{"Amount": 10, "IsDeleted": True}],
                                "Payments": [{"Status": "DELETED"}]}), False, U),  # undone ones do not count
    ("xero", "credit", doc(RemoteStatus.VOIDED, raw={"Status": "VOIDED"}), False, R),
    ("xero", "credit", doc(RemoteStatus.DELETED, raw={"Status": "DELETED"}), False, R),
    ("xero", "credit", doc(number="RF-1~r2", raw={"Status": "PAID"}, remaining="0"), True, D),
    ("xero", "credit", None, False, R),
    ("xero", "refund", doc(raw={"Status": "AUTHORISED"}), False, R),  # a Payment is never edited
    ("xero", "application", doc(raw={}), False, R),
]


@pytest.mark.parametrize(("provider", "role", "remote", "settled", "expected"), AFTER)
def test_after_reading(provider: str, role: str, remote: RemoteDocument | None, settled: bool,
                       expected: Amendment) -> None:
    assert after_reading(provider, role, remote, "RF-1~r2", "CreditNote", settled=settled) is expected


def test_a_change_of_document_type_is_never_an_edit() -> None:
    refund_receipt = dataclasses.replace(doc(raw={"SyncToken": "0"}), type="RefundReceipt")
    assert after_reading("quickbooks", "credit", refund_receipt, "RF-1~r2", "CreditMemo", settled=False) is R
    assert after_reading("quickbooks", "credit", refund_receipt, "RF-1~r2", "RefundReceipt", settled=False) is U


def test_the_link_names_the_old_document_the_case_and_the_revision() -> None:
    assert replacement_note("RF-1~r2", "RF-1", 3) == "replaces RF-1~r2, voided; case RF-1 revision 3"
