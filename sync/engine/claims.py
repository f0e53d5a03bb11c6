"""Claiming postings for one flush: a lease recorded in the ledger, so a crashed worker's claim expires.

A claim moves due postings to ``in_flight`` with an owner and a lease expiry, in one transaction. Due
means: ``pending`` or ``unknown`` whose next attempt time has come, or ``in_flight`` whose lease ran
out (its worker died mid-request). The last two may already exist in the books, so the claim says
which postings must be looked up by tag before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from sync.ledger.models import Posting
from sync.ledger.states import PostingState

_WAITING = (PostingState.PENDING.value, PostingState.UNKNOWN.value)


@dataclass(frozen=True)
class Claimed:
    posting_id: str
    lookup_first: bool  # the outcome of an earlier try is unknown: find by tag before sending


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Posting.state.in_(_WAITING), or_(Posting.next_attempt_at.is_(None), Posting.next_attempt_at <= now)),
        and_(Posting.state == PostingState.IN_FLIGHT.value, Posting.lease_expires_at < now),
    )


def claim(session: Session, tenant: str, owner: str, *, now: datetime, lease_seconds: float,
          limit: int) -> list[Claimed]:
    """Claim up to ``limit`` due postings of ``tenant``, oldest first; commits."""
    query = (select(Posting.id, Posting.state).where(Posting.tenant == tenant, _due(now))
             .order_by(Posting.created_at, Posting.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = session.execute(query).all()
    if not rows:
        session.rollback()
        return []
    ids = [r.id for r in rows]
    # The update re-checks "due": an operator command (link, skip) that changed a row between the select and
    # here wins, and the row is not claimed (only the rows this update changed are returned).
    claimed = set(session.scalars(
        update(Posting).where(Posting.id.in_(ids), _due(now))
        .values(state=PostingState.IN_FLIGHT.value, lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
        .returning(Posting.id)).all())
    session.commit()
    return [Claimed(r.id, r.state != PostingState.PENDING.value) for r in rows if r.id in claimed]


def next_due_at(session: Session, tenant: str, now: datetime) -> datetime | None:
    """When the earliest waiting posting of ``tenant`` becomes due (None: nothing waits)."""
    waiting = (Posting.tenant == tenant, Posting.state.in_(_WAITING))
    if session.scalar(select(Posting.id).where(*waiting, Posting.next_attempt_at.is_(None)).limit(1)):
        return now
    retry = session.scalar(select(func.min(Posting.next_attempt_at)).where(*waiting))
    lease = session.scalar(select(func.min(Posting.lease_expires_at)).where(
        Posting.tenant == tenant, Posting.state == PostingState.IN_FLIGHT.value))
    times = [t for t in (retry, lease) if t is not None]
    return min(times) if times else None


def tenants_with_due(session: Session, now: datetime) -> list[str]:
    """Tenants that have something to post now (the beat safety net schedules a flush for each)."""
    return sorted(session.scalars(select(Posting.tenant).where(_due(now)).distinct()).all())
