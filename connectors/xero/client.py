"""``XeroClient``: one Xero organisation (tenant) as the posting engine and back-sync use it.

Every call goes through :class:`connectors.xero.session.XeroSession` (token keeper, fleet limiter,
xero-python on our transport, limit feedback, the one error table). What each method does in Xero:

* ``post``: credit notes, payments and allocations in requests of up to 50 with ``summarizeErrors=false``
  and an ``Idempotency-Key``; one outcome per document (see :mod:`connectors.xero.batches`).
* ``find_by_tag``: ``where Reference=="tag"`` (quotes escaped), then ``CreditNoteNumber=="tag"`` for a
  credit note when Reference finds nothing; for ``CREDIT_LOOKUP`` the allocations of that credit note.
* ``get``: by id (an allocation through its credit note); None when Xero has no such document.
* ``changes``: ``If-Modified-Since`` with paging, one page in memory at a time (a generator), pages
  ordered by the immutable id so that a document changing meanwhile is never skipped.
* ``void``: a credit note AUTHORISED -> VOIDED, DRAFT/SUBMITTED -> DELETED; a payment -> DELETED (Xero's
  only way to undo one); an allocation is deleted. Already voided or deleted: returned as it is, nothing
  sent. A credit note that is paid or allocated (PAID, or AUTHORISED with payments/allocations) is *not*
  voided: Xero refuses, and the call fails as ``permanent`` with a reason saying to remove the refund
  payment / allocation first. refundsync voids a case's follow-ups (their own postings) before its credit;
  it never deletes a payment or allocation behind the engine's back.
* ``update``: a credit note edited in place (``POST /CreditNotes/{id}``) while Xero allows it.
* ``outstanding``: the invoice or bill by ``InvoiceNumber`` and its ``AmountDue``.
* ``list_parties("Contact")``: every contact, archived ones included and marked inactive, paged;
  ``create_party``: ``PUT /Contacts`` with an Idempotency-Key derived from the payload, and a look-up by
  name when the answer was lost or Xero says the name is taken.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from xero_python.accounting import AccountingApi

from config.tenants import TenantConfig
from connectors.auth import ConnectionBroken
from connectors.errors import XERO_OAUTH, Action, ProviderError, classify
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
from connectors.registry import ConnectorRuntime
from connectors.xero import batches, documents, faults, wire
from connectors.xero.provider import ALLOCATION, CREDIT_NOTE, INVOICE, PAYMENT, XERO, DocumentKind
from connectors.xero.session import XeroSession
from connectors.xero.transport import ExactJson, Reply

Invoke = Callable[[AccountingApi], Reply]


class XeroClient:
    """The :class:`connectors.protocol.TenantClient` for one Xero tenant."""

    provider = "xero"

    def __init__(self, tenant: TenantConfig, runtime: ConnectorRuntime):
        self.config = tenant
        self.tenant = tenant.name
        self.session = XeroSession(tenant, runtime)
        self.tenant_id = self.session.tenant_id

    def close(self) -> None:
        self.session.close()

    # --- posting ----------------------------------------------------------------------------------
    def post(self, documents_: Sequence[OutgoingDocument]) -> list[PostOutcome]:
        outcomes: dict[str, PostOutcome] = {}
        for request in batches.plan_requests(documents_):
            try:
                outcomes.update((o.ref, o) for o in self._send(request))
            except ConnectionBroken as exc:
                if not outcomes:
                    raise  # nothing happened yet: the engine parks every posting of the tenant
                # Earlier requests of this call did land: report them, and this one as waiting.
                error = ProviderError(XERO_OAUTH, None, "invalid_grant", exc.reason, write=False)
                outcomes.update((o.ref, o) for o in batches.failed(request, error))
        return [outcomes[d.ref] for d in documents_]

    def _send(self, request: batches.XeroRequest) -> list[PostOutcome]:
        body = ExactJson(request.body())
        key = request.idempotency_key
        tenant_id = self.tenant_id
        invoke: Invoke
        if request.kind is CREDIT_NOTE:
            def invoke(api: AccountingApi) -> Reply:
                return api.create_credit_notes(tenant_id, body, summarize_errors=False, idempotency_key=key,
                                               _preload_content=False)
        elif request.kind is PAYMENT:
            def invoke(api: AccountingApi) -> Reply:
                return api.create_payments(tenant_id, body, summarize_errors=False, idempotency_key=key,
                                           _preload_content=False)
        else:
            credit_note_id = request.credit_note_id
            def invoke(api: AccountingApi) -> Reply:
                return api.create_credit_note_allocation(tenant_id, credit_note_id, body, summarize_errors=False,
                                                         idempotency_key=key, _preload_content=False)
        try:
            answer = self.session.call(invoke, write=True)
        except CallFailed as exc:
            return batches.failed(request, exc.error)
        return batches.read_items(request, answer.status, answer.json(), answer.body)

    # --- finding and reading ----------------------------------------------------------------------
    def find_by_tag(self, type_: str, lookup_field: str, tag: str) -> list[RemoteDocument]:
        kind = XERO.kind(type_)
        if lookup_field == CREDIT_LOOKUP:
            if kind is not ALLOCATION:
                raise ValueError(f"only allocations are found through their credit note, not {type_}")
            credit = self._read_one(CREDIT_NOTE, tag)
            return documents.allocations_of(credit) if credit is not None else []
        if lookup_field not in kind.lookup_fields:
            raise ValueError(f"a Xero {type_} is found by {', '.join(kind.lookup_fields)}, not {lookup_field}")
        fields = kind.lookup_fields[kind.lookup_fields.index(lookup_field):]
        for field in fields:
            found = [self._reader(kind)(item) for item in self._list(kind, where=wire.where_equals(field, tag))]
            if found:
                return found
        return []

    def get(self, type_: str, remote_id: str) -> RemoteDocument | None:
        kind = XERO.kind(type_)
        if kind is ALLOCATION:
            credit_note_id, allocation_id = documents.split_allocation_id(remote_id)
            wanted = documents.allocation_remote_id(credit_note_id, allocation_id)
            credit = self._read_one(CREDIT_NOTE, credit_note_id)
            if credit is None:
                return None
            return next((a for a in documents.allocations_of(credit) if a.remote_id == wanted), None)
        body = self._read_one(kind, remote_id)
        return self._reader(kind)(body) if body is not None else None

    def changes(self, types: Sequence[str], since: datetime) -> Iterator[RemoteChange]:
        """Documents of ``types`` changed since ``since``, page by page. Allocations have no feed of their
        own: they come with their credit note (whose UpdatedDateUTC changes when one is applied)."""
        kinds = [XERO.kind(t) for t in dict.fromkeys(types)]
        wanted = {k.type for k in kinds}
        if kinds and INVOICE in kinds:
            raise ValueError("the Xero change feed covers CreditNote, Payment and Allocation")
        if wanted & {"CreditNote", "Allocation"}:
            for item in self._list(CREDIT_NOTE, since=since):
                note = documents.credit_note(item)
                if "CreditNote" in wanted:
                    yield RemoteChange(note, note.updated_at)
                if "Allocation" in wanted:
                    for allocated in documents.allocations_of(item):
                        yield RemoteChange(allocated, note.updated_at)
        if "Payment" in wanted:
            for item in self._list(PAYMENT, since=since):
                paid = documents.payment(item)
                yield RemoteChange(paid, paid.updated_at)

    def outstanding(self, type_: str, lookup_field: str, number: str) -> Outstanding | None:
        kind = XERO.kind(type_)
        if kind is not INVOICE or lookup_field != "InvoiceNumber":
            raise ValueError(f"Xero originals are Invoices found by InvoiceNumber, not {type_}/{lookup_field}")
        found = [i for i in self._list(INVOICE, where=wire.where_equals("InvoiceNumber", number))
                 if str(i.get("Status", "")).upper() not in ("DELETED", "VOIDED")]
        if not found:
            return None
        # Prefer what can still take a credit: approved with something due (a bill and a sales invoice may
        # share a number; the allocation itself checks that the types match).
        found.sort(key=lambda i: (str(i.get("Status", "")).upper() != "AUTHORISED",
                                  -(documents.outstanding(i).balance)))
        return documents.outstanding(found[0])

    # --- void -------------------------------------------------------------------------------------
    def void(self, type_: str, remote_id: str) -> RemoteDocument:
        kind = XERO.kind(type_)
        if kind is ALLOCATION:
            return self._delete_allocation(remote_id)
        current_body = self._read_required(kind, remote_id)
        current = self._reader(kind)(current_body)
        if current.status is not RemoteStatus.ACTIVE:
            return current  # already voided or deleted: nothing to do, nothing sent
        tenant_id = self.tenant_id
        # Xero remembers a key's answer, errors included, for ~6 minutes: the key names this version of the
        # document, so a void retried after the document changed (its payment removed) is a new request.
        version = hashlib.sha256(str(current_body.get("UpdatedDateUTC", "")).encode()).hexdigest()[:16]
        if kind is CREDIT_NOTE:
            target = "VOIDED" if str(current_body.get("Status", "")).upper() in ("AUTHORISED", "PAID") else "DELETED"
            body = ExactJson({"CreditNotes": [{"CreditNoteID": remote_id, "Status": target}]})
            key = f"rs-void-{remote_id}-{target.lower()}-{version}"
            answer = self.session.call(lambda api: api.update_credit_note(
                tenant_id, remote_id, body, idempotency_key=key, _preload_content=False), write=True)
        elif kind is PAYMENT:
            body = ExactJson({"Status": "DELETED"})
            key = f"rs-void-{remote_id}-deleted-{version}"
            answer = self.session.call(lambda api: api.delete_payment(
                tenant_id, remote_id, body, idempotency_key=key, _preload_content=False), write=True)
        else:
            raise ValueError(f"refundsync does not void Xero {type_}s")
        item = self._single(kind, answer.json(), answer.status, answer.body)
        return self._reader(kind)(item)

    def update(self, type_: str, remote_id: str, version: str | None, payload: dict[str, Any]) -> RemoteDocument:
        """``POST /CreditNotes/{id}`` with the new body: Xero edits a credit note in place while it is DRAFT,
        SUBMITTED or AUTHORISED and nothing is paid or allocated (RemainingCredit == Total). Otherwise it
        refuses ("cannot be edited as it has a payment or credit note allocated", classified by the one
        taxonomy) and the engine voids and reposts instead.

        Xero has no SyncToken: ``version`` (the UpdatedDateUTC the engine read) only goes into the
        Idempotency-Key, so a repeat of the same edit of the same version replays Xero's first answer, and
        an edit of a document that changed since is a request of its own.
        """
        kind = XERO.kind(type_)
        if kind is not CREDIT_NOTE:
            raise ValueError(f"refundsync edits Xero credit notes in place, not {type_}s (those are reposted)")
        item = {**payload, "CreditNoteID": remote_id}
        digest = hashlib.sha256(f"{version}\n{wire.dumps(item, sort_keys=True)}".encode()).hexdigest()[:32]
        key = f"rs-upd-{remote_id}-{digest}"
        body = ExactJson({"CreditNotes": [item]})
        tenant_id = self.tenant_id
        answer = self.session.call(lambda api: api.update_credit_note(
            tenant_id, remote_id, body, idempotency_key=key, _preload_content=False), write=True)
        updated = self._single(kind, answer.json(), answer.status, answer.body)
        error = faults.item_error(updated)
        if error is not None:
            raise CallFailed(error, classify(error))
        return self._reader(kind)(updated)

    def _delete_allocation(self, remote_id: str) -> RemoteDocument:
        credit_note_id, allocation_id = documents.split_allocation_id(remote_id)
        wanted = documents.allocation_remote_id(credit_note_id, allocation_id)
        credit = self._read_required(CREDIT_NOTE, credit_note_id)
        current = next((a for a in documents.allocations_of(credit) if a.remote_id == wanted), None)
        if current is None:  # already gone: say so without another call
            return RemoteDocument("Allocation", wanted, None, None, None, credit.get("CurrencyCode"), None, None,
                                  None, RemoteStatus.DELETED, None, None, raw={"CreditNoteID": credit_note_id})
        tenant_id = self.tenant_id
        answer = self.session.call(lambda api: api.delete_credit_note_allocations(
            tenant_id, credit_note_id, allocation_id, _preload_content=False), write=True)
        data = answer.json()
        item = data.get("Allocations", [data])[0] if isinstance(data, Mapping) else {}
        deleted = {**current.raw, **(item if isinstance(item, Mapping) else {}), "IsDeleted": True}
        return documents.allocation(deleted, credit, credit_note_id)

    # --- parties ----------------------------------------------------------------------------------
    def list_parties(self, entity: str) -> list[RemoteParty]:
        self._check_party_entity(entity)
        return [documents.party(c) for c in self._list_contacts()]

    def create_party(self, entity: str, payload: dict[str, Any]) -> RemoteParty:
        self._check_party_entity(entity)
        name = str(payload.get("Name", "")).strip()
        body = ExactJson({"Contacts": [payload]})
        digest = hashlib.sha256(wire.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"rs-contact-{digest}"
        tenant_id = self.tenant_id
        try:
            answer = self.session.call(lambda api: api.create_contacts(
                tenant_id, body, summarize_errors=False, idempotency_key=key, _preload_content=False), write=True)
        except CallFailed as exc:
            if exc.classification.action is Action.UNCERTAIN and name:
                existing = self._contact_named(name)
                if existing is not None:  # the lost answer did create it
                    return existing
            raise
        item = self._single_item(answer.json(), "Contacts")
        error = faults.item_error(item) if item is not None else None
        if item is None or error is not None:
            error = error or ProviderError("xero", answer.status, "UnexpectedAnswer", "no contact in the answer")
            if "already assigned to another contact" in error.text and name:
                existing = self._contact_named(name)
                if existing is not None:
                    return existing
            raise CallFailed(error, classify(error))
        return documents.party(item)

    def _check_party_entity(self, entity: str) -> None:
        if entity != XERO.party_entity:
            raise ValueError(f"Xero parties are Contacts, not {entity}")

    def _contact_named(self, name: str) -> RemoteParty | None:
        found = [documents.party(c) for c in self._list_contacts(where=wire.where_equals("Name", name))]
        return sorted(found, key=lambda p: not p.active)[0] if found else None

    # --- plumbing ---------------------------------------------------------------------------------
    @staticmethod
    def _reader(kind: DocumentKind) -> Callable[[Mapping[str, Any]], RemoteDocument]:
        return documents.READERS[kind.type]

    def _read_one(self, kind: DocumentKind, remote_id: str, *, missing_ok: bool = True) -> dict[str, Any] | None:
        """GET by id; None on 404 (Xero has no such document) unless ``missing_ok`` is False, when Xero's
        404 is raised as CallFailed like any other answer."""
        tenant_id = self.tenant_id
        invoke: Invoke
        if kind is CREDIT_NOTE:
            def invoke(api: AccountingApi) -> Reply:
                return api.get_credit_note(tenant_id, remote_id, _preload_content=False)
        elif kind is PAYMENT:
            def invoke(api: AccountingApi) -> Reply:
                return api.get_payment(tenant_id, remote_id, _preload_content=False)
        elif kind is INVOICE:
            def invoke(api: AccountingApi) -> Reply:
                return api.get_invoice(tenant_id, remote_id, _preload_content=False)
        else:
            raise ValueError(f"Xero cannot read a {kind.type} by id")
        answer = self.session.call(invoke, write=False, allow=(404,) if missing_ok else ())
        if answer.status == 404:
            return None
        return self._single(kind, answer.json(), answer.status, answer.body)

    def _read_required(self, kind: DocumentKind, remote_id: str) -> dict[str, Any]:
        body = self._read_one(kind, remote_id, missing_ok=False)
        assert body is not None
        return body

    def _single(self, kind: DocumentKind, data: Any, status: int, raw: bytes) -> dict[str, Any]:
        item = self._single_item(data, kind.collection)
        if item is None:
            error = ProviderError("xero", status, "UnexpectedAnswer", f"no {kind.type} in Xero's answer",
                                  write=False, raw=raw.decode("utf-8", "replace")[:4000])
            raise CallFailed(error, classify(error))
        return item

    @staticmethod
    def _single_item(data: Any, collection: str) -> dict[str, Any] | None:
        items = data.get(collection) if isinstance(data, Mapping) else None
        if isinstance(items, list) and items and isinstance(items[0], dict):
            return items[0]
        return None

    def _list(self, kind: DocumentKind, *, where: str | None = None, since: datetime | None = None
              ) -> Iterator[dict[str, Any]]:
        """Every matching document, one page (100) in memory at a time, ordered by the immutable id: a
        document changed while we page never moves, so none is skipped (a new one may show up twice)."""
        tenant_id = self.tenant_id
        extra: dict[str, Any] = {"order": f"{kind.id_field} ASC", "page_size": XERO.page_size}
        if where is not None:
            extra["where"] = where
        if since is not None:
            extra["if_modified_since"] = wire.modified_since(since)
        method = {CREDIT_NOTE.type: "get_credit_notes", PAYMENT.type: "get_payments",
                  INVOICE.type: "get_invoices"}[kind.type]
        yield from self._pages(lambda api, page: getattr(api, method)(
            tenant_id, page=page, _preload_content=False, **extra), kind.collection)

    def _list_contacts(self, where: str | None = None) -> Iterator[dict[str, Any]]:
        tenant_id = self.tenant_id
        extra: dict[str, Any] = {"where": where} if where else {}
        yield from self._pages(lambda api, page: api.get_contacts(
            tenant_id, page=page, include_archived=True, page_size=XERO.page_size, order="ContactID ASC",
            _preload_content=False, **extra), "Contacts")

    def _pages(self, fetch: Callable[[AccountingApi, int], Reply], collection: str) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            answer = self.session.call(functools.partial(_page, fetch, page), write=False)
            data = answer.json()
            items = data.get(collection) if isinstance(data, Mapping) else None
            if not isinstance(items, list):
                error = ProviderError("xero", answer.status, "UnexpectedAnswer", f"no {collection} list in the "
                                      "answer", write=False, raw=answer.body.decode("utf-8", "replace")[:4000])
                raise CallFailed(error, classify(error))
            yield from (i for i in items if isinstance(i, dict))
            pagination = data.get("pagination") if isinstance(data.get("pagination"), Mapping) else {}
            page_count = pagination.get("pageCount")
            if len(items) < XERO.page_size or (isinstance(page_count, int) and page >= page_count):
                return
            page += 1


def _page(fetch: Callable[[AccountingApi, int], Reply], page: int, api: AccountingApi) -> Reply:
    return fetch(api, page)
