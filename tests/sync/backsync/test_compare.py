"""The pure comparison, as a table: what was meant, what the books hold -> state and differences."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from connectors.protocol import RemoteDocument, RemoteStatus
from sync.backsync.compare import Difference, Duplicate, Expected, Tolerances, compare
from sync.ledger.states import PostingState

EXPECTED = Expected(type="VendorCredit", remote_id="146", amount=Decimal("42.50"), currency="USD",
                    party_name="Shenzhen Lianhua Trading Co.", party_id="56", date=date(2026, 11, 20), tag="RF-1")
BOOKS = RemoteDocument(type="VendorCredit", remote_id="146", number="RF-1", reference=None, amount=Decimal("42.50"),
                       currency="USD", party_id="56", party_name="Shenzhen Lianhua Trading Co.",
                       date=date(2026, 11, 20), status=RemoteStatus.ACTIVE, version="0", updated_at=None)
DUP = Duplicate("201", "RF-1", "42.50", "Shenzhen Lianhua Trading Co.")
LOOSE = Tolerances(amount=Decimal("0.05"), date_days=2)

CASES = [
    # name, remote, tolerances, duplicates, state, differences
    ("same", BOOKS, Tolerances(), (), "confirmed", []),
    ("amount off by a cent", replace(BOOKS, amount=Decimal("42.49")), Tolerances(), (), "mismatch",
     [("amount", "42.50", "42.49")]),
    ("amount within tolerance", replace(BOOKS, amount=Decimal("42.46")), LOOSE, (), "confirmed", []),
    ("amount beyond tolerance", replace(BOOKS, amount=Decimal("42.44")), LOOSE, (), "mismatch",
     [("amount", "42.50", "42.44")]),
    ("same amount, other scale", replace(BOOKS, amount=Decimal("42.5")), Tolerances(), (), "confirmed", []),
    ("currency", replace(BOOKS, currency="EUR"), Tolerances(), (), "mismatch", [("currency", "USD", "EUR")]),
    ("currency unknown in the books", replace(BOOKS, currency=None), Tolerances(), (), "confirmed", []),
    ("other vendor by id", replace(BOOKS, party_id="59", party_name="Acme Supplies Ltd"), Tolerances(), (),
     "mismatch", [("party", "Shenzhen Lianhua Trading Co.", "Acme Supplies Ltd")]),
    ("renamed vendor, same id", replace(BOOKS, party_name="Shenzhen Lianhua"), Tolerances(), (), "confirmed", []),
    ("date a day later", replace(BOOKS, date=date(2026, 11, 21)), Tolerances(), (), "mismatch",
     [("date", "2026-11-20", "2026-11-21")]),
    ("date within tolerance", replace(BOOKS, date=date(2026, 11, 18)), LOOSE, (), "confirmed", []),
    ("tag edited", replace(BOOKS, number="RF-1-X"), Tolerances(), (), "mismatch", [("tag", "RF-1", "RF-1-X")]),
    ("deleted", replace(BOOKS, status=RemoteStatus.DELETED), Tolerances(), (), "removed",
     [("status", "active", "deleted")]),
    ("voided", replace(BOOKS, status=RemoteStatus.VOIDED, amount=Decimal(0)), Tolerances(), (), "removed",
     [("status", "active", "voided")]),
    ("not found", None, Tolerances(), (), "missing", [("status", "active", "not found")]),
    ("duplicate", BOOKS, Tolerances(), (DUP,), "duplicate", []),
    ("duplicate and mismatch", replace(BOOKS, amount=Decimal("40.00")), Tolerances(), (DUP,), "duplicate",
     [("amount", "42.50", "40.00")]),
    ("removed outranks duplicate", replace(BOOKS, status=RemoteStatus.DELETED), Tolerances(), (DUP,), "removed",
     [("status", "active", "deleted")]),
    ("our own document is no duplicate", BOOKS, Tolerances(), (replace(DUP, remote_id="146"),), "confirmed", []),
    ("several fields", replace(BOOKS, amount=Decimal("1.00"), currency="GBP"), Tolerances(), (), "mismatch",
     [("amount", "42.50", "1.00"), ("currency", "USD", "GBP")]),
]


@pytest.mark.parametrize(("remote", "tolerances", "duplicates", "state", "diffs"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_compare(remote: RemoteDocument | None, tolerances: Tolerances, duplicates: tuple[Duplicate, ...],
                 state: str, diffs: list[tuple[str, str, str]]) -> None:
    verdict = compare(EXPECTED, remote, tolerances, duplicates)
    assert verdict.state is PostingState(state)
    assert list(verdict.differences) == [Difference(*d) for d in diffs]
    assert (verdict.drift() is None) == (state == "confirmed")


def test_parties_without_ids_compare_by_normalised_name() -> None:
    expected = replace(EXPECTED, party_id=None, party_name="深圳市联华贸易（集团）")
    assert compare(expected, replace(BOOKS, party_name="深圳市联华贸易(集团)")).state is PostingState.CONFIRMED
    assert compare(expected, replace(BOOKS, party_name="Acme Supplies Ltd")).differences == (
        Difference("party", "深圳市联华贸易（集团）", "Acme Supplies Ltd"),)


def test_an_allocation_is_compared_on_amount_date_and_status_only() -> None:
    """A Xero allocation has no tag; its party and currency are its credit note's (compared there)."""
    expected = replace(EXPECTED, type="Allocation", tag=None)
    allocation = replace(BOOKS, type="Allocation", number=None, party_id="other", currency="EUR")
    assert compare(expected, allocation).state is PostingState.CONFIRMED
    assert compare(expected, replace(allocation, amount=Decimal("10.00"))).differences == (
        Difference("amount", "42.50", "10.00"),)


def test_a_xero_payment_is_found_by_its_reference() -> None:
    expected = replace(EXPECTED, type="Payment", tag="RF-1~p")
    payment = replace(BOOKS, type="Payment", number=None, reference="RF-1~p")
    assert compare(expected, payment).state is PostingState.CONFIRMED
    assert compare(expected, replace(payment, reference="by hand")).differences == (
        Difference("tag", "RF-1~p", "by hand"),)


def test_the_drift_says_what_the_posting_returns_to_without_its_duplicates() -> None:
    verdict = compare(EXPECTED, replace(BOOKS, amount=Decimal("40.00")), duplicates=(DUP,))
    assert verdict.drift() == {"base": "mismatch",
                               "differences": [{"field": "amount", "expected": "42.50", "found": "40.00"}],
                               "duplicates": [DUP.as_dict()]}
    assert verdict.summary() == "amount: expected 42.50, found 40.00; duplicate RF-1 (id 201, 42.50)"
