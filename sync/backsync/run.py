"""One tenant's back-sync (change feed since its cursor) and reconcile (a full check of a date range).

Back-sync pulls the provider's changes since the tenant's cursor, ``BATCH`` documents at a time (the
connectors page: Xero 100 per request, QBO CDC 1,000 per answer), matches each batch to postings by
remote id and by tag, records every verdict and commits before pulling the next batch, so memory holds
one batch whatever the number of documents. The cursor is advanced only at the end, after every batch
is recorded: a run that dies half way is simply done again from the old cursor (recording is idempotent).
The new cursor is the moment the pull *started*, minus ``OVERLAP``: a change made while we paged is seen
again next time rather than skipped.

A change feed cannot report everything: QuickBooks' CDC forgets deletions after 30 days. Reconcile reads
every posting of a date range by its remote id; one that is gone without any change event saying so is
``missing``. Both take the tenant's single-flight lock (a Redis lock shared with the beat task), go
through the same fleet-wide limiter as posting (the connector's), and never hold a ledger transaction
across a network call. Neither ever writes to the books: drift is reported and the operator decides
(`repost`, `link`, `skip`, `unpost`); only a tenant that opted in (``backsync.auto_repost_removed``) has
removed entries put back in line to post.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.tenants import Provider, TenantConfig
from connectors.auth import ConnectionBroken
from connectors.protocol import CallFailed, RemoteChange, RemoteDocument, RemoteParty, RemoteStatus, TenantClient
from mapping.case import CaseKind, Party, RefundCase
from mapping.errors import MappingError
from mapping.parties import PartyDirectory
from sync.backsync.compare import Difference, Duplicate, Tolerances, Verdict, bears_tag, compare
from sync.backsync.expected import expected_for
from sync.engine.flush import EngineDeps
from sync.ledger.models import Attempt, BacksyncCursor, CaseRevision, Posting, ReconciliationRun
from sync.ledger.states import PostingState
from sync.ledger.token_store import TokenKeyMissing
from sync.logs import get_logger

log = get_logger("refundsync.backsync")

#: Postings whose document is (or was) in the books and so is compared.
CHECKED = tuple(s.value for s in (PostingState.POSTED, PostingState.CONFIRMED, PostingState.MISMATCH,
                                  PostingState.DUPLICATE, PostingState.MISSING, PostingState.REMOVED))
#: States a posting with a recorded duplicate can be in (duplicate, or a worse state that outranks it).
HOLDS_DUPLICATES = tuple(s.value for s in (PostingState.DUPLICATE, PostingState.REMOVED, PostingState.MISSING))
BATCH = 500
RECONCILE_PAGE = 200
OVERLAP = timedelta(minutes=5)
LOCK_KEY = "refundsync:backsync:{tenant}"
T = TypeVar("T")


@dataclass
class RunResult:
    """What one run did, for the CLI, the task's return value and the logs."""

    tenant: str
    kind: str
    run_id: int | None = None
    locked_out: bool = False
    documents_seen: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    reposted: list[str] = field(default_factory=list)
    cursor_before: str | None = None
    cursor_after: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "kind": self.kind, "run_id": self.run_id, "locked_out": self.locked_out,
                "documents_seen": self.documents_seen, "counts": dict(sorted(self.counts.items())),
                "reposted": len(self.reposted), "cursor_before": self.cursor_before,
                "cursor_after": self.cursor_after, "error": self.error}


class BacksyncFailed(Exception):
    """The provider could not be read (already recorded on the run); ``reason`` says what to do."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- entry points -----------------------------------------------------------------------------------


def backsync_tenant(deps: EngineDeps, tenant: str, since: datetime | None = None) -> RunResult:
    """Pull the tenant's changes since its cursor (or ``since``) and record a verdict for each posting."""
    result = RunResult(tenant, "backsync")
    with _single_flight(deps, tenant, result) as acquired:
        if acquired:
            _guarded(deps, result, lambda checker, run: _backsync(deps, checker, run, since))
    return result


def reconcile_tenant(deps: EngineDeps, tenant: str, first: date, last: date) -> RunResult:
    """Read every posting posted from ``first`` to ``last`` (inclusive, UTC days) back by its remote id."""
    result = RunResult(tenant, "reconcile")
    with _single_flight(deps, tenant, result) as acquired:
        if acquired:
            start = datetime.combine(first, time.min, tzinfo=UTC)
            end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
            _guarded(deps, result, lambda checker, run: _reconcile(deps, checker, run, start, end),
                     range_=(start, end))
    return result


class _single_flight:
    """The tenant's back-sync lock; a run that finds it taken is reported as locked out, not queued."""

    def __init__(self, deps: EngineDeps, tenant: str, result: RunResult):
        self.lock = deps.redis.lock(LOCK_KEY.format(tenant=tenant), timeout=deps.lease_seconds, blocking=False)
        self.result = result
        self.acquired = False

    def __enter__(self) -> bool:
        self.acquired = bool(self.lock.acquire(blocking=False))
        self.result.locked_out = not self.acquired
        return self.acquired

    def __exit__(self, *exc: object) -> None:
        if self.acquired:
            self.lock.release()


def _guarded(deps: EngineDeps, result: RunResult, body: Any,
             range_: tuple[datetime, datetime] | None = None) -> None:
    config = deps.tenants().get(result.tenant)  # ConfigError: an unknown tenant is the caller's mistake
    client = deps.client_for(config)
    with deps.sessions() as session:
        run = ReconciliationRun(tenant=result.tenant, kind=result.kind, started_at=deps.clock(),
                                range_from=range_[0] if range_ else None, range_to=range_[1] if range_ else None)
        session.add(run)
        session.commit()
        result.run_id = run.id
    checker = _Checker(deps, config, client, result)
    try:
        body(checker, run)
    except (CallFailed, ConnectionBroken, TokenKeyMissing) as exc:
        reason = (exc.classification.reason if isinstance(exc, CallFailed)
                  else exc.reason if isinstance(exc, ConnectionBroken) else str(exc))
        result.error = reason
        _finish_run(deps, result, "failed")
        log.warning("back-sync failed", tenant=result.tenant, kind=result.kind, reason=reason)
        raise BacksyncFailed(reason) from None
    except BaseException:
        result.error = "interrupted (see the worker log)"
        _finish_run(deps, result, "failed")
        raise
    _finish_run(deps, result, "ok")
    log.info("back-sync done", tenant=result.tenant, kind=result.kind, documents=result.documents_seen,
             **dict(result.counts))


def _finish_run(deps: EngineDeps, result: RunResult, outcome: str) -> None:
    with deps.sessions() as session:
        run = session.get(ReconciliationRun, result.run_id)
        assert run is not None
        run.finished_at = deps.clock()
        run.outcome = outcome
        run.error = result.error
        run.documents_seen = result.documents_seen
        run.counts = json.dumps(dict(sorted(result.counts.items())))
        run.cursor_before, run.cursor_after = result.cursor_before, result.cursor_after
        if result.kind == "backsync" and outcome == "ok" and result.cursor_after:
            cursor = session.get(BacksyncCursor, result.tenant)
            if cursor is None:
                session.add(BacksyncCursor(tenant=result.tenant, cursor=result.cursor_after, updated_at=deps.clock()))
            else:
                cursor.cursor = result.cursor_after
                cursor.updated_at = deps.clock()
        session.commit()


# --- back-sync --------------------------------------------------------------------------------------


def _backsync(deps: EngineDeps, checker: _Checker, run: ReconciliationRun, since: datetime | None) -> None:
    result = checker.result
    with deps.sessions() as session:
        saved = session.get(BacksyncCursor, result.tenant)
        result.cursor_before = saved.cursor if saved is not None else None
        types = sorted(str(t) for (t,) in session.execute(
            select(Posting.document_type).where(Posting.tenant == result.tenant, Posting.state.in_(CHECKED),
                                                Posting.document_type.is_not(None)).distinct()))
        first_posted = session.scalar(select(func.min(Posting.posted_at)).where(
            Posting.tenant == result.tenant, Posting.state.in_(CHECKED)))
    pulled_at = deps.clock()
    start = since or (datetime.fromisoformat(result.cursor_before) if result.cursor_before else None) or (
        first_posted - OVERLAP if first_posted is not None else None)
    if types and start is not None:
        with deps.sessions() as session:
            stored = session.get(ReconciliationRun, result.run_id)
            assert stored is not None
            stored.range_from = start
            session.commit()
        checker.load_parties()
        for batch in _batched(checker.client.changes(types, start), BATCH):
            result.documents_seen += len(batch)
            with deps.sessions() as session:
                checker.apply_changes(session, batch)
                session.commit()
        # A posting recorded as posted before this window whose document the feed never showed (adopted
        # by a tag look-up long after it was created, or posted while an earlier run was pulling) is read
        # by its id instead: no posting stays unchecked because its creation fell before a cursor.
        _read_by_id(deps, checker, [Posting.state == PostingState.POSTED.value, Posting.posted_at < start])
    result.cursor_after = (pulled_at - OVERLAP).isoformat()


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


# --- reconcile --------------------------------------------------------------------------------------


def _reconcile(deps: EngineDeps, checker: _Checker, run: ReconciliationRun, start: datetime, end: datetime
               ) -> None:
    checker.load_parties()
    _read_by_id(deps, checker, [Posting.state.in_(CHECKED), Posting.posted_at >= start, Posting.posted_at < end])


def _read_by_id(deps: EngineDeps, checker: _Checker, conditions: list[Any]) -> None:
    """Every posting of the tenant matching ``conditions``, read back by its remote id, a page at a time."""
    result = checker.result
    after = ""
    while True:
        with deps.sessions() as session:
            page = session.execute(
                select(Posting.id, Posting.document_type, Posting.remote_id)
                .where(Posting.tenant == result.tenant, Posting.id > after, Posting.remote_id.is_not(None),
                       *conditions)
                .order_by(Posting.id).limit(RECONCILE_PAGE)).all()
        if not page:
            return
        after = page[-1].id
        found: dict[str, RemoteDocument | None] = {}
        for row in page:  # network: no ledger transaction is open
            found[row.id] = checker.client.get(row.document_type or "", row.remote_id or "")
        result.documents_seen += sum(1 for d in found.values() if d is not None)
        with deps.sessions() as session:
            checker.apply_reads(session, found)
            session.commit()


# --- matching and recording -------------------------------------------------------------------------


class _Checker:
    """Expectations, the tenant's party directory and the ledger writes shared by back-sync and reconcile."""

    def __init__(self, deps: EngineDeps, config: TenantConfig, client: TenantClient, result: RunResult):
        self.deps = deps
        self.config = config
        self.client = client
        self.result = result
        self.tolerances = Tolerances(config.backsync.amount_tolerance, config.backsync.date_tolerance_days)
        self.rules = tuple(config.mapping.parties.match)
        self.directories: dict[str, PartyDirectory[RemoteParty]] = {}

    # -- parties: compared by the id the tenant's matching rules resolve the case party to ------------

    def _entity(self, kind: CaseKind) -> str:
        if self.config.provider is Provider.XERO:
            return "Contact"
        return "Vendor" if kind is CaseKind.VENDOR_REFUND else "Customer"

    def load_parties(self) -> None:
        """One listing per entity per run (network; called before any ledger session is opened)."""
        entities = {"Contact"} if self.config.provider is Provider.XERO else {"Vendor", "Customer"}
        for entity in sorted(entities):
            try:
                self.directories[entity] = PartyDirectory(self.client.list_parties(entity))
            except CallFailed as exc:  # parties then compare by name; the run itself goes on
                log.warning("party list unavailable; parties compared by name", tenant=self.config.name,
                            entity=entity, reason=exc.classification.reason)

    def resolve_party(self, case: RefundCase, party: Party) -> str | None:
        directory = self.directories.get(self._entity(case.kind))
        if directory is None:
            return None
        try:
            found = directory.match(party, self.rules)
        except MappingError:
            return None
        return found.id if found is not None else None

    # -- back-sync: a batch of changes --------------------------------------------------------------

    def apply_changes(self, session: Session, changes: Sequence[RemoteChange]) -> None:
        docs: dict[str, RemoteDocument] = {}
        for change in changes:
            docs[change.document.remote_id] = change.document
        tenant = self.config.name
        tags = sorted({t for d in docs.values() for t in (d.number, d.reference) if t})
        # Selected by remote id or tag alone, tenant and state checked here: given all three, SQLite walks the
        # (tenant, state) index, every posting of the tenant for every batch.
        # FOR UPDATE: an operator command (unpost, repost) changing one meanwhile waits rather than being
        # overwritten (PostgreSQL; SQLite's write transaction already holds the whole file).
        found = list(session.scalars(select(Posting).where(Posting.remote_id.in_(list(docs))).with_for_update()))
        if tags:
            found += session.scalars(select(Posting).where(Posting.tag.in_(tags)).with_for_update())
        touched = {p.id: p for p in found if p.tenant == tenant and p.state in CHECKED}
        holders = select(Posting).where(Posting.tenant == tenant, Posting.state.in_(HOLDS_DUPLICATES),
                                        Posting.drift.contains('"duplicates"'))
        for holder in session.scalars(holders):
            if any(d["remote_id"] in docs for d in _drift(holder).get("duplicates", [])):
                touched[holder.id] = holder
        cases = self._cases(session, {p.case_revision_id for p in touched.values()})
        by_tag: dict[str, list[RemoteDocument]] = {}
        for doc in docs.values():
            for tag in {t for t in (doc.number, doc.reference) if t}:
                by_tag.setdefault(tag, []).append(doc)
        for posting in sorted(touched.values(), key=lambda p: p.id):
            case = cases.get(posting.case_revision_id)
            if case is None:
                continue
            self._record(session, posting, self._verdict_from_changes(posting, case, docs, by_tag))

    def _verdict_from_changes(self, posting: Posting, case: RefundCase, docs: dict[str, RemoteDocument],
                              by_tag: dict[str, list[RemoteDocument]]) -> Verdict:
        previous = _drift(posting)
        duplicates = {d["remote_id"]: Duplicate(**d) for d in previous.get("duplicates", [])}
        for remote_id in list(duplicates):
            changed = docs.get(remote_id)
            if changed is not None and not self._duplicates(posting, changed):
                del duplicates[remote_id]  # deleted, voided, or no longer bearing our tag
        for doc in by_tag.get(posting.tag or "", ()):
            if self._duplicates(posting, doc):
                duplicates[doc.remote_id] = Duplicate.of(doc)
        expected = expected_for(posting, case, self.resolve_party)
        own = docs.get(posting.remote_id or "")
        if own is not None:
            return compare(expected, own, self.tolerances, list(duplicates.values()))
        # Our own document did not change: keep what was known of it, with the duplicates as they are now.
        known = PostingState(previous["base"]) if previous.get("base") else PostingState(posting.state)
        if known is PostingState.DUPLICATE:
            known = PostingState.CONFIRMED
        differences = tuple(Difference(**d) for d in previous.get("differences", []))
        state = PostingState.DUPLICATE if duplicates and known in (
            PostingState.CONFIRMED, PostingState.MISMATCH, PostingState.POSTED) else known
        return Verdict(state, differences, tuple(duplicates.values()), known)

    @staticmethod
    def _duplicates(posting: Posting, doc: RemoteDocument) -> bool:
        """Another active document of the same type bearing the posting's tag."""
        return (doc.remote_id != posting.remote_id and doc.type == posting.document_type
                and bears_tag(doc, posting.tag) and doc.status is RemoteStatus.ACTIVE)

    # -- reconcile: documents read by id --------------------------------------------------------------

    def apply_reads(self, session: Session, found: dict[str, RemoteDocument | None]) -> None:
        postings = list(session.scalars(select(Posting).where(Posting.id.in_(list(found)),
                                                              Posting.state.in_(CHECKED)).with_for_update()))
        cases = self._cases(session, {p.case_revision_id for p in postings})
        for posting in sorted(postings, key=lambda p: p.id):
            case = cases.get(posting.case_revision_id)
            if case is None:
                continue
            previous = _drift(posting)
            duplicates = [Duplicate(**d) for d in previous.get("duplicates", [])]
            document = found[posting.id]
            if document is None and posting.state == PostingState.REMOVED.value:
                document = _removed_stub(posting)  # a change event already said it went: keep "removed"
            expected = expected_for(posting, case, self.resolve_party)
            self._record(session, posting, compare(expected, document, self.tolerances, duplicates))

    # -- ledger writes ---------------------------------------------------------------------------------

    def _cases(self, session: Session, revision_ids: set[int]) -> dict[int, RefundCase]:
        cases: dict[int, RefundCase] = {}
        if not revision_ids:
            return cases
        for rev_id, payload in session.execute(select(CaseRevision.id, CaseRevision.payload).where(
                CaseRevision.id.in_(list(revision_ids)))):
            try:
                cases[rev_id] = RefundCase.model_validate_json(payload)
            except ValueError:  # pragma: no cover - only valid cases are ever stored
                log.warning("stored case revision does not parse; not compared", case_revision_id=rev_id)
        return cases

    def _record(self, session: Session, posting: Posting, verdict: Verdict) -> None:
        now = self.deps.clock()
        before = posting.state
        drift = verdict.drift()
        posting.state = verdict.state.value
        posting.drift = json.dumps(drift, ensure_ascii=False, sort_keys=True) if drift else None
        posting.checked_at = now
        if verdict.state is PostingState.CONFIRMED:
            posting.confirmed_at = posting.confirmed_at or now
            if posting.error_code == "DRIFT":
                posting.reason = posting.error_code = None
        elif verdict.state is not PostingState.POSTED:
            posting.reason = f"back-sync: {verdict.state.value}: {verdict.summary()}"
            posting.error_code = "DRIFT"
        self.result.counts[verdict.state.value] += 1
        if before != posting.state and verdict.state is not PostingState.CONFIRMED:
            session.add(Attempt(posting_id=posting.id, started_at=now, finished_at=now, operation="backsync",
                                request_summary=f"{self.result.kind} run {self.result.run_id}",
                                provider_message=verdict.summary()[:4000], classification=None,
                                outcome=verdict.state.value))
        if (verdict.state is PostingState.REMOVED and before != PostingState.REMOVED.value
                and self.config.backsync.auto_repost_removed):
            self._repost(session, posting, verdict, now)

    def _repost(self, session: Session, posting: Posting, verdict: Verdict, now: datetime) -> None:
        """The tenant opted in: an entry removed in the books goes back in line to post.

        Recorded exactly as an operator's `refundsync repost` is (an ``operator`` attempt with outcome
        ``repost``, generation bumped): the engine derives a fresh idempotency key from the generation and
        counts those decisions for the new document's own tag, so it never collides with the dead one.
        """
        why = (f"reposted automatically by back-sync (backsync.auto_repost_removed): was {posting.state}, remote "
               f"{posting.document_type} {posting.remote_id} ({posting.remote_number}), tag {posting.tag}; the "
               f"books: {verdict.summary()}")
        session.add(Attempt(posting_id=posting.id, started_at=now, finished_at=now, operation="operator",
                            request_summary="repost", provider_message=why, classification=None, outcome="repost"))
        posting.generation = (posting.generation or 0) + 1
        posting.remote_id = posting.remote_number = posting.remote_version = None
        posting.posted_at = None
        posting.attempt_count = 0
        posting.state = PostingState.PENDING.value
        posting.next_attempt_at = now
        posting.reason = "reposted automatically: removed in the books (backsync.auto_repost_removed)"
        posting.error_code = None
        self.result.reposted.append(posting.id)


def _drift(posting: Posting) -> dict[str, Any]:
    if not posting.drift:
        return {}
    try:
        data = json.loads(posting.drift)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _removed_stub(posting: Posting) -> RemoteDocument:
    return RemoteDocument(posting.document_type or "", posting.remote_id or "", None, None, None, None, None, None,
                          None, RemoteStatus.DELETED, None, None)
