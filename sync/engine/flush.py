"""One tenant's flush: claim due postings, map them, post them in batches, record every answer.

Only one flush runs per tenant at a time (a Redis lock), so a tenant's budget is spent by one sender
and its parties are resolved once. A flush loops until nothing is due or its time budget is spent; it
never sleeps on a retry: a posting that must wait gets a ``next_attempt_at`` and the task that runs
this schedules the next flush for then.

Exactly once: a posting whose earlier outcome is unknown (``unknown`` state, or a lease that expired
with the posting in flight) is looked up by its tag before anything is sent; found means adopted. A
posting is only ever sent with the idempotency key derived from its own id, payload hash and generation
(bumped by an operator re-run, see sync.engine.generations).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.errors import ConfigError
from config.tenants import TenantConfig, TenantsFile
from connectors.auth import ConnectionBroken
from connectors.errors import Action, Classification
from connectors.protocol import CREDIT_LOOKUP, CallFailed, OutgoingDocument, PostOutcome, RemoteDocument, TenantClient
from mapping.case import RefundCase
from mapping.entries import DocumentRole
from mapping.errors import MappingError
from mapping.hashing import idempotency_key
from mapping.placeholders import CREDIT_ID, ORIGINAL_ID, PARTY_ID, bind
from mapping.plan import CasePlan, PlannedDocument, plan_case
from sync.engine import amend, pacing
from sync.engine.claims import Claimed, claim, next_due_at
from sync.engine.decide import RetryPolicy, Transition, after_error, after_lookup, after_post
from sync.engine.generations import awaits_credit, repost_number
from sync.engine.parties import PartyCache
from sync.intake import posting_id
from sync.ledger.models import Attempt, CaseRevision, Posting
from sync.ledger.states import PostingState
from sync.ledger.token_store import TokenKeyMissing
from sync.logs import get_logger

log = get_logger("refundsync.engine")


@dataclass
class EngineDeps:
    """Everything a flush needs from outside; the worker builds one, tests build their own."""

    sessions: sessionmaker[Session]
    tenants: Callable[[], TenantsFile]
    client_for: Callable[[TenantConfig], TenantClient]
    redis: Redis
    owner: str
    clock: Callable[[], datetime]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    lease_seconds: float = 300.0
    time_budget_seconds: float = 120.0
    minute_seconds: float = 60.0  # a provider minute (REFUNDSYNC_LIMIT_MINUTE_SECONDS), for pacing
    parties: PartyCache = field(default_factory=PartyCache)
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class FlushReport:
    tenant: str
    locked_out: bool = False
    claimed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    next_due: datetime | None = None

    def count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


@dataclass
class _Work:
    """One claimed posting on its way through a batch."""

    posting: Posting
    lookup_first: bool
    plan: CasePlan | None = None
    document: PlannedDocument | None = None
    outgoing: OutgoingDocument | None = None


def flush_tenant(deps: EngineDeps, tenant: str) -> FlushReport:
    report = FlushReport(tenant)
    lock = deps.redis.lock(f"refundsync:flush:{tenant}", timeout=deps.lease_seconds, blocking=False)
    if not lock.acquire(blocking=False):
        report.locked_out = True
        return report
    started = deps.clock()
    try:
        config = _tenant_config(deps, tenant)
        client = deps.client_for(config) if config is not None else None
        batch_size = _batch_size(config)
        paced = pacing.remaining(deps.redis, tenant)  # a partial batch went out less than a pace ago
        while not paced and deps.clock() - started < timedelta(seconds=deps.time_budget_seconds):
            with deps.sessions() as session:
                claimed = claim(session, tenant, deps.owner, now=deps.clock(), lease_seconds=deps.lease_seconds,
                                limit=batch_size)
            if not claimed:
                break
            report.claimed += len(claimed)
            _process(deps, tenant, config, client, claimed, report)
            if len(claimed) < batch_size and config is not None:  # drained: let the next cases gather
                paced = pacing.pace_seconds(config.provider.value, config.effective_limits, deps.minute_seconds)
                pacing.hold(deps.redis, tenant, paced)
    finally:
        lock.release()
    with deps.sessions() as session:
        report.next_due = next_due_at(session, tenant, deps.clock())
    if paced and report.next_due is not None:
        report.next_due = max(report.next_due, deps.clock() + timedelta(seconds=paced))
    log.info("flush done", tenant=tenant, claimed=report.claimed, **report.counts)
    return report


def _tenant_config(deps: EngineDeps, tenant: str) -> TenantConfig | None:
    try:
        return deps.tenants().get(tenant)
    except ConfigError:
        return None


def _batch_size(config: TenantConfig | None) -> int:
    if config is None:
        return 100
    return 50 if config.provider.value == "xero" else 30


# --- one batch ------------------------------------------------------------------------------------


def _process(deps: EngineDeps, tenant: str, config: TenantConfig | None, client: TenantClient | None,
             claimed: list[Claimed], report: FlushReport) -> None:
    with deps.sessions() as session:
        postings = {p.id: p for p in session.scalars(select(Posting).where(
            Posting.id.in_([c.posting_id for c in claimed])))}
        revisions = {r.id: r for r in session.scalars(select(CaseRevision).where(
            CaseRevision.id.in_({p.case_revision_id for p in postings.values()})))}
        works = [_Work(postings[c.posting_id], c.lookup_first) for c in claimed]
        if config is None or client is None:
            reason = (f"tenant {tenant} is not in the tenants file; add it (see config/tenants.example.yaml) and "
                      "run `refundsync retry --failed`")
            for work in works:
                _finish(session, work.posting, Transition(PostingState.FAILED, "failed", reason, "UNKNOWN_TENANT"),
                        deps, report, operation="map")
            session.commit()
            return
        plans: dict[tuple[int, int], CasePlan | MappingError] = {}
        for work in works:
            _plan(work, revisions[work.posting.case_revision_id], config, plans, deps, session, report)
        session.commit()

        ready = [w for w in works if w.document is not None]
        sent: set[str] = set()
        try:
            ready = amend.settle(session, deps, config, client, ready, report)  # revision >= 2: sync/engine/amend.py
            ready = _look_up(session, deps, client, ready, report)
            ready = _bind(session, deps, client, ready, report)
            session.commit()
            if ready:
                sent = {w.posting.id for w in ready}
                outcomes = _send(client, ready)
                for work in ready:
                    _apply(session, deps, work, outcomes[work.posting.id], report)
        except (ConnectionBroken, TokenKeyMissing) as exc:
            reason = exc.reason if isinstance(exc, ConnectionBroken) else str(exc)
            for work in ready:
                if work.posting.state == PostingState.IN_FLIGHT.value:
                    _finish(session, work.posting, Transition(PostingState.WAITING_RECONNECT, "waiting", reason,
                                                               "RECONNECT"), deps, report, operation="auth")
        except BaseException:
            # Anything else (a bug, the task's time limit): hand the claims back at once rather than leave
            # them to their lease. What was handed to the connector may be in the books: look it up first.
            session.rollback()
            _release(session, works, sent, deps)
            raise
        session.commit()


def _release(session: Session, works: list[_Work], sent: set[str], deps: EngineDeps) -> None:
    now = deps.clock()
    for work in works:
        posting = session.get(Posting, work.posting.id)
        if posting is None or posting.state != PostingState.IN_FLIGHT.value:
            continue
        posting.state = (PostingState.UNKNOWN if posting.id in sent else PostingState.PENDING).value
        posting.lease_owner = None
        posting.lease_expires_at = None
        posting.next_attempt_at = now + timedelta(seconds=deps.policy.base_seconds)
        posting.updated_at = now
    session.commit()


def _plan(work: _Work, revision: CaseRevision, config: TenantConfig,
          plans: dict[tuple[int, int], CasePlan | MappingError], deps: EngineDeps, session: Session,
          report: FlushReport) -> None:
    repost = repost_number(session, work.posting)  # a reposted document has a tag of its own (~g<n>)
    if (revision.id, repost) not in plans:
        try:
            plans[revision.id, repost] = plan_case(RefundCase.model_validate_json(revision.payload), config, repost)
        except MappingError as exc:
            plans[revision.id, repost] = exc
    plan = plans[revision.id, repost]
    if isinstance(plan, MappingError):
        _finish(session, work.posting, Transition(PostingState.FAILED, "failed", plan.reason, plan.code.value),
                deps, report, operation="map")
        return
    document = next((d for d in plan.documents
                     if d.party_key == work.posting.party_key and d.role.value == work.posting.role), None)
    if document is None:
        reason = (f"the case no longer maps to a {work.posting.role} document for {work.posting.party_name} "
                  "(the tenant's mapping changed); `refundsync skip` or `refundsync repost` it")
        _finish(session, work.posting, Transition(PostingState.FAILED, "failed", reason, "PLAN_CHANGED"),
                deps, report, operation="map")
        return
    posting = work.posting
    posting.document_type = document.type
    posting.tag = document.tag
    posting.payload_hash = document.payload_hash
    # generation 0 keeps the key it always had; an operator re-run sends one the provider has not cached
    posting.idempotency_key = idempotency_key(posting.id, document.payload_hash, config.provider, posting.generation)
    work.plan, work.document = plan, document


def _look_up(session: Session, deps: EngineDeps, client: TenantClient, works: list[_Work],
             report: FlushReport) -> list[_Work]:
    """Before re-sending anything whose outcome is unknown: is it already in the books?"""
    remaining = []
    for work in works:
        document = work.document
        assert document is not None
        if not work.lookup_first:
            remaining.append(work)
            continue
        try:
            found = _find(session, client, work.posting, document)
        except CallFailed as exc:
            _finish(session, work.posting, _still_unknown(exc.classification, work.posting, deps), deps, report,
                    operation="lookup", error=exc)
            continue
        adopted = after_lookup(found)
        _record_attempt(session, work.posting, deps, "lookup", f"find {document.type} by {document.lookup_field}"
                        f"={document.tag}", outcome="adopted" if adopted else "not found")
        if adopted is not None:
            _finish(session, work.posting, adopted, deps, report, operation=None)
            _follow_up(session, work, deps)
        else:
            remaining.append(work)
    return remaining


def _find(session: Session, client: TenantClient, posting: Posting, document: PlannedDocument
          ) -> list[RemoteDocument]:
    if document.lookup_field and document.tag:
        session.commit()  # never hold a ledger transaction (SQLite: the write lock) across a network call
        return client.find_by_tag(document.type, document.lookup_field, document.tag)
    credit = session.get(Posting, posting.depends_on_id) if posting.depends_on_id else None
    if credit is None or not credit.remote_id:
        return []
    session.commit()
    return client.find_by_tag(document.type, CREDIT_LOOKUP, credit.remote_id)


def _still_unknown(classification: Classification, posting: Posting, deps: EngineDeps) -> Transition:
    """A lookup that failed: the outcome stays unknown; never send blind."""
    t = after_error(classification, posting.attempt_count + 1, deps.policy, deps.rng)
    if t.state is PostingState.PENDING:
        return Transition(PostingState.UNKNOWN, "retry", t.reason, t.error_code, retry_in=t.retry_in)
    return t


def _bind(session: Session, deps: EngineDeps, client: TenantClient, works: list[_Work],
          report: FlushReport) -> list[_Work]:
    """Fill in party, credit and original ids; what cannot be bound is failed with the reason."""
    provider_name = "QuickBooks" if client.provider == "quickbooks" else "Xero"
    ready = []
    for work in works:
        plan, document = work.plan, work.document
        assert plan is not None and document is not None
        values: dict[str, str] = {}
        try:
            if PARTY_ID in document.placeholders:
                party_plan = next(p for p in plan.parties if p.key == document.party_key)
                session.commit()  # no ledger transaction across network calls
                values[PARTY_ID] = deps.parties.resolve(client, party_plan, provider_name).id
            if CREDIT_ID in document.placeholders:
                credit = session.get(Posting, work.posting.depends_on_id) if work.posting.depends_on_id else None
                if credit is None or not credit.remote_id:
                    raise _Unpostable("CREDIT_NOT_POSTED", "the credit this document settles is not in the books "
                                      "(it was removed or unposted); `refundsync repost` the case")
                values[CREDIT_ID] = credit.remote_id
            if ORIGINAL_ID in document.placeholders and plan.original is not None:
                session.commit()
                original = client.outstanding(plan.original.type, plan.original.lookup_field, plan.original.number)
                if original is None:
                    raise _Unpostable("ORIGINAL_NOT_FOUND",
                                      f"the original {plan.original.type.lower()} {plan.original.number} is not in "
                                      f"{provider_name}; correct the case's original_document or remove it")
                if original.balance < document.amount:
                    raise _Unpostable(
                        "OVER_BALANCE",
                        f"the credit ({document.amount} {document.currency}) is larger than what is still owed on "
                        f"{plan.original.number} ({original.balance} {original.currency or document.currency}); "
                        "it was not applied. `refundsync skip` this application or correct the case")
                values[ORIGINAL_ID] = original.remote_id
        except MappingError as exc:
            _finish(session, work.posting, Transition(PostingState.FAILED, "failed", exc.reason, exc.code.value),
                    deps, report, operation="resolve")
            continue
        except _Unpostable as exc:
            _finish(session, work.posting, Transition(PostingState.FAILED, "failed", exc.reason, exc.code),
                    deps, report, operation="resolve")
            continue
        except CallFailed as exc:
            transition = after_error(exc.classification, work.posting.attempt_count + 1, deps.policy, deps.rng)
            if transition.state is PostingState.UNKNOWN:  # a read cannot have created anything
                transition = Transition(PostingState.PENDING, "retry", transition.reason, transition.error_code,
                                        retry_in=deps.policy.base_seconds)
            _finish(session, work.posting, transition, deps, report, operation="resolve", error=exc)
            continue
        work.outgoing = OutgoingDocument(
            ref=work.posting.id, type=document.type, path=bind(document.path, values),
            payload=bind(document.payload, values), tag=document.tag, lookup_field=document.lookup_field,
            idempotency_key=work.posting.idempotency_key or "",
        )
        ready.append(work)
    return ready


class _Unpostable(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _send(client: TenantClient, works: list[_Work]) -> dict[str, PostOutcome]:
    documents = [w.outgoing for w in works if w.outgoing is not None]
    outcomes = {o.ref: o for o in client.post(documents)}
    missing = [d.ref for d in documents if d.ref not in outcomes]
    for ref in missing:  # a connector that lost track of a document: its fate is unknown
        outcomes[ref] = PostOutcome(ref, None, classification=Classification(
            Action.UNCERTAIN, "engine.no_outcome", "the connector returned no outcome for this document"))
    return outcomes


def _apply(session: Session, deps: EngineDeps, work: _Work, outcome: PostOutcome, report: FlushReport) -> None:
    posting = work.posting
    transition = after_post(outcome, posting.attempt_count + 1, deps.policy, deps.rng)
    _record_attempt(session, posting, deps, "create", outcome.request_summary, outcome=transition.attempt_outcome,
                    outcome_obj=outcome)
    posting.attempt_count += 1
    _finish(session, posting, transition, deps, report, operation=None)
    if transition.state is PostingState.POSTED:
        _follow_up(session, work, deps)


def _follow_up(session: Session, work: _Work, deps: EngineDeps) -> None:
    """A posted credit brings its follow-up (refund or application) into being, as its own posting."""
    plan, document, posting = work.plan, work.document, work.posting
    if plan is None or document is None or document.role is not DocumentRole.CREDIT:
        return
    for follow in plan.documents:
        if follow.depends_on is DocumentRole.CREDIT and follow.party_key == document.party_key:
            follow_id = posting_id(posting.tenant, posting.case_id, plan.revision, follow.role.value,
                                   follow.party_key)
            existing = session.get(Posting, follow_id)
            if existing is not None and awaits_credit(existing):  # reposted with its credit: due now
                existing.state = PostingState.PENDING.value
                existing.next_attempt_at = None
                existing.updated_at = deps.clock()
            if existing is None:
                now = deps.clock()
                session.add(Posting(
                    id=follow_id, case_revision_id=posting.case_revision_id, case_id=posting.case_id,
                    tenant=posting.tenant, role=follow.role.value, party_key=follow.party_key,
                    party_name=posting.party_name, state=PostingState.PENDING.value, document_type=follow.type,
                    tag=follow.tag, depends_on_id=posting.id, attempt_count=0, created_at=now, updated_at=now))


# --- ledger writes --------------------------------------------------------------------------------


def _finish(session: Session, posting: Posting, transition: Transition, deps: EngineDeps, report: FlushReport, *,
            operation: str | None, error: CallFailed | None = None) -> None:
    now = deps.clock()
    if operation is not None:
        _record_attempt(session, posting, deps, operation, None, outcome=transition.attempt_outcome, error=error,
                        reason=transition.reason)
    log.info("posting " + transition.state.value, case_id=posting.case_id, tenant=posting.tenant,
             posting_id=posting.id, role=posting.role, outcome=transition.attempt_outcome, code=transition.error_code)
    posting.state = transition.state.value
    posting.reason = transition.reason
    posting.error_code = transition.error_code
    posting.lease_owner = None
    posting.lease_expires_at = None
    posting.updated_at = now
    posting.next_attempt_at = now + timedelta(seconds=transition.retry_in) if transition.retry_in is not None else None
    if transition.remote is not None:
        posting.remote_id = transition.remote.remote_id
        posting.remote_number = transition.remote.number
        posting.remote_version = transition.remote.version
        posting.posted_at = now
    report.count(transition.attempt_outcome)


def _record_attempt(session: Session, posting: Posting, deps: EngineDeps, operation: str, summary: str | None, *,
                    outcome: str, outcome_obj: PostOutcome | None = None, error: CallFailed | None = None,
                    reason: str | None = None) -> None:
    now = deps.clock()
    provider_error = outcome_obj.error if outcome_obj else (error.error if error else None)
    classification = outcome_obj.classification if outcome_obj else (error.classification if error else None)
    session.add(Attempt(
        posting_id=posting.id, started_at=now, finished_at=now, operation=operation,
        request_summary=summary,
        http_status=(outcome_obj.http_status if outcome_obj else None) or (provider_error.status if provider_error
                                                                            else None),
        provider_code=provider_error.code if provider_error else None,
        provider_message=_message(provider_error, reason),
        classification=classification.action.value if classification else ("ok" if outcome in {"created", "adopted"}
                                                                            else None),
        outcome=outcome,
    ))


def _message(error: Any, reason: str | None) -> str | None:
    if error is not None:
        return json.dumps({"message": error.message, "detail": error.detail}, ensure_ascii=False)[:4000]
    return reason
