"""Intake on a real ledger (SQLite and PostgreSQL): valid cases stored once, bad ones kept with a reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.intake import IntakeResult, receive
from sync.ledger.db import session_scope
from sync.ledger.models import CaseRevision, Posting, RejectedInput
from tests.support.factories import make_case


def _without(field: str) -> dict[str, Any]:
    case = make_case(900)
    del case[field]
    return case


def _line(amount: str, **kw: Any) -> dict[str, Any]:
    return {"description": "item", "amount": amount, "party": None, "account": None, **kw}


# (label, payload, field named in the reason, words the reason must contain)
MALFORMED: list[tuple[str, Any, str, str]] = [
    ("zero amount", make_case(1, amount="0.00"), "amount", "greater than zero"),
    ("negative amount", make_case(2, amount="-5.00"), "amount", "greater than zero"),
    ("3 decimals in USD", make_case(3, amount="10.005"), "amount", "more decimals than USD allows (2)"),
    ("decimals in JPY", make_case(4, currency="JPY", amount="1500.5"), "amount", "more decimals than JPY allows (0)"),
    ("4 decimals in BHD", make_case(5, currency="BHD", amount="1.2345"), "amount", "more decimals than BHD allows"),
    ("unknown currency", make_case(6, currency="XYZ"), "currency", "'XYZ' is not an ISO 4217"),
    ("lower-case currency", make_case(7, currency="usd"), "currency", "is not an ISO 4217"),
    ("lines do not sum", make_case(8, amount="10.00", lines=[_line("4.00"), _line("5.00")]), "lines",
     "lines add up to 9.00 but the case amount is 10.00"),
    ("line with 3 decimals", make_case(9, amount="10.00", lines=[_line("9.995"), _line("0.005")]), "lines[0].amount",
     "lines[0].amount 9.995 has more decimals"),
    ("missing case id", _without("case_id"), "case_id", "is required"),
    ("empty case id", make_case(10, case_id=""), "case_id", "must not be empty"),
    ("too-long case id", make_case(11, case_id="RF-" + "9" * 70), "case_id", "at most 64"),
    ("control char in case id", make_case(12, case_id="RF-1\x00"), "case_id", "control or unprintable"),
    ("status not closed", make_case(13, status="open"), "status", "only closed cases can be posted"),
    ("status reopened", make_case(14, status="reopened"), "status", "'reopened'"),
    ("impossible date", make_case(15, refund_date="2026-02-30"), "refund_date", "not a real calendar date"),
    ("date in wrong form", make_case(16, refund_date="20/11/2026"), "refund_date", "YYYY-MM-DD"),
    ("date as number", make_case(17, refund_date=20261120), "refund_date", "not int"),
    ("closed_at without zone", make_case(18, closed_at="2026-11-21T09:14:00"), "closed_at", "time zone"),
    ("closed_at nonsense", make_case(19, closed_at="yesterday"), "closed_at", "not a timestamp"),
    ("amount as bool", make_case(20, amount=True), "amount", "not a boolean"),
    ("amount as list", make_case(21, amount=["1"]), "amount", "not list"),
    ("amount with exponent", make_case(22, amount="1e3"), "amount", "not a plain decimal"),
    ("amount NaN", make_case(23, amount="NaN"), "amount", "not a plain decimal"),
    ("inexact JSON number", make_case(24, amount=12345678901234567.0), "amount", "cannot be represented exactly"),
    ("revision as string", make_case(25, revision="2"), "revision", "valid integer"),
    ("revision zero", make_case(26, revision=0), "revision", "greater than or equal to 1"),
    ("unknown field", make_case(27, priority="high"), "priority", "unknown fields are rejected"),
    ("unknown field in party", make_case(28, party={"name": "Acme", "external_id": None, "vat": "x"}),
     "party.vat", "unknown fields"),
    ("unknown kind", make_case(29, kind="chargeback"), "kind", "use vendor_refund or customer_refund"),
    ("party name missing", make_case(30, party={"external_id": "V-1"}), "party.name", "is required"),
    ("party name blank padded", make_case(31, party={"name": " Acme", "external_id": None}), "party.name",
     "spaces"),
    ("case id as number", make_case(32, case_id=123), "case_id", "must be text"),
    ("tenant missing", _without("tenant"), "tenant", "is required"),
    ("evidence not a list", make_case(33, evidence="https://x"), "evidence", "valid list"),
    ("oversized payload", make_case(34, evidence=["https://example.com/" + "x" * 1900] * 40), "(payload)",
     "the limit is 65536 bytes"),
    ("not an object", ["RF-1", "42.50"], "(payload)", "must be a JSON object"),
    ("broken JSON text", '{"case_id": "RF-1", ', "(payload)", "not valid JSON"),
]


def _count(url: str, model: Any) -> int:
    with session_scope(url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_malformed_cases_are_rejected_with_reasons_and_valid_ones_stored(ledger_url: str) -> None:
    assert len(MALFORMED) >= 30
    valid = [make_case(i, prefix="RF-OK-") for i in range(1, 11)]
    batch: list[Any] = []
    for i, (_, payload, _, _) in enumerate(MALFORMED):
        batch.append(payload)
        if i < len(valid):
            batch.append(valid[i])
    for payload in batch:
        with session_scope(ledger_url) as s:
            receive(s, payload)
    with session_scope(ledger_url) as s:
        rejected = s.scalars(select(RejectedInput).order_by(RejectedInput.id)).all()
        stored = s.scalars(select(CaseRevision.case_id)).all()
    assert sorted(stored) == sorted(c["case_id"] for c in valid)
    assert len(rejected) == len(MALFORMED)
    for row, (label, payload, field, words) in zip(rejected, MALFORMED, strict=True):
        errors = json.loads(row.errors)
        assert any(e["field"] == field for e in errors), f"{label}: {row.reason}"
        assert words in row.reason, f"{label}: {row.reason}"
        assert row.kind == "invalid"
        # the payload is kept whole, so nothing is lost
        if not isinstance(payload, str):
            assert json.loads(row.raw_payload) == payload


def test_a_valid_case_gets_one_pending_posting_per_party(ledger_url: str) -> None:
    lines = [
        {"description": "mugs", "amount": "30.00", "party": {"name": "Acme Supplies Ltd", "external_id": None},
         "account": None},
        {"description": "plates", "amount": "12.50", "party": {"name": "株式会社サクラ商事", "external_id": "V-9"},
         "account": None},
        {"description": "more mugs", "amount": "5.00", "party": {"name": "Acme Supplies Ltd", "external_id": None},
         "account": None},
    ]
    with session_scope(ledger_url) as s:
        outcome = receive(s, make_case(1, amount="47.50", lines=lines))
    assert outcome.result is IntakeResult.STORED and outcome.postings == 2
    with session_scope(ledger_url) as s:
        postings = s.scalars(select(Posting).order_by(Posting.party_name)).all()
        assert [(p.party_name, p.party_key, p.state) for p in postings] == [
            ("Acme Supplies Ltd", "name:acmesuppliesltd", "pending"),
            ("株式会社サクラ商事", "id:V-9", "pending"),
        ]


def test_redelivery_is_a_noop_and_a_changed_payload_is_a_conflict(ledger_url: str) -> None:
    case = make_case(5)
    with session_scope(ledger_url) as s:
        assert receive(s, case).result is IntakeResult.STORED
    with session_scope(ledger_url) as s:
        assert receive(s, case).result is IntakeResult.DUPLICATE
    changed = {**case, "amount": "1.00"}
    with session_scope(ledger_url) as s:
        outcome = receive(s, changed)
    assert outcome.result is IntakeResult.CONFLICT
    assert "already stored with different content" in (outcome.reason or "")
    assert _count(ledger_url, CaseRevision) == 1
    assert _count(ledger_url, Posting) == 1
    with session_scope(ledger_url) as s:
        row = s.scalars(select(RejectedInput)).one()
    assert row.kind == "conflict" and json.loads(row.raw_payload)["amount"] == "1.00"


def test_equal_amounts_written_differently_are_the_same_case(ledger_url: str) -> None:
    with session_scope(ledger_url) as s:
        assert receive(s, make_case(6, amount="42.5")).result is IntakeResult.STORED
    with session_scope(ledger_url) as s:
        assert receive(s, make_case(6, amount="42.50")).result is IntakeResult.DUPLICATE
    with session_scope(ledger_url) as s:
        assert receive(s, make_case(6, amount=42.5)).result is IntakeResult.DUPLICATE


def test_new_revision_supersedes_pending_postings_and_old_revision_is_stale(ledger_url: str) -> None:
    with session_scope(ledger_url) as s:
        receive(s, make_case(7, amount="10.00"))
    with session_scope(ledger_url) as s:
        assert receive(s, make_case(7, amount="8.00", revision=3)).result is IntakeResult.STORED
    with session_scope(ledger_url) as s:
        assert receive(s, make_case(7, amount="9.00", revision=2)).result is IntakeResult.STALE
    with session_scope(ledger_url) as s:
        rows = s.execute(select(CaseRevision.revision, Posting.state, Posting.reason)
                         .join(Posting).order_by(CaseRevision.revision)).all()
    assert [(r.revision, r.state) for r in rows] == [(1, "superseded"), (2, "superseded"), (3, "pending")]
    assert rows[0].reason == "replaced by revision 3 before it was posted"


def test_a_case_cannot_move_between_tenants(ledger_url: str) -> None:
    with session_scope(ledger_url) as s:
        receive(s, make_case(8))
    with session_scope(ledger_url) as s:
        outcome = receive(s, make_case(8, tenant="demo-xero", revision=2))
    assert outcome.result is IntakeResult.CONFLICT
    assert "belongs to tenant demo-qbo" in (outcome.reason or "")


@pytest.mark.parametrize("amount", ["42.50", 42.5, "1500"])
def test_amount_forms_that_convert_exactly_are_accepted(ledger_url: str, amount: Any) -> None:
    with session_scope(ledger_url) as s:
        assert receive(s, make_case(9, amount=amount)).result is IntakeResult.STORED
