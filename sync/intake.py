"""Intake: a payload from the queue becomes a stored case revision with pending postings, or a rejection.

Everything happens in one transaction, so a message can be acknowledged as soon as this returns: the
case is durably in the ledger, or durably rejected with its payload and the reason. Calling it twice
with the same payload is a no-op (redelivery after a crash); the same case id and revision with
different content is a conflict and is kept as a rejection, never silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mapping.case import RefundCase
from mapping.parties import party_key
from mapping.validation import FieldError, payload_size, validate_payload
from sync.ledger.models import CaseRevision, Posting, RejectedInput, utcnow
from sync.ledger.states import DocumentRole, PostingState, RejectionKind

#: Namespace of posting ids: uuid5(tenant/case/revision/role/party) is the same in every process, so a
#: redelivered case maps to the same rows and the idempotency keys derived from them never change.
POSTING_NAMESPACE = uuid.UUID("6f1c1f0e-3d7a-4c61-9a55-2b1d0e0f8a11")
RAW_PAYLOAD_LIMIT = 1024 * 1024


_REVISIONS = cast(Table, CaseRevision.__table__)
_POSTINGS = cast(Table, Posting.__table__)
# Built once: statement construction was a visible share of the per-message cost.
_SELECT_KNOWN = (select(_REVISIONS.c.revision, _REVISIONS.c.payload_hash, _REVISIONS.c.tenant)
                 .where(_REVISIONS.c.case_id == bindparam("case_id")))
_INSERT_REVISION = _REVISIONS.insert().returning(_REVISIONS.c.id)
_INSERT_POSTING = _POSTINGS.insert()


class IntakeResult(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # same case, same revision, same content: nothing to do
    STALE = "stale"  # an older revision arriving after a newer one: kept for history, not posted
    REJECTED = "rejected"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class IntakeOutcome:
    result: IntakeResult
    case_id: str | None
    revision: int | None = None
    reason: str | None = None
    postings: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"result": self.result.value, "case_id": self.case_id, "revision": self.revision,
                "reason": self.reason, "postings": self.postings}


def posting_id(tenant: str, case_id: str, revision: int, role: str, key: str) -> str:
    return str(uuid.uuid5(POSTING_NAMESPACE, "\x1f".join((tenant, case_id, str(revision), role, key))))


def receive(session: Session, payload: Any, *, source: str = "queue", max_bytes: int = 65536) -> IntakeOutcome:
    """Validate and store one payload; commits. Never raises for bad input, only for a broken database."""
    check = validate_payload(payload, max_bytes=max_bytes)
    if check.case is None:
        return reject(session, payload, check.errors, source=source)
    return store_case(session, check.case, source=source)


def store_case(session: Session, case: RefundCase, *, source: str = "queue") -> IntakeOutcome:
    """Store a valid case revision and its pending postings, idempotently; commits."""
    for _ in range(3):
        outcome = _store_once(session, case, source)
        if outcome is not None:
            return outcome
    raise RuntimeError(f"could not store case {case.case_id}: concurrent writers kept colliding")


def _store_once(session: Session, case: RefundCase, source: str) -> IntakeOutcome | None:
    """One attempt; None means a concurrent delivery of the same case won a race and we must re-check.

    Written with Core statements (one read, two inserts, one commit): this runs once per message and the
    ORM's unit of work cost more than everything else together.
    """
    canonical = case.canonical_json()
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    conn = session.connection()
    known = conn.execute(_SELECT_KNOWN, {"case_id": case.case_id}).all()
    same = next((row for row in known if row.revision == case.revision), None)
    if same is not None:
        session.rollback()
        if same.payload_hash == digest:
            return IntakeOutcome(IntakeResult.DUPLICATE, case.case_id, case.revision)
        reason = (f"case {case.case_id} revision {case.revision} is already stored with different content; "
                  "send the change as a new revision (revision + 1)")
        return _conflict(session, canonical, case, reason, source)
    other_tenant = next((row.tenant for row in known if row.tenant != case.tenant), None)
    if other_tenant is not None:
        session.rollback()
        reason = (f"case {case.case_id} belongs to tenant {other_tenant}; revision {case.revision} names tenant "
                  f"{case.tenant}. A case cannot move between companies: close it and open a new case")
        return _conflict(session, canonical, case, reason, source)

    now = utcnow()
    newest = max((row.revision for row in known), default=None)
    stale = newest is not None and newest > case.revision
    try:
        revision_id = conn.execute(_INSERT_REVISION, {
            "case_id": case.case_id, "revision": case.revision, "tenant": case.tenant, "kind": case.kind.value,
            "payload": canonical, "payload_hash": digest, "received_at": now,
            "superseded_at": now if stale else None,
        }).scalar_one()
    except IntegrityError:
        session.rollback()
        return None
    state = (PostingState.SUPERSEDED if stale else PostingState.PENDING).value
    parties = case.parties()
    conn.execute(_INSERT_POSTING, [
        {"id": posting_id(case.tenant, case.case_id, case.revision, DocumentRole.CREDIT, party_key(party)),
         "case_revision_id": revision_id, "case_id": case.case_id, "tenant": case.tenant,
         "role": DocumentRole.CREDIT.value, "party_key": party_key(party), "party_name": party.name,
         "state": state, "attempt_count": 0, "created_at": now, "updated_at": now}
        for party in parties
    ])
    if not stale and newest is not None:
        _supersede_older(session, case, now)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    result = IntakeResult.STALE if stale else IntakeResult.STORED
    return IntakeOutcome(result, case.case_id, case.revision, postings=len(parties))


def _supersede_older(session: Session, case: RefundCase, now: Any) -> None:
    """Older revisions are superseded; their never-sent postings will not be sent.

    Postings of older revisions that already reached the books stay as they are: the posting engine
    amends or voids and reposts them, keeping the history.
    """
    older = select(CaseRevision.id).where(CaseRevision.case_id == case.case_id,
                                          CaseRevision.revision < case.revision)
    session.execute(update(CaseRevision).where(CaseRevision.id.in_(older), CaseRevision.superseded_at.is_(None))
                    .values(superseded_at=now))
    session.execute(update(Posting).where(Posting.case_revision_id.in_(older),
                                          Posting.state == PostingState.PENDING.value)
                    .values(state=PostingState.SUPERSEDED.value, updated_at=now,
                            reason=f"replaced by revision {case.revision} before it was posted"))


def _conflict(session: Session, canonical: str, case: RefundCase, reason: str, source: str) -> IntakeOutcome:
    _store_rejection(session, canonical, [FieldError("revision", reason)], RejectionKind.CONFLICT, source,
                     case.case_id)
    return IntakeOutcome(IntakeResult.CONFLICT, case.case_id, case.revision, reason=reason)


def reject(session: Session, payload: Any, errors: list[FieldError], *, source: str = "queue") -> IntakeOutcome:
    """Keep an invalid payload whole, with every reason; commits."""
    case_id = _guess_case_id(payload)
    _store_rejection(session, payload, errors, RejectionKind.INVALID, source, case_id)
    return IntakeOutcome(IntakeResult.REJECTED, case_id, reason="; ".join(str(e) for e in errors))


def _store_rejection(session: Session, payload: Any, errors: list[FieldError], kind: RejectionKind, source: str,
                     case_id: str | None) -> None:
    raw = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, default=str)
    raw = _storable(raw)
    size = payload_size(payload)
    if len(raw) > RAW_PAYLOAD_LIMIT:
        raw = raw[:RAW_PAYLOAD_LIMIT]
        errors = [*errors, FieldError("(stored payload)", f"truncated to {RAW_PAYLOAD_LIMIT} characters")]
    session.add(RejectedInput(
        source=_storable(source[:200]), kind=kind.value, case_id=_storable(case_id[:200]) if case_id else None,
        raw_payload=raw, payload_bytes=size, reason=_storable("; ".join(str(e) for e in errors)),
        errors=json.dumps([e.as_dict() for e in errors], ensure_ascii=False),
    ))
    session.commit()


def _storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL; keep it visible as the JSON escape instead of losing the row."""
    return text.replace("\x00", "\\u0000")


def _guess_case_id(payload: Any) -> str | None:
    if isinstance(payload, dict) and isinstance(payload.get("case_id"), str):
        return str(payload["case_id"])
    return None
