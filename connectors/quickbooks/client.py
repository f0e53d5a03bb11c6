"""``QuickBooksClient``: one QuickBooks Online company (realm) as the posting engine and back-sync use it.

It holds what is particular to a tenant: its realm, its fleet-wide limiter scope (per-realm minute and
concurrency budgets, plus the /batch budget), its transport (an httpx pool sized to that concurrency)
and its python-quickbooks client. What QuickBooks *is* (documents, look-up fields, batch size) lives in
:mod:`connectors.quickbooks.provider`.

Every failure comes back classified: ``post`` returns one :class:`PostOutcome` per document, every other
method raises :class:`CallFailed`. A :class:`ConnectionBroken` (refresh token dead, credentials missing)
is raised as is, before anything was sent: the engine puts the tenant's postings in waiting-for-reconnect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.billpayment import BillPayment
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment

from config.tenants import Provider, TenantConfig
from connectors.errors import QBO, Action, Classification, ProviderError, classify
from connectors.limits import scope_for
from connectors.protocol import (
    CREDIT_LOOKUP,
    CallFailed,
    OutgoingDocument,
    Outstanding,
    PostOutcome,
    RemoteChange,
    RemoteDocument,
    RemoteParty,
    RemoteStatus,
)
from connectors.quickbooks import batch
from connectors.quickbooks.changefeed import CdcWindowExceeded, ChangeFeed
from connectors.quickbooks.provider import QUICKBOOKS, QuickBooksProvider, Undo, UnknownDocumentType
from connectors.quickbooks.query import Condition, select
from connectors.quickbooks.reading import deleted_document, remote_document, remote_party
from connectors.quickbooks.sdk import TransportQuickBooks, sdk_client
from connectors.quickbooks.transport import QboCallError, QboTransport
from connectors.registry import ConnectorRuntime
from mapping import wire
from mapping.hashing import canonical_json

T = TypeVar("T")

#: python-quickbooks objects whose ``VoidMixin`` knows the entity's void request.
_SDK_VOIDABLE: dict[str, Any] = {"Payment": Payment, "BillPayment": BillPayment, "Invoice": Invoice}


class QuickBooksClient:
    """The :class:`~connectors.protocol.TenantClient` of one QuickBooks company."""

    provider = "quickbooks"

    def __init__(self, tenant: TenantConfig, runtime: ConnectorRuntime, description: QuickBooksProvider = QUICKBOOKS):
        if tenant.provider is not Provider.QUICKBOOKS or not tenant.realm_id:
            raise ValueError(f"tenant {tenant.name} is not a QuickBooks company")
        self.tenant = tenant.name
        self.config = tenant
        self.description = description
        settings = runtime.settings
        self.scope = scope_for(QBO, tenant.realm_id, tenant.effective_limits, settings.limit_minute_seconds,
                               lease_seconds=max(120.0, 2 * settings.http_timeout))
        self.transport = QboTransport(tenant, runtime, self.scope, description)
        self.sdk: TransportQuickBooks = sdk_client(self.transport, tenant.realm_id, description.api_root(tenant),
                                                   description.minor_version)
        self.feed = ChangeFeed(description, self._cdc, self._query_pages, settings.limit_minute_seconds)

    def close(self) -> None:
        self.transport.close()

    # --- posting --------------------------------------------------------------------------------

    def post(self, documents: Sequence[OutgoingDocument]) -> list[PostOutcome]:
        """One outcome per document, in order: a single document is one create with its ``requestid``;
        several go out as ``/batch`` requests of at most 30. A document refundsync cannot send (a type
        QuickBooks does not take, a body that is not JSON) fails on its own without holding up the rest."""
        outcomes: list[PostOutcome | None] = [None] * len(documents)
        sendable: list[tuple[int, OutgoingDocument, bytes]] = []
        for index, doc in enumerate(documents):
            try:
                self.description.document(doc.type)
                sendable.append((index, doc, wire.dumps(doc.payload).encode("utf-8")))
            except (UnknownDocumentType, TypeError, ValueError) as exc:
                outcomes[index] = _unpostable(doc, _summary(doc), str(exc))
        size = self.description.batch_size
        for start in range(0, len(sendable), size):
            chunk = sendable[start:start + size]
            if len(chunk) == 1:
                index, doc, body = chunk[0]
                outcomes[index] = self._create(doc, body)
            else:
                for (index, _, _), outcome in zip(chunk, self._batch([d for _, d, _ in chunk]), strict=True):
                    outcomes[index] = outcome
        done = [o for o in outcomes if o is not None]
        assert len(done) == len(documents), "every document gets exactly one outcome"
        return done

    def _create(self, doc: OutgoingDocument, body: bytes) -> PostOutcome:
        summary = _summary(doc)
        try:
            answer = self._sdk(True, lambda: self.sdk.create_object(doc.type, body,
                                                                    request_id=doc.idempotency_key or None))
        except QboCallError as exc:
            return PostOutcome(doc.ref, None, exc.error, exc.classification, exc.error.status, summary)
        created = answer.get(doc.type)
        if not isinstance(created, dict) or not created.get("Id"):
            error = ProviderError(QBO, 200, None, f"the answer holds no {doc.type}", raw=json.dumps(answer,
                                  default=str)[:4000])
            return PostOutcome(doc.ref, None, error, classify(error), 200, summary)
        return PostOutcome(doc.ref, remote_document(doc.type, created, self.description), http_status=200,
                           request_summary=summary)

    def _batch(self, docs: list[OutgoingDocument]) -> list[PostOutcome]:
        ids = batch.batch_ids(docs, self.description)
        summary = f"POST batch of {len(docs)}: " + ", ".join(f"{d.type}={d.tag}" for d in docs)
        summary = summary[:1000]
        body = wire.dumps(batch.batch_body(docs, ids)).encode("utf-8")
        try:
            answer = self._sdk(True, lambda: self.sdk.batch_operation(body))
        except QboCallError as exc:
            return batch.failed_batch(exc.error, docs, summary, exc.classification)
        return batch.outcomes_from(answer, docs, ids, summary, self.description)

    # --- reading --------------------------------------------------------------------------------

    def find_by_tag(self, type_: str, lookup_field: str, tag: str) -> list[RemoteDocument]:
        """Every document of ``type_`` whose ``lookup_field`` (DocNumber, PaymentRefNum) equals ``tag``."""
        if lookup_field == CREDIT_LOOKUP:
            raise ValueError("every QuickBooks document refundsync posts carries its own tag; look it up by that")
        self.description.document(type_)
        rows = self._query_all(type_, [Condition(lookup_field, "=", tag)])
        return [remote_document(type_, row, self.description) for row in rows]

    def get(self, type_: str, remote_id: str) -> RemoteDocument | None:
        """The document, or None if QuickBooks has no such id (never created, or deleted: 610)."""
        self.description.document(type_)
        if not remote_id.isdigit():  # QBO ids are numbers; anything else cannot exist
            return None
        try:
            answer = self._sdk(False, lambda: self.sdk.get_single_object(type_, remote_id))
        except QboCallError as exc:
            if exc.error.code == "610":
                return None
            raise CallFailed(exc.error, exc.classification) from None
        body = answer.get(type_)
        if not isinstance(body, dict):
            return None
        return remote_document(type_, body, self.description)

    def changes(self, types: Sequence[str], since: datetime) -> Iterator[RemoteChange]:
        """CDC since ``since`` (an aware datetime), or a query on LastUpdatedTime beyond CDC's 30 days;
        see :mod:`connectors.quickbooks.changefeed`. Deleted objects come as ``RemoteStatus.DELETED``."""
        return self.feed.changes(types, since)

    def outstanding(self, type_: str, lookup_field: str, number: str) -> Outstanding | None:
        """The Bill/Invoice numbered ``number`` and its open Balance; None if there is none.

        Bill numbers are unique per vendor only: of several matches the one still open is taken, and
        several open ones are an error for the operator rather than a guess.
        """
        self.description.document(type_)
        docs = [remote_document(type_, row, self.description)
                for row in self._query_all(type_, [Condition(lookup_field, "=", number)])]
        if len(docs) > 1:
            docs = [d for d in docs if (d.remaining or 0) > 0] or docs
        if not docs:
            return None
        if len(docs) > 1:
            reason = (f"{len(docs)} open {type_.lower()}s are numbered {number} in QuickBooks "
                      f"({', '.join(d.remote_id for d in docs)}); apply the credit by hand or correct the case")
            error = ProviderError(QBO, 200, None, reason, write=False)
            raise CallFailed(error, Classification(Action.PERMANENT, "qbo.ambiguous_original", reason))
        found = docs[0]
        return Outstanding(type_, found.remote_id, found.number or number, found.remaining or Decimal(0),
                           found.currency)

    # --- undoing --------------------------------------------------------------------------------

    def void(self, type_: str, remote_id: str) -> RemoteDocument:
        """Take a posted document out of the books, the way QuickBooks allows for its type.

        - BillPayment, Payment: voided (``operation=update&include=void``): kept, amounts zeroed, memo
          "Voided"; the bill/invoice and the credit get their balances back.
        - VendorCredit, Deposit, CreditMemo, RefundReceipt: deleted; QuickBooks has no void for them
          (see :mod:`connectors.quickbooks.provider`).

        Reads the current SyncToken first; if the document changed in between (5010) it is read and tried
        once more. A document that can no longer be read is reported as deleted (QuickBooks never reuses
        an id), so undoing twice is harmless.
        """
        kind = self.description.document(type_)
        for attempt in (1, 2):
            current = self.get(type_, remote_id)
            if current is None:
                return deleted_document(type_, {"Id": remote_id})
            if kind.undo is Undo.VOID and current.status is RemoteStatus.VOIDED:
                return current
            try:
                if kind.undo is Undo.VOID:
                    answer = self._sdk(True, partial(self._void_request, type_, current))
                    return remote_document(type_, answer[type_], self.description)
                answer = self._sdk(True, partial(self._delete_request, type_, current))
                return deleted_document(type_, answer.get(type_) or {"Id": remote_id}, before=current)
            except QboCallError as exc:
                if exc.error.code == "5010" and attempt == 1:
                    continue
                raise CallFailed(exc.error, exc.classification) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def update(self, type_: str, remote_id: str, version: str | None, payload: dict[str, Any]) -> RemoteDocument:
        """A sparse update (``"sparse": true`` with ``Id`` and ``SyncToken``): the fields of ``payload``
        replace the document's (its ``Line`` list as a whole), everything else stays.

        ``version`` is the SyncToken the engine read. If the document changed since (Intuit 5010, the
        taxonomy's ``qbo.stale_object``), it is read again and the update tried once more with the fresh
        SyncToken; a second 5010 is raised for the engine to retry later. The ``requestid`` names the
        document, its SyncToken and the body, so a repeat after a lost answer replays the first answer.
        """
        self.description.document(type_)
        token = version
        for attempt in (1, 2):
            if token is None:
                token = self._current_version(type_, remote_id)
            body = wire.dumps({**payload, "Id": remote_id, "SyncToken": token, "sparse": True}).encode("utf-8")
            key = "rs-upd-" + hashlib.sha256(f"{self.config.realm_id}/{type_}/{remote_id}/".encode() + body
                                             ).hexdigest()[:32]
            try:
                answer = self._sdk(True, partial(self.sdk.update_object, type_, body, request_id=key))
            except QboCallError as exc:
                if exc.classification.rule == "qbo.stale_object" and attempt == 1:
                    token = None  # re-read below, then once more
                    continue
                raise CallFailed(exc.error, exc.classification) from None
            updated = answer.get(type_)
            if not isinstance(updated, dict) or not updated.get("Id"):
                error = ProviderError(QBO, 200, None, f"the answer holds no {type_}",
                                      raw=json.dumps(answer, default=str)[:4000])
                raise CallFailed(error, classify(error))
            return remote_document(type_, updated, self.description)
        raise AssertionError("unreachable")  # pragma: no cover

    def _current_version(self, type_: str, remote_id: str) -> str | None:
        current = self.get(type_, remote_id)
        if current is None:
            error = ProviderError(QBO, 400, "610", "Object Not Found",
                                  f"the {type_} {remote_id} is no longer in QuickBooks", write=False)
            raise CallFailed(error, classify(error))
        return current.version

    def _void_request(self, type_: str, current: RemoteDocument) -> dict[str, Any]:
        sdk_class = _SDK_VOIDABLE[type_]
        obj = sdk_class()
        obj.Id, obj.SyncToken = current.remote_id, current.version
        answer: dict[str, Any] = obj.void(qb=self.sdk)
        return answer

    def _delete_request(self, type_: str, current: RemoteDocument) -> dict[str, Any]:
        key = "rs-undo-" + hashlib.sha256(
            f"{self.config.realm_id}/{type_}/{current.remote_id}/{current.version}".encode()).hexdigest()[:32]
        body = json.dumps({"Id": current.remote_id, "SyncToken": current.version})
        answer: dict[str, Any] = self.sdk.delete_object(type_, body, request_id=key)
        return answer

    # --- parties --------------------------------------------------------------------------------

    def list_parties(self, entity: str) -> list[RemoteParty]:
        """Every Vendor or Customer, inactive ones included (``Active IN (true, false)``), paged by 1,000.

        The external id is ``AcctNum`` (see :class:`~connectors.quickbooks.provider.QuickBooksProvider`).
        """
        self._party_entity(entity)
        rows = self._query_all(entity, [Condition("Active", "IN", (True, False))])
        return [remote_party(row, self.description) for row in rows]

    def create_party(self, entity: str, payload: dict[str, Any]) -> RemoteParty:
        """Create a Vendor/Customer. A repeat after a lost answer replays it (requestid from the payload);
        if the name is taken (6240) by an active party of this entity, that party is the answer."""
        self._party_entity(entity)
        key = "rs-party-" + hashlib.sha256(f"{entity}\n{canonical_json(payload)}".encode()).hexdigest()[:32]
        body = wire.dumps(payload).encode("utf-8")
        try:
            answer = self._sdk(True, lambda: self.sdk.create_object(entity, body, request_id=key))
        except QboCallError as exc:
            if exc.error.code == "6240" and payload.get("DisplayName"):
                same = self._query_all(entity, [Condition("DisplayName", "=", str(payload["DisplayName"])),
                                                Condition("Active", "IN", (True, False))])
                active = [remote_party(r, self.description) for r in same if r.get("Active") is not False]
                if len(active) == 1:
                    return active[0]
            raise CallFailed(exc.error, exc.classification) from None
        return remote_party(answer[entity], self.description)

    def _party_entity(self, entity: str) -> None:
        if entity not in self.description.parties:
            raise ValueError(f"QuickBooks parties are {' or '.join(self.description.parties)}, not {entity!r}")

    # --- plumbing -------------------------------------------------------------------------------

    def _sdk(self, write: bool, call: Callable[[], T]) -> T:
        """Run an SDK call; the only SDK exception left is a 200 it could not parse (code 10000)."""
        try:
            return call()
        except QuickbooksException as exc:
            error = ProviderError(QBO, 200, str(exc.error_code or "") or None, str(exc.message)[:500],
                                  str(exc.detail or "")[:500], write=write)
            raise QboCallError(error) from None

    def _read(self, call: Callable[[], T]) -> T:
        try:
            return self._sdk(False, call)
        except QboCallError as exc:
            raise CallFailed(exc.error, exc.classification) from None

    def _query_all(self, entity: str, conditions: Sequence[Condition], order_by: str | None = None
                   ) -> list[dict[str, Any]]:
        return list(self._query_pages(entity, conditions, order_by))

    def _query_pages(self, entity: str, conditions: Sequence[Condition], order_by: str | None = None
                     ) -> Iterator[dict[str, Any]]:
        """Every row, one page (1,000) in memory at a time (the change feed reads 100,000s this way)."""
        page_size = self.description.max_results
        start = 1
        while True:
            text = select(entity, conditions, order_by=order_by, start=start, max_results=page_size)
            answer = self._read(partial(self.sdk.query, text))
            page = (answer.get("QueryResponse") or {}).get(entity) or []
            yield from page
            if len(page) < page_size:
                return
            start += len(page)

    def _cdc(self, types: Sequence[str], changed_since: str) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = self._sdk(False, lambda: self.sdk.change_data_capture(",".join(types),
                                                                                            changed_since))
        except QboCallError as exc:
            if exc.error.code == "6000" and "changedsince" in exc.error.text.lower():
                raise CdcWindowExceeded(exc.error.text) from None
            raise CallFailed(exc.error, exc.classification) from None
        return answer


def _summary(doc: OutgoingDocument) -> str:
    return f"POST {doc.type.lower()} {doc.lookup_field or 'DocNumber'}={doc.tag} requestid={doc.idempotency_key}"


def _unpostable(doc: OutgoingDocument, summary: str, reason: str) -> PostOutcome:
    """A document refundsync itself cannot send (not a provider answer): permanent, with the reason."""
    error = ProviderError(QBO, None, None, reason, write=False)
    return PostOutcome(doc.ref, None, error, Classification(Action.PERMANENT, "qbo.unpostable",
                                                            f"the document cannot be sent to QuickBooks: {reason}"),
                       None, summary)
