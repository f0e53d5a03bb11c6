"""Amendments: a posting of revision N of a case whose older revision is already in the books.

Without this, revision N's postings would simply be posted as new documents: a second entry in the
books for the same refund. Instead, for each claimed posting of revision N >= 2, before anything is
looked up or sent (see :mod:`sync.engine.amend_rules` for the decision):

* the older revision's posting for the same role and party (its document in the books) is found;
* unchanged content: adopted (no call); the old posting becomes ``superseded``;
* the provider allows an edit: updated in place (old posting ``superseded``, "amended in place by
  revision N"; the new one ``posted`` with the same remote id and the new version/SyncToken);
* otherwise the old document is voided, its follow-ups first (old postings ``voided``), and the new one
  goes on to be posted with "replaces <old number>, voided; case X revision N" in its memo;
* a party revision N no longer names: its documents are voided (follow-ups first); so is a follow-up
  revision N no longer has.

Every provider call is an attempt row (on the posting it acts on), and so is the decision itself
(operation ``amend``), before anything is sent: a posting whose lease expired mid-way re-reads the
document before acting again (an edit already made is recognised by revision N's tag on it), keeps the
decision it took (so a credit note whose allocation was already removed is still replaced, not edited),
and never voids twice (the connectors read before they void, and a voided posting is not voided again).

An older revision's posting that is still unresolved (``unknown``, ``in_flight``, ``waiting_reconnect``)
makes revision N wait for it; and when such an old posting is claimed after revision N arrived, it is only
looked up, never sent: found is adopted (revision N then amends it), not found is ``superseded``.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.tenants import TenantConfig
from connectors.protocol import CallFailed, RemoteDocument, RemoteStatus, TenantClient
from mapping.case import RefundCase
from mapping.entries import DocumentRole
from mapping.errors import MappingError
from mapping.limits import QBO_PRIVATE_NOTE_MAX, XERO_DESCRIPTION_MAX
from mapping.placeholders import PARTY_ID, bind
from mapping.plan import PlannedDocument, plan_or_error
from sync.engine.amend_rules import Amendment, after_reading, before_reading, replacement_note
from sync.engine.decide import Transition, after_error, after_lookup
from sync.ledger.models import Attempt, CaseRevision, Posting
from sync.ledger.states import HAS_REMOTE, PostingState

if TYPE_CHECKING:
    from sync.engine.flush import EngineDeps, FlushReport, _Work

#: An older posting in one of these may yet turn out to be in the books: revision N waits for it.
UNSETTLED = frozenset({PostingState.UNKNOWN.value, PostingState.IN_FLIGHT.value,
                       PostingState.WAITING_RECONNECT.value})
_LIVE = frozenset(s.value for s in HAS_REMOTE)
#: Refusals that mean "this provider will not edit it": void and repost instead. Any other refusal fails
#: the amendment and leaves the old document in the books, so a bad mapping never voids a good entry.
_EDIT_REFUSED = frozenset({"xero.void_settled", "qbo.deposited"})
#: How long revision N waits for an unresolved older posting before looking again.
WAIT_SECONDS = 10.0


@dataclass
class _Older:
    posting: Posting
    revision: int


def settle(session: Session, deps: EngineDeps, config: TenantConfig, client: TenantClient, works: list[_Work],
           report: FlushReport) -> list[_Work]:
    """Amend what can be amended; return the works that go on to be looked up and posted as usual."""
    if not works:
        return works
    # one query for the whole batch: most postings are of a first revision nobody replaced
    replaced = set(session.scalars(select(CaseRevision.id).where(
        CaseRevision.id.in_({w.posting.case_revision_id for w in works}), CaseRevision.superseded_at.is_not(None))))
    go_on = []
    for work in works:
        superseded = work.posting.case_revision_id in replaced
        if work.plan is not None and work.plan.revision < 2 and not superseded:
            go_on.append(work)
            continue
        if _Amender(session, deps, config, client, work, report).run(superseded):
            go_on.append(work)
        session.commit()
    return go_on


class _Amender:
    """One claimed posting, against whatever its case's older revisions put in the books."""

    def __init__(self, session: Session, deps: EngineDeps, config: TenantConfig, client: TenantClient,
                 work: _Work, report: FlushReport):
        from sync.engine import flush as engine  # flush calls this module; imported here to avoid a cycle

        self.engine = engine
        self.session, self.deps, self.config, self.client, self.work, self.report = (
            session, deps, config, client, work, report)
        assert work.plan is not None and work.document is not None
        self.plan, self.document, self.posting = work.plan, work.document, work.posting
        self.revision = work.plan.revision

    # --- the decision -------------------------------------------------------------------------------

    def run(self, superseded: bool) -> bool:
        """``superseded``: the posting's own revision was replaced by a later one (it is an older revision's)."""
        if superseded:
            return self._older_revision_claimed()
        if self.revision < 2:
            return True
        older = self._older()
        if self.document.role is DocumentRole.CREDIT and not self._void_dropped(older):
            return False
        same = [o for o in older if o.posting.role == self.posting.role
                and o.posting.party_key == self.posting.party_key]
        unresolved = [o for o in same if o.posting.state in UNSETTLED]
        if unresolved:
            first = unresolved[0]
            self._give_back(Transition(
                PostingState.PENDING, "retry", f"waiting for revision {first.revision}'s posting "
                f"({first.posting.state}) to be resolved before amending it", "AMEND_WAIT", retry_in=WAIT_SECONDS))
            return False
        known = [o for o in same if o.posting.remote_id
                 and (o.posting.state in _LIVE or o.posting.state == PostingState.VOIDED.value)]
        if not known:
            return True
        old = max(known, key=lambda o: (o.revision, o.posting.updated_at))
        live = old.posting.state in _LIVE
        prior = self._prior_decision()
        decision = before_reading(unchanged=live and prior is None and self._unchanged(old), live=live)
        if decision is Amendment.ADOPT:
            self._adopt(old)
            return False
        follow_ups = self._live_follow_ups(older) if self.document.role is DocumentRole.CREDIT else []
        remote: RemoteDocument | None = None
        if live:
            try:
                remote = self._read(old.posting)
            except CallFailed as exc:
                self._attempt(self.posting, "read", self._what(old.posting, "read"), exc.classification.action.value,
                              exc)
                self._fail_or_retry(exc, f"could not read revision {old.revision}'s {old.posting.document_type}")
                return False
            read = after_reading(self.client.provider, self.posting.role, remote, self.document.tag,
                                 self.document.type, settled=bool(follow_ups))
            seen = ("not in the books" if remote is None else
                    f"{remote.raw.get('Status') or remote.status.value}, number {remote.number}, "
                    f"version {remote.version}, remaining {remote.remaining}")
            self._attempt(self.posting, "read", self._what(old.posting, "read"),
                          "updated" if read is Amendment.UPDATED else "read", note=seen)
            if read is Amendment.UPDATED:
                assert remote is not None
                self._updated(old, remote)
                return False
            decision = prior or read
        assert decision is not None  # not live: REPLACE; live: decided after reading
        if prior is None:
            self._attempt(self.posting, "amend", self._plan_text(decision, old, remote), decision.value,
                          classification=None)
            self.session.commit()
        if decision is Amendment.UPDATE and remote is not None and remote.status is RemoteStatus.ACTIVE:
            return self._update(old, remote, follow_ups)
        return self._replace(old, follow_ups, gone=live and (remote is None or remote.status is not
                                                              RemoteStatus.ACTIVE))

    def _unchanged(self, old: _Older) -> bool:
        """Revision N's document equals the older revision's once both carry the same revision number."""
        revision = self.session.get(CaseRevision, old.posting.case_revision_id)
        if revision is None:
            return False
        relabelled = RefundCase.model_validate_json(revision.payload).model_copy(update={"revision": self.revision})
        planned = plan_or_error(relabelled, self.config)
        if isinstance(planned, MappingError):
            return False
        twin = next((d for d in planned.documents
                     if d.role is self.document.role and d.party_key == self.document.party_key), None)
        return twin is not None and twin.payload_hash == self.document.payload_hash

    # --- the four ways ---------------------------------------------------------------------------------

    def _adopt(self, old: _Older) -> None:
        p = old.posting
        self._attempt(self.posting, "amend", f"no call: revision {self.revision}'s {p.document_type} is the same "
                      f"as revision {old.revision}'s ({p.remote_number or p.remote_id}); kept as it is", "adopted")
        self._supersede(p, f"unchanged in revision {self.revision}: its document carries on as that revision's")
        self.posting.tag = p.tag
        remote = RemoteDocument(p.document_type or self.document.type, p.remote_id or "", p.remote_number, None,
                                None, None, None, None, None, RemoteStatus.ACTIVE, p.remote_version, None)
        self._posted(Transition(PostingState.POSTED, "adopted", f"unchanged from revision {old.revision}",
                                remote=remote))

    def _update(self, old: _Older, remote: RemoteDocument, follow_ups: list[_Older]) -> bool:
        why = f"voided before its credit was amended by revision {self.revision}"
        if not self._void_all(follow_ups, why):
            return False
        payload = self._bound_payload()
        if payload is None:
            return False
        p = old.posting
        summary = (f"update {p.document_type} {p.remote_id} ({p.remote_number} -> {self.document.tag}) "
                   f"version {remote.version}")
        self.session.commit()  # no ledger transaction across a network call
        try:
            updated = self.client.update(p.document_type or self.document.type, p.remote_id or "", remote.version,
                                         payload)
        except CallFailed as exc:
            self._attempt(self.posting, "update", summary, exc.classification.action.value, exc)
            self.posting.attempt_count += 1
            if exc.classification.rule in _EDIT_REFUSED:
                self._attempt(self.posting, "amend", f"{self.client.provider} will not edit it: void and repost",
                              Amendment.REPLACE.value, classification=None)
                return self._replace(old, self._live_follow_ups(self._older()), gone=False)
            self._fail_or_retry(exc, f"could not amend {p.remote_number or p.remote_id} in place")
            return False
        self._attempt(self.posting, "update", summary, "updated")
        self.posting.attempt_count += 1
        self._updated(old, updated)
        return False

    def _updated(self, old: _Older, updated: RemoteDocument) -> None:
        self._supersede(old.posting, f"amended in place by revision {self.revision}")
        self._posted(Transition(PostingState.POSTED, "updated", f"amended in place from revision {old.revision} "
                                f"({old.posting.remote_number} -> {updated.number})", remote=updated))

    def _replace(self, old: _Older, follow_ups: list[_Older], *, gone: bool) -> bool:
        """``gone``: the provider no longer has the old document live (voided or deleted by someone, or by an
        earlier try of ours): nothing to void, the old posting only records it."""
        why = f"voided: replaced by revision {self.revision}"
        if not self._void_all(follow_ups, why):
            return False
        if gone:
            old.posting.state = PostingState.VOIDED.value
            old.posting.reason = f"replaced by revision {self.revision}; it was no longer live in the books"
            old.posting.updated_at = self.deps.clock()
        elif old.posting.state in _LIVE and not self._void(old, why):
            return False
        number = old.posting.remote_number or old.posting.remote_id or "?"
        self.work.document = with_note(self.document, replacement_note(number, self.plan.case_id, self.revision))
        return True  # posted (or, after a lost answer, found by its tag) by the usual path

    # --- older revisions ----------------------------------------------------------------------------------

    def _older(self) -> list[_Older]:
        rows = self.session.execute(
            select(Posting, CaseRevision.revision).join(CaseRevision, Posting.case_revision_id == CaseRevision.id)
            .where(Posting.tenant == self.posting.tenant, Posting.case_id == self.posting.case_id,
                   CaseRevision.revision < self.revision)
            .order_by(CaseRevision.revision, Posting.created_at)).all()
        return [_Older(row[0], row[1]) for row in rows]

    def _live_follow_ups(self, older: list[_Older]) -> list[_Older]:
        return [o for o in older if o.posting.party_key == self.posting.party_key
                and o.posting.role != DocumentRole.CREDIT.value and o.posting.state in _LIVE and o.posting.remote_id]

    def _void_dropped(self, older: list[_Older]) -> bool:
        """Documents revision N no longer asks for are voided, follow-ups first: every document of a party it
        no longer names, and a follow-up its party no longer has (the case stopped paying out, say)."""
        planned = {(d.party_key, d.role.value) for d in self.plan.documents}
        parties = {party.key for party in self.plan.parties}
        dropped = [o for o in older if (o.posting.party_key, o.posting.role) not in planned
                   and o.posting.state in _LIVE and o.posting.remote_id]
        dropped.sort(key=lambda o: o.posting.role == DocumentRole.CREDIT.value)
        return all(self._void(o, f"voided: its party is no longer in revision {self.revision} of the case"
                              if o.posting.party_key not in parties else
                              f"voided: revision {self.revision} of the case no longer asks for it") for o in dropped)

    def _older_revision_claimed(self) -> bool:
        """A posting of a revision already replaced: never sent now. If its outcome is unknown it is looked up
        (found: adopted, and the newer revision amends it); otherwise it is superseded."""
        reason = "a later revision of the case replaced this one before it reached the books"
        if not self.work.lookup_first:
            self._give_back(Transition(PostingState.SUPERSEDED, "superseded", reason))
            return False
        try:
            found = self.engine._find(self.session, self.client, self.posting, self.document)
        except CallFailed as exc:
            self._attempt(self.posting, "lookup", f"find {self.document.type} by {self.document.tag}", "retry", exc)
            self._give_back(self.engine._still_unknown(exc.classification, self.posting, self.deps))
            return False
        adopted = after_lookup(found)
        self._attempt(self.posting, "lookup", f"find {self.document.type} by {self.document.lookup_field}="
                      f"{self.document.tag}", "adopted" if adopted else "not found")
        self._give_back(adopted or Transition(PostingState.SUPERSEDED, "superseded", reason))
        return False

    # --- calls -----------------------------------------------------------------------------------------------

    def _read(self, posting: Posting) -> RemoteDocument | None:
        self.session.commit()
        return self.client.get(posting.document_type or self.document.type, posting.remote_id or "")

    def _void_all(self, olds: list[_Older], why: str) -> bool:
        return all(self._void(o, why) for o in olds)

    def _void(self, old: _Older, why: str) -> bool:
        p = old.posting
        summary = self._what(p, "void")
        self.session.commit()
        try:
            result = self.client.void(p.document_type or "", p.remote_id or "")
        except CallFailed as exc:
            self._attempt(p, "void", summary, exc.classification.action.value, exc)
            self._fail_or_retry(exc, f"could not void {p.document_type} {p.remote_number or p.remote_id} of "
                                f"revision {old.revision}")
            return False
        gone = "deleted" if result.status is RemoteStatus.DELETED else "voided"
        self._attempt(p, "void", summary, gone)
        p.state = PostingState.VOIDED.value
        p.reason = f"{why} ({gone} in {self._provider_name()})"
        p.updated_at = self.deps.clock()
        self.session.commit()
        return True

    def _bound_payload(self) -> dict[str, object] | None:
        values: dict[str, str] = {}
        try:
            if PARTY_ID in self.document.placeholders:
                party_plan = next(p for p in self.plan.parties if p.key == self.document.party_key)
                self.session.commit()
                values[PARTY_ID] = self.deps.parties.resolve(self.client, party_plan, self._provider_name()).id
        except MappingError as exc:
            self._give_back(Transition(PostingState.FAILED, "failed", exc.reason, exc.code.value))
            return None
        except CallFailed as exc:
            self._attempt(self.posting, "resolve", "resolve the party", exc.classification.action.value, exc)
            self._fail_or_retry(exc, "could not resolve the party")
            return None
        bound: dict[str, object] = bind(self.document.payload, values)
        return bound

    # --- ledger writes -----------------------------------------------------------------------------------------

    def _posted(self, transition: Transition) -> None:
        self.engine._finish(self.session, self.posting, transition, self.deps, self.report, operation=None)
        self.engine._follow_up(self.session, self.work, self.deps)

    def _supersede(self, posting: Posting, reason: str) -> None:
        posting.state = PostingState.SUPERSEDED.value
        posting.reason = reason
        posting.updated_at = self.deps.clock()

    def _give_back(self, transition: Transition) -> None:
        self.engine._finish(self.session, self.posting, transition, self.deps, self.report, operation=None)

    def _fail_or_retry(self, exc: CallFailed, what: str) -> None:
        """A call of the amendment did not work: the posting waits (the amendment re-reads the books before it
        acts again, so an unknown outcome needs no look-up by tag) or fails with the reason."""
        t = after_error(exc.classification, self.posting.attempt_count + 1, self.deps.policy, self.deps.rng,
                        code=exc.error.code)
        if t.state is PostingState.UNKNOWN:
            t = Transition(PostingState.PENDING, "retry", t.reason, t.error_code,
                           retry_in=self.deps.policy.base_seconds)
        self._give_back(dataclasses.replace(t, reason=f"{what}: {t.reason}"))

    def _attempt(self, posting: Posting, operation: str, summary: str, outcome: str, error: CallFailed | None = None,
                 *, note: str | None = None, classification: str | None = "ok") -> None:
        now = self.deps.clock()
        provider_error = error.error if error is not None else None
        self.session.add(Attempt(
            posting_id=posting.id, started_at=now, finished_at=now, operation=operation,
            request_summary=summary[:1000],
            http_status=provider_error.status if provider_error else None,
            provider_code=provider_error.code if provider_error else None,
            provider_message=self.engine._message(provider_error, None) if provider_error else note,
            classification=error.classification.action.value if error is not None else classification,
            outcome=outcome,
        ))

    def _prior_decision(self) -> Amendment | None:
        """The decision an earlier try of this posting recorded (before its lease ran out), if any."""
        outcome = self.session.scalar(
            select(Attempt.outcome).where(Attempt.posting_id == self.posting.id, Attempt.operation == "amend",
                                          Attempt.outcome.in_([Amendment.UPDATE.value, Amendment.REPLACE.value]))
            .order_by(Attempt.id.desc()).limit(1))
        return Amendment(outcome) if outcome else None

    # --- words -----------------------------------------------------------------------------------------------

    def _provider_name(self) -> str:
        return "QuickBooks" if self.client.provider == "quickbooks" else "Xero"

    @staticmethod
    def _what(posting: Posting, verb: str) -> str:
        return f"{verb} {posting.document_type} {posting.remote_id} ({posting.remote_number or 'no number'})"

    def _plan_text(self, decision: Amendment, old: _Older, remote: RemoteDocument | None) -> str:
        p = old.posting
        if decision is Amendment.UPDATE:
            return (f"revision {self.revision} changes {p.document_type} {p.remote_number or p.remote_id} of "
                    f"revision {old.revision}: edit it in place")
        state = remote.raw.get("Status") if remote is not None else p.state
        return (f"revision {self.revision} changes {p.document_type} {p.remote_number or p.remote_id} of revision "
                f"{old.revision} ({state}), which cannot be edited: void it and post anew")


def with_note(document: PlannedDocument, note: str) -> PlannedDocument:
    """The document with ``note`` added to its memo: QBO PrivateNote, else a Xero credit note's first line
    description (credit notes have no memo field). Payments and allocations carry no text: unchanged."""
    payload = copy.deepcopy(document.payload)
    if isinstance(payload.get("PrivateNote"), str):
        payload["PrivateNote"] = _append(payload["PrivateNote"], note, QBO_PRIVATE_NOTE_MAX)
    elif document.type == "CreditNote" and payload.get("LineItems"):
        first = payload["LineItems"][0]
        first["Description"] = _append(str(first.get("Description") or ""), note, XERO_DESCRIPTION_MAX)
    else:
        return document
    return dataclasses.replace(document, payload=payload)


def _append(text: str, note: str, limit: int) -> str:
    if note in text:
        return text
    joiner = " | " if text else ""
    room = limit - len(note) - len(joiner)
    return text[:max(0, room)] + joiner + note
