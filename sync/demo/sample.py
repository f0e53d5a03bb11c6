"""The sample case log (``examples/cases.csv``), what each case should end as (``examples/expected.json``),
and what the ledger says each case reached.

A case's state is summarised from its postings, as a bookkeeper would ask "is it in the books?":
``rejected`` (its input was refused and kept with the reason), ``failed`` (some posting needs an operator),
``posted`` (every document is in the books), ``confirmed`` (and back-sync read each one back and it
matches the case), or the state of whatever is still on its way. A case is
*settled* when nothing about it is still moving.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from sync.ledger.db import session_scope
from sync.ledger.models import Posting, RejectedInput
from sync.ledger.states import PostingState

#: Postings in these states may still change without an operator.
MOVING = frozenset({PostingState.PENDING, PostingState.IN_FLIGHT, PostingState.UNKNOWN})
IN_BOOKS = frozenset({PostingState.POSTED, PostingState.CONFIRMED, PostingState.LINKED})
SETTLED_CASE_STATES = frozenset({"posted", "confirmed", "failed", "rejected"})


def examples_dir() -> Path:
    """``examples/`` of the checkout this code runs from (an editable install or a source tree)."""
    return Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Sample:
    cases_csv: Path
    expected: dict[str, str]  # case id -> confirmed | failed | rejected

    @classmethod
    def load(cls, folder: Path | None = None) -> Sample:
        folder = folder or examples_dir()
        if not (folder / "expected.json").is_file():
            raise RuntimeError(f"the sample case log is not at {folder}: examples/ ships with the source checkout "
                               "(git clone), not with an installed wheel; run the demo from a clone")
        data = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        return cls(folder / "cases.csv", {cid: case["state"] for cid, case in data["cases"].items()})


@dataclass
class CaseStatus:
    case_id: str
    state: str  # confirmed | posted | failed | rejected | waiting | (a moving posting state) | not seen
    tenant: str | None = None
    documents: list[str] = field(default_factory=list)  # document types in the books, one per posting
    reason: str | None = None

    @property
    def settled(self) -> bool:
        return self.state in SETTLED_CASE_STATES


def case_statuses(ledger_url: str, case_ids: list[str]) -> dict[str, CaseStatus]:
    """Every listed case's state as the ledger has it now (one query per table)."""
    with session_scope(ledger_url) as session:
        postings = session.scalars(select(Posting).where(Posting.case_id.in_(case_ids))
                                   .order_by(Posting.case_id, Posting.created_at, Posting.id)).all()
        rejected = session.execute(select(RejectedInput.case_id, RejectedInput.reason)
                                   .where(RejectedInput.case_id.in_(case_ids))).all()
    by_case: dict[str, list[Posting]] = {}
    for posting in postings:
        by_case.setdefault(posting.case_id, []).append(posting)
    refused = {case_id: reason for case_id, reason in rejected if case_id}
    return {cid: _status(cid, by_case.get(cid, []), refused.get(cid)) for cid in case_ids}


def _status(case_id: str, postings: list[Posting], rejected_reason: str | None) -> CaseStatus:
    if not postings:
        if rejected_reason is not None:
            return CaseStatus(case_id, "rejected", reason=rejected_reason)
        return CaseStatus(case_id, "not seen")
    live = [p for p in postings if p.state != PostingState.SUPERSEDED.value]
    states = {PostingState(p.state) for p in live}
    status = CaseStatus(case_id, "", tenant=live[0].tenant if live else postings[0].tenant)
    status.documents = [p.document_type or p.role for p in live if PostingState(p.state) in IN_BOOKS]
    failed = [p for p in live if p.state == PostingState.FAILED.value]
    moving = states & MOVING
    if moving:
        status.state = sorted(s.value for s in moving)[0]
    elif failed:
        status.state = "failed"
        status.reason = failed[0].reason
    elif states == {PostingState.CONFIRMED}:
        status.state = "confirmed"  # back-sync read every document back and it matches the case
    elif states <= IN_BOOKS:
        status.state = "posted"
    else:  # waiting_reconnect, skipped, drift states: not moving by themselves
        status.state = sorted(s.value for s in states - IN_BOOKS)[0]
        status.reason = next((p.reason for p in live if p.reason), None)
    return status
