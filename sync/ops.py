"""Operator decisions on postings: what needs attention, re-running, adopting, skipping, unposting.

Every change here is recorded as an attempt row (operation ``operator``), so `refundsync show` tells the
whole story of a case: what the engine did and what a person decided.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync.ledger.models import Attempt, CaseRevision, Posting, RejectedInput, utcnow
from sync.ledger.states import HAS_REMOTE, DocumentRole, PostingState

ATTENTION = (PostingState.FAILED.value, PostingState.WAITING_RECONNECT.value)
#: Drift found by back-sync: listed by `failed` with the operator's choices, never re-run by `retry --failed`
#: (a re-run looks the tag up, finds the drifted document and would adopt it, hiding the drift).
DRIFT_FIXES = {
    PostingState.MISMATCH.value: "the books differ from the case (`refundsync show` lists each difference): correct "
                                 "the entry in the books and the next back-sync confirms it, or `refundsync unpost` "
                                 "then `refundsync repost` the case",
    PostingState.REMOVED.value: "deleted or voided in the books: `refundsync repost` the case if it belongs there, "
                                "`refundsync skip` it if not",
    PostingState.MISSING.value: "gone from the books with no change event (found by reconcile): `refundsync repost` "
                                "the case if it belongs there, `refundsync skip` it if not",
    PostingState.DUPLICATE.value: "another document in the books bears this case's tag (keyed by hand?): delete the "
                                  "extra one in the books; the next back-sync confirms the case",
}
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
    """Postings that need a person, grouped by tenant, code and reason (the reason says the fix).

    Besides failures, the drift back-sync found (code ``DRIFT``), grouped per kind with the operator's choices.
    """
    groups: dict[tuple[str, str | None, str], FailureGroup] = {}

    def add(posting: Posting, key: tuple[str, str | None, str]) -> None:
        group = groups.setdefault(key, FailureGroup(*key))
        if posting.case_id not in group.case_ids:
            group.case_ids.append(posting.case_id)
        group.states.add(posting.state)

    for posting in session.scalars(_attention_query(tenant, reason, since)):
        add(posting, (posting.tenant, posting.error_code, posting.reason or "no reason recorded"))
    # Drift is grouped by what it is, not by its (per-document) difference: one line per kind and its fix.
    for posting in session.scalars(_drift_query(tenant, reason, since)):
        add(posting, (posting.tenant, "DRIFT", f"back-sync: {posting.state}: {DRIFT_FIXES[posting.state]}"))
    return sorted(groups.values(), key=lambda g: (-len(g.case_ids), g.tenant, g.code or ""))


def _drift_query(tenant: str | None, reason: str | None, since: datetime | None) -> Any:
    query = select(Posting).where(Posting.state.in_(list(DRIFT_FIXES)))
    if tenant:
        query = query.where(Posting.tenant == tenant)
    if reason and reason.upper() != "DRIFT":
        query = query.where((Posting.state == reason.lower()) | Posting.reason.contains(reason))
    if since:
        query = query.where(Posting.updated_at >= since)
    return query.order_by(Posting.tenant, Posting.state, Posting.case_id)


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

    Returns the tenants to flush. Attempts count afresh; the old attempt rows stay. The generation is
    bumped so the re-run is sent with a fresh idempotency key: Xero replays a key's cached answer for
    ~6 minutes (QBO a requestid's longer), and that answer may be the very failure being fixed. The tag
    stays, so a document an earlier try may have created is still found (and adopted) by the lookup.
    """
    now = utcnow()
    tenants = set()
    for posting in postings:
        record_decision(session, posting, "retry", f"re-run requested (was {posting.state}: {posting.reason})")
        posting.state = PostingState.UNKNOWN.value
        posting.next_attempt_at = None
        posting.attempt_count = 0
        posting.generation = (posting.generation or 0) + 1
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
        "idempotency_key": posting.idempotency_key, "generation": posting.generation or 0,
        "posted_at": posting.posted_at.isoformat() if posting.posted_at else None,
        "attempts": [{"at": a.started_at.isoformat(), "operation": a.operation, "request": a.request_summary,
                      "http_status": a.http_status, "provider_code": a.provider_code,
                      "provider_message": a.provider_message, "classification": a.classification,
                      "outcome": a.outcome} for a in attempts],
    }


# --- link, unpost, repost: the ledger side (the remote calls are in sync.remote_ops) -------------------

#: A hand-keyed document may be adopted only by a posting that is not in the books.
LINKABLE = (PostingState.PENDING.value, PostingState.FAILED.value, PostingState.UNKNOWN.value,
            PostingState.WAITING_RECONNECT.value, PostingState.REMOVED.value, PostingState.MISSING.value)
#: States in which our document is in the books and `unpost` voids it.
UNPOSTABLE = tuple(sorted(s.value for s in HAS_REMOTE))
#: After a remote deletion or void: a new document may be sent.
REPOSTABLE = (PostingState.REMOVED.value, PostingState.MISSING.value, PostingState.VOIDED.value)


class Refused(Exception):
    """An operator command that must not go ahead; the message says why and what to do instead."""


def case_postings(session: Session, case_id: str) -> list[Posting]:
    """The postings of the case's current revision, oldest first. An earlier revision's postings belong to
    the amendment that replaced them (voided or superseded by it): reposting one would duplicate the case."""
    return list(session.scalars(select(Posting).join(CaseRevision, Posting.case_revision_id == CaseRevision.id)
                                .where(Posting.case_id == case_id, CaseRevision.superseded_at.is_(None),
                                       Posting.state != PostingState.SUPERSEDED.value)
                                .order_by(Posting.created_at, Posting.id)))


def link_target(session: Session, case_id: str, party: str | None) -> Posting:
    """The credit posting a hand-keyed document would stand for; refuses when that is not clear."""
    credits = [p for p in case_postings(session, case_id) if p.role == DocumentRole.CREDIT.value]
    if not credits:
        raise Refused(f"case {case_id} has no credit posting in the ledger")
    names = sorted({p.party_name for p in credits})
    if party is not None:
        credits = [p for p in credits if p.party_name.casefold() == party.strip().casefold()]
        if not credits:
            raise Refused(f"case {case_id} has no party named {party!r} (its parties: {', '.join(names)})")
    elif len(names) > 1:
        raise Refused(f"case {case_id} has {len(names)} parties ({', '.join(names)}); name one with --party")
    posting = credits[-1]  # the latest revision's
    if posting.state not in LINKABLE:
        remote = f" as {posting.document_type} {posting.remote_id}" if posting.remote_id else ""
        raise Refused(f"the credit of {case_id} for {posting.party_name} is {posting.state}{remote}: only a "
                      f"posting that is not in the books ({', '.join(LINKABLE)}) can be linked")
    return posting


def linked_elsewhere(session: Session, posting: Posting, remote_id: str) -> Posting | None:
    """Another posting that already stands for this remote document (one document, one posting)."""
    return session.scalar(select(Posting).where(Posting.remote_id == remote_id, Posting.tenant == posting.tenant,
                                                Posting.id != posting.id,
                                                Posting.state.in_(UNPOSTABLE)).limit(1))


def mark_linked(session: Session, posting_id: str, was: str, *, document_type: str, remote_id: str,
                number: str | None, version: str | None, detail: str) -> bool:
    """The posting now stands for the hand-keyed document; commits. False if the posting changed meanwhile
    (a worker claimed it while the document was being fetched): nothing is written then."""
    now = utcnow()
    changed = session.execute(update(Posting).where(Posting.id == posting_id, Posting.state == was).values(
        state=PostingState.LINKED.value, document_type=document_type, remote_id=remote_id, remote_number=number,
        remote_version=version, reason=f"linked by an operator to {document_type} {remote_id}", error_code=None,
        next_attempt_at=None, lease_owner=None, lease_expires_at=None, posted_at=now, updated_at=now))
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        return False
    session.add(Attempt(posting_id=posting_id, started_at=now, finished_at=now, operation="operator",
                        request_summary=f"link {document_type} {remote_id}", provider_message=detail,
                        classification=None, outcome="linked"))
    session.commit()
    return True


def unpost_order(session: Session, case_id: str) -> list[Posting]:
    """What `unpost` acts on, follow-ups (refund payment, deposit, allocation) before the credit they
    settle: a provider refuses to void a credit that is still paid out or applied."""
    postings = [p for p in case_postings(session, case_id)
                if p.state in UNPOSTABLE or p.state == PostingState.VOIDED.value]
    return sorted(postings, key=lambda p: (p.depends_on_id is None, p.created_at, p.id))


def record_operator_call(session: Session, posting: Posting, request: str, outcome: str, *,
                         http_status: int | None = None, provider_code: str | None = None,
                         message: str | None = None, classification: str | None = None) -> None:
    """One remote call made for an operator command, with the provider's answer (the caller commits)."""
    now = utcnow()
    session.add(Attempt(posting_id=posting.id, started_at=now, finished_at=now, operation="operator",
                        request_summary=request, http_status=http_status, provider_code=provider_code,
                        provider_message=message, classification=classification, outcome=outcome))


def mark_voided(session: Session, posting: Posting, why: str) -> None:
    """Our document is out of the books; the row (remote id included) and its history stay."""
    posting.state = PostingState.VOIDED.value
    posting.reason = f"unposted by an operator: {why}"
    posting.error_code = None
    posting.updated_at = utcnow()


def repost_candidates(session: Session, case_id: str) -> list[Posting]:
    """Postings `repost` looks at: ledger says deleted/voided, or says posted but the books may disagree
    (back-sync has not run since someone deleted or voided the document)."""
    from sync.engine.generations import awaits_credit

    return [p for p in case_postings(session, case_id) if not awaits_credit(p) and (
        p.state in REPOSTABLE or (p.state in UNPOSTABLE and p.remote_id))]


def repost(session: Session, case_id: str, gone: Mapping[str, str], live: Set[str]) -> list[Posting]:
    """A new document for each of the case's postings whose document was deleted or voided; commits.

    ``gone``: posting id -> what the books said just now for documents the ledger still had as posted;
    ``live``: postings whose document the books still have (never reposted: that would duplicate it).
    The generation is bumped (fresh idempotency key) and a repost decision recorded: the engine counts
    those for the document's own tag (``~g<n>``, see sync.engine.generations), so the new document never
    collides with the dead one's number and is still found by lookup if its response is lost. The old
    remote id goes into the decision row; the posting forgets it so that nothing binds to the dead
    document. A follow-up whose credit is reposted too waits until the credit is in the books again.
    """
    from sync.engine.generations import REPOST

    chosen = [p for p in repost_candidates(session, case_id)
              if (p.state in REPOSTABLE and p.id not in live) or p.id in gone]
    if not chosen:
        raise Refused(f"case {case_id} has no posting whose document was deleted or voided "
                      f"({', '.join(REPOSTABLE)}, or gone from the books); `refundsync show {case_id}` says "
                      "where it stands")
    credits = {p.id for p in chosen if p.depends_on_id is None}
    now = utcnow()
    for posting in chosen:
        old = f"{posting.document_type} {posting.remote_id} ({posting.remote_number})" if posting.remote_id else "-"
        books = f"; the books: {gone[posting.id]}" if posting.id in gone else ""
        record_decision(session, posting, REPOST, f"reposted: was {posting.state}, remote {old}, tag {posting.tag}"
                        + books)
        posting.generation = (posting.generation or 0) + 1
        posting.remote_id = posting.remote_number = posting.remote_version = None
        posting.posted_at = None
        posting.attempt_count = 0
        posting.error_code = None
        posting.next_attempt_at = None
        posting.updated_at = now
        if posting.depends_on_id in credits:
            if posting.state not in REPOSTABLE:  # the ledger had it as posted; the books have not
                posting.state = PostingState.REMOVED.value
            posting.reason = "reposted by an operator; sent once its credit is in the books again"
        else:
            posting.state = PostingState.PENDING.value
            posting.reason = "reposted by an operator: a new document with a tag of its own"
    session.commit()
    return chosen
