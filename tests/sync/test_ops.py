"""The ledger side of the operator commands (SQLite and PostgreSQL): which postings a re-run, link or repost
may touch, what it writes, and what it refuses. The remote side is tested end to end in
tests/sync/cli/test_remote_ops_cmd.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sync.engine.generations import awaits_credit, repost_number
from sync.intake import posting_id, receive
from sync.ledger.db import session_scope
from sync.ledger.models import Posting, utcnow
from sync.ops import Refused, link_target, mark_linked, repost, retry
from tests.support.factories import make_case


def _store(url: str, i: int, **overrides: Any) -> str:
    case = make_case(i, tenant="demo-xero", prefix="OPS-", payment=None, original_document=None, **overrides)
    with session_scope(url) as s:
        receive(s, case)
    return str(case["case_id"])


def _credit(s: Any, case_id: str) -> Posting:
    posting = s.scalar(select(Posting).where(Posting.case_id == case_id, Posting.role == "credit"))
    assert posting is not None
    return posting  # type: ignore[no-any-return]


def _add_refund(s: Any, credit: Posting, state: str, remote_id: str | None) -> Posting:
    """The follow-up the engine creates once a credit is posted (here: as it stands after an unpost)."""
    refund = Posting(id=posting_id(credit.tenant, credit.case_id, 1, "refund", credit.party_key),
                     case_revision_id=credit.case_revision_id, case_id=credit.case_id, tenant=credit.tenant,
                     role="refund", party_key=credit.party_key, party_name=credit.party_name, state=state,
                     document_type="Payment", tag=f"{credit.case_id}~p", remote_id=remote_id,
                     depends_on_id=credit.id, attempt_count=1, created_at=utcnow(), updated_at=utcnow())
    s.add(refund)
    return refund


def test_a_rerun_bumps_the_generation_and_keeps_the_tag(ledger_url: str) -> None:
    case_id = _store(ledger_url, 1)
    for expected in (1, 2):
        with session_scope(ledger_url) as s:
            credit = _credit(s, case_id)
            credit.state, credit.tag, credit.reason = "failed", case_id, "account 310 is archived"
            s.commit()
            assert retry(s, [credit]) == ["demo-xero"]
        with session_scope(ledger_url) as s:
            credit = _credit(s, case_id)
            # a fresh key (generation), the same tag: an earlier try's document is still found by lookup
            assert (credit.state, credit.generation, credit.tag) == ("unknown", expected, case_id)
            assert repost_number(s, credit) == 0


def test_repost_sends_the_credit_and_holds_its_follow_up_until_the_credit_is_back(ledger_url: str) -> None:
    case_id = _store(ledger_url, 2)
    with session_scope(ledger_url) as s:
        credit = _credit(s, case_id)
        credit.state, credit.remote_id, credit.document_type = "voided", "CN-1", "CreditNote"
        _add_refund(s, credit, "voided", "PAY-1")
        s.commit()
        chosen = repost(s, case_id, gone={credit.id: "CreditNote CN-1 is voided"}, live=set())
        assert {p.role for p in chosen} == {"credit", "refund"}
    with session_scope(ledger_url) as s:
        postings = {p.role: p for p in s.scalars(select(Posting).where(Posting.case_id == case_id))}
        credit, refund = postings["credit"], postings["refund"]
        assert (credit.state, credit.generation, credit.remote_id) == ("pending", 1, None)
        assert (refund.state, refund.generation, refund.remote_id) == ("voided", 1, None)
        assert awaits_credit(refund) and not awaits_credit(credit)
        assert repost_number(s, credit) == repost_number(s, refund) == 1
        history = [a.provider_message or "" for a in credit.attempts]
        assert any("CN-1" in h and "voided" in h for h in history)  # the dead document's id is kept
    # nothing is gone any more: a second repost is refused
    with session_scope(ledger_url) as s, pytest.raises(Refused, match="no posting whose document"):
        repost(s, case_id, gone={}, live=set())


def test_repost_never_touches_a_document_the_books_still_have(ledger_url: str) -> None:
    case_id = _store(ledger_url, 3)
    with session_scope(ledger_url) as s:
        credit = _credit(s, case_id)
        credit.state, credit.remote_id = "removed", "CN-9"  # back-sync said removed; the books have it again
        s.commit()
        with pytest.raises(Refused):
            repost(s, case_id, gone={}, live={credit.id})
    with session_scope(ledger_url) as s:
        assert (_credit(s, case_id).state, _credit(s, case_id).generation) == ("removed", 0)


def test_link_needs_a_party_for_a_multi_party_case_and_only_takes_what_is_not_in_the_books(ledger_url: str) -> None:
    lines = [{"description": "a", "amount": "10.00", "party": {"name": "Acme Supplies Ltd", "external_id": None}},
             {"description": "b", "amount": "5.00", "party": {"name": "Nordic Paper AB", "external_id": None}}]
    case_id = _store(ledger_url, 4, kind="vendor_refund", amount="15.00", lines=lines)
    with session_scope(ledger_url) as s:
        with pytest.raises(Refused, match=r"2 parties .* name one with --party"):
            link_target(s, case_id, None)
        with pytest.raises(Refused, match="no party named 'Nobody'"):
            link_target(s, case_id, "Nobody")
        target = link_target(s, case_id, "nordic paper ab")
        assert target.party_name == "Nordic Paper AB"
        # a worker claimed it meanwhile: nothing is written
        assert not mark_linked(s, target.id, "failed", document_type="CreditNote", remote_id="CN-7", number="7",
                               version=None, detail="test")
        assert mark_linked(s, target.id, "pending", document_type="CreditNote", remote_id="CN-7", number="7",
                           version=None, detail="test")
    with session_scope(ledger_url) as s, pytest.raises(Refused, match="is linked as CreditNote CN-7"):
        link_target(s, case_id, "Nordic Paper AB")


def test_an_earlier_revision_voided_by_its_amendment_is_never_reposted(ledger_url: str) -> None:
    case_id = _store(ledger_url, 5)
    with session_scope(ledger_url) as s:
        first = _credit(s, case_id)
        first.state, first.remote_id = "voided", "CN-OLD"  # the amendment voided it and posted revision 2
        s.commit()
    _store(ledger_url, 5, revision=2)
    with session_scope(ledger_url) as s:
        current = s.scalar(select(Posting).where(Posting.case_id == case_id, Posting.id != first.id))
        assert current is not None
        current.state, current.remote_id = "posted", "CN-NEW"
        s.commit()
        with pytest.raises(Refused):
            repost(s, case_id, gone={}, live={current.id})
    with session_scope(ledger_url) as s:
        old = s.get(Posting, first.id)
        assert old is not None and (old.state, old.generation, old.remote_id) == ("voided", 0, "CN-OLD")
