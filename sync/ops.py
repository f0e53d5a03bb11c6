"""Operator decisions on postings: what needs attention, re-running, adopting, skipping, unposting.

Every change here is recorded as an attempt row (operation ``operator``), so `refundsync show` tells the
whole story of a case: what the engine did and what a person decided.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.ledger.models import Attempt, CaseRevision, Posting, RejectedInput, utcnow
from sync.ledger.states import PostingState

ATTENTION = (PostingState.FAILED.value, PostingState.WAITING_RECONNECT.value)
#: States a re-run may start from: never a posting that is (or may be) in the books already.
RETRYABLE = (PostingState.FAILED.value, PostingState.WAITING_RECONNECT.value)


@dataclass
class FailureGroup:
    tenant: str
    code: str | None
    reason: str
    case_ids: list[str] = field(default_factory=list)
    states: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "code": self.code, "reason": self.reason, "count": len(self.case_ids),
                "states": sorted(self.states), "case_ids": self.case_ids}


def _attention_query(tenant: str | None, reason: str | None, since: datetime | None) -> Any:
    query = select(Posting).where(Posting.state.in_(ATTENTION))
    if tenant:
        query = query.where(Posting.tenant == tenant)
    if reason:
        query = query.where((Posting.error_code == reason) | Posting.reason.contains(reason))
    if since:
        query = query.where(Posting.updated_at >= since)
    return query.order_by(Posting.tenant, Posting.error_code, Posting.case_id)


def failures(session: Session, *, tenant: str | None = None, reason: str | None = None,
             since: datetime | None = None) -> list[FailureGroup]:
    """Postings that need a person, grouped by tenant, code and reason (the reason says the fix)."""
    groups: dict[tuple[str, str | None, str], FailureGroup] = {}
    for posting in session.scalars(_attention_query(tenant, reason, since)):
        key = (posting.tenant, posting.error_code, posting.reason or "no reason recorded")
        group = groups.setdefault(key, FailureGroup(*key))
        if posting.case_id not in group.case_ids:
            group.case_ids.append(posting.case_id)
        group.states.add(posting.state)
    return sorted(groups.values(), key=lambda g: (-len(g.case_ids), g.tenant, g.code or ""))


def record_decision(session: Session, posting: Posting, what: str, detail: str) -> None:
    now = utcnow()
    session.add(Attempt(posting_id=posting.id, started_at=now, finished_at=now, operation="operator",
                        request_summary=what, provider_message=detail, classification=None, outcome=what))


def select_for_retry(session: Session, case_ids: Sequence[str] = (), *, failed: bool = False,
                     tenant: str | None = None, reason: str | None = None, since: datetime | None = None
                     ) -> list[Posting]:
    if failed:
        return list(session.scalars(_attention_query(tenant, reason, since)))
    query = select(Posting).where(Posting.case_id.in_(list(case_ids)), Posting.state.in_(RETRYABLE))
    return list(session.scalars(query.order_by(Posting.case_id, Posting.id)))


def retry(session: Session, postings: Sequence[Posting]) -> list[str]:
    """Back in line, looked up by tag before anything is sent (so a re-run never duplicates); commits.

    Returns the tenants to flush. Attempts count afresh; the old attempt rows stay.
    """
    now = utcnow()
    tenants = set()
    for posting in postings:
        record_decision(session, posting, "retry", f"re-run requested (was {posting.state}: {posting.reason})")
        posting.state = PostingState.UNKNOWN.value
        posting.next_attempt_at = None
        posting.attempt_count = 0
        posting.reason = "re-run by an operator; looked up by tag before anything is sent"
        posting.updated_at = now
        tenants.add(posting.tenant)
    session.commit()
    return sorted(tenants)


def skip(session: Session, case_id: str, why: str) -> list[Posting]:
    """Postings of the case that are not in the books are set aside with the operator's reason; commits."""
    open_states = (PostingState.PENDING.value, PostingState.FAILED.value, PostingState.WAITING_RECONNECT.value,
                   PostingState.UNKNOWN.value)
    postings = list(session.scalars(select(Posting).where(Posting.case_id == case_id,
                                                          Posting.state.in_(open_states))))
    for posting in postings:
        record_decision(session, posting, "skip", why)
        posting.state = PostingState.SKIPPED.value
        posting.reason = f"skipped by an operator: {why}"
        posting.updated_at = utcnow()
    session.commit()
    return postings


def case_story(session: Session, case_id: str) -> dict[str, Any] | None:
    """Everything the ledger knows about a case: revisions, postings, every attempt, rejections."""
    revisions = list(session.scalars(select(CaseRevision).where(CaseRevision.case_id == case_id)
                                     .order_by(CaseRevision.revision)))
    rejected = list(session.scalars(select(RejectedInput).where(RejectedInput.case_id == case_id)
                                    .order_by(RejectedInput.id)))
    if not revisions and not rejected:
        return None
    story: dict[str, Any] = {"case_id": case_id, "revisions": [], "rejected": []}
    for revision in revisions:
        postings = list(session.scalars(select(Posting).where(Posting.case_revision_id == revision.id)
                                        .order_by(Posting.created_at, Posting.id)))
        story["revisions"].append({
            "revision": revision.revision, "tenant": revision.tenant, "kind": revision.kind,
            "received_at": revision.received_at.isoformat(), "superseded": revision.superseded_at is not None,
            "case": json.loads(revision.payload),
            "postings": [_posting_story(session, p) for p in postings],
        })
    story["rejected"] = [{"received_at": r.received_at.isoformat(), "kind": r.kind, "source": r.source,
                          "reason": r.reason} for r in rejected]
    return story


def _posting_story(session: Session, posting: Posting) -> dict[str, Any]:
    attempts = list(session.scalars(select(Attempt).where(Attempt.posting_id == posting.id).order_by(Attempt.id)))
    return {
        "posting_id": posting.id, "role": posting.role, "party": posting.party_name, "state": posting.state,
        "document_type": posting.document_type, "tag": posting.tag, "remote_id": posting.remote_id,
        "remote_number": posting.remote_number, "reason": posting.reason, "error_code": posting.error_code,
        "idempotency_key": posting.idempotency_key,
        "posted_at": posting.posted_at.isoformat() if posting.posted_at else None,
        "attempts": [{"at": a.started_at.isoformat(), "operation": a.operation, "request": a.request_summary,
                      "http_status": a.http_status, "provider_code": a.provider_code,
                      "provider_message": a.provider_message, "classification": a.classification,
                      "outcome": a.outcome} for a in attempts],
    }
