"""HTTP routes of the Xero Accounting API: ``/api.xro/2.0/...`` (paths match case-insensitively).

    GET  /api.xro/2.0/{Collection}[?where=&order=&page=&pageSize=&includeArchived=&IDs=]
         (If-Modified-Since honoured)            Contacts, Accounts, TaxRates, TrackingCategories,
                                                 Invoices, CreditNotes, Payments
    GET  /api.xro/2.0/{Collection}/{id or number}
    PUT  /api.xro/2.0/{Invoices|CreditNotes|Payments|Contacts}[?summarizeErrors=false]   create
    POST /api.xro/2.0/{Invoices|CreditNotes|Contacts}[/{id}]                             create or update
    POST /api.xro/2.0/Payments/{id}     {"Status": "DELETED"}
    PUT  /api.xro/2.0/CreditNotes/{id}/Allocations
    DELETE /api.xro/2.0/CreditNotes/{id}/Allocations/{AllocationID}
    GET  /api.xro/2.0/Organisation
Every call needs ``Authorization: Bearer`` and the ``xero-tenant-id`` header; writes honour
``Idempotency-Key``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sandbox import wire
from connectors.sandbox.gateway import ApiContext, Handler, serve
from connectors.sandbox.limits import Refusal
from connectors.sandbox.replay import StoredReply
from connectors.sandbox.reply import Reply
from connectors.sandbox.state import SandboxState
from connectors.sandbox.store import Company
from connectors.sandbox.tokens import AccessCheck, AccessToken
from connectors.sandbox.xero import faults as xf
from connectors.sandbox.xero.books import COLLECTION_KEYS, COLLECTIONS, XeroBooks
from connectors.sandbox.xero.contacts import save_contact
from connectors.sandbox.xero.dates import date_to_ms, ms_date, parse_date, parse_http_time, utc_text
from connectors.sandbox.xero.payments import allocate, create_payment, delete_allocation, delete_payment
from connectors.sandbox.xero.transactions import CREDIT_NOTE, INVOICE, ItemResult, save_document
from connectors.sandbox.xero.where import QueryParseError

MAX_DOCUMENTS = 50
MAX_IDEMPOTENCY_KEY = 128


class XeroRules:
    provider = "xero"

    def company_ref(self, request: Request) -> str | None:
        return request.headers.get("xero-tenant-id") or None

    def unauthorized(self, check: AccessCheck, state: SandboxState) -> Reply:
        if check.problem == "expired" and check.token is not None:
            detail = f"TokenExpired: token expired at {utc_text(check.token.expires)}"
            headers = {
                "WWW-Authenticate": f'Bearer error="invalid_token", error_description="The token expired '
                f'at {utc_text(check.token.expires)}"'
            }
        else:
            detail, headers = (
                "AuthenticationUnsuccessful",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return xf.problem(401, "Unauthorized", detail, state.ids.uuid(), headers)

    def forbidden(self, state: SandboxState) -> Reply:
        return xf.problem(403, "Forbidden", "AuthenticationUnsuccessful", state.ids.uuid())

    def offline(self, state: SandboxState) -> Reply:
        return xf.offline()

    def throttled(self, refusal: Refusal, state: SandboxState) -> Reply:
        reply = xf.problem(429, "Too Many Requests", xf.limit_detail(refusal.problem), state.ids.uuid())
        reply.headers["X-Rate-Limit-Problem"] = refusal.problem
        if refusal.retry_after is not None:
            reply.headers["Retry-After"] = str(refusal.retry_after)
        return reply

    def server_error(self, status: int, state: SandboxState) -> Reply:
        title = "Service Unavailable" if status == 503 else "Internal Server Error"
        return xf.problem(
            status,
            title,
            "An error occurred in Xero. Check the API Status page "
            "http://status.developer.xero.com for current service status.",
            state.ids.uuid(),
        )

    def replay_key(self, request: Request) -> str | None:
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        return request.headers.get("idempotency-key") or None

    def replay_conflict(self, stored: StoredReply, request_fingerprint: str, state: SandboxState) -> Reply | None:
        if stored.fingerprint == request_fingerprint:
            return None
        return xf.problem(
            400,
            "Bad Request",
            "The Idempotency-Key has already been used for a different request. Use a new key for a new request.",
            state.ids.uuid(),
        )

    def uses_app_limit(self) -> bool:
        return True

    def decorate(self, reply: Reply, company: Company | None, token: AccessToken | None, state: SandboxState) -> None:
        if company is None or token is None:
            return
        now = state.clock.now()
        minute_left, day_left = company.limiter.remaining(now)
        reply.headers["X-MinLimit-Remaining"] = str(minute_left)
        reply.headers["X-DayLimit-Remaining"] = str(day_left if day_left is not None else 0)
        reply.headers["X-AppMinLimit-Remaining"] = str(state.app_limiter.remaining(token.client_id, now))


RULES = XeroRules()


def _books(ctx: ApiContext) -> XeroBooks:
    return XeroBooks(ctx.company, ctx.state)


def _query(ctx: ApiContext) -> dict[str, str]:
    return {k.lower(): v for k, v in ctx.query.items()}


def list_handler(collection: str) -> Handler:
    entity, _id_field, _number = COLLECTIONS[collection]

    def handle(ctx: ApiContext) -> Reply:
        books = _books(ctx)
        since = None
        header = ctx.headers.get("if-modified-since")
        if header:
            since = parse_http_time(header)
        try:
            listing = books.listing(entity, _query(ctx), since)
        except QueryParseError as exc:
            return xf.query_parse_reply(str(exc))
        return Reply.json(200, books.envelope(COLLECTION_KEYS[entity], listing.items, listing.pagination))

    return handle


def get_handler(collection: str, key: str) -> Handler:
    entity, id_field, number_field = COLLECTIONS[collection]

    def handle(ctx: ApiContext) -> Reply:
        books = _books(ctx)
        doc = books.find(entity, id_field, key, number_field)
        if doc is None:
            return xf.not_found()
        return Reply.json(200, books.envelope(COLLECTION_KEYS[entity], [doc.body]))

    return handle


def _items(payload: Any, key: str) -> list[Any] | None:
    if isinstance(payload, dict) and isinstance(payload.get(key), list):
        return list(payload[key])
    if isinstance(payload, dict) and key not in payload:
        return [payload]
    return None


def _write(
    ctx: ApiContext, key: str, entity: str, work: Callable[[XeroBooks, Any], ItemResult], error_flag: str
) -> Reply:
    """Common PUT/POST handling: item loop, summarizeErrors, Xero's two error reporting modes."""
    books = _books(ctx)
    idem = ctx.headers.get("idempotency-key")
    if idem and len(idem) > MAX_IDEMPOTENCY_KEY:
        return xf.problem(
            400,
            "Bad Request",
            f"Idempotency-Key must be at most {MAX_IDEMPOTENCY_KEY} characters",
            ctx.state.ids.uuid(),
        )
    try:
        payload = ctx.json()
    except wire.WireError as exc:
        return xf.post_data_invalid(f"The request body could not be read as JSON: {exc}")
    items = _items(payload, key)
    if items is None:
        return xf.post_data_invalid(f"The request body must be an object with a '{key}' list")
    if len(items) > MAX_DOCUMENTS:
        return xf.post_data_invalid(f"No more than {MAX_DOCUMENTS} {key} can be sent in one request")
    summarize = _query(ctx).get("summarizeerrors", "true").lower() != "false"
    results = [work(books, item) for item in items]
    written = [(entity, r.stored_id) for r in results if r.stored_id]
    failed = [r for r in results if r.errors]
    if summarize and failed:
        reply = xf.validation_reply([r.element() for r in failed])
    else:
        bodies = []
        for result in results:
            body = dict(result.body)
            if not summarize:
                body["StatusAttributeString"] = "ERROR" if result.errors else "OK"
                if error_flag == "HasErrors" and not result.errors:
                    body["HasErrors"] = False
            bodies.append(body)
        reply = Reply.json(200, books.envelope(key, bodies))
    reply.written = written
    return reply


def document_write_handler(collection: str, doc_id: str | None) -> Handler:
    kind = CREDIT_NOTE if collection == "creditnotes" else INVOICE
    key = COLLECTION_KEYS[kind.entity]

    def handle(ctx: ApiContext) -> Reply:
        allow_update = ctx.method == "POST"

        def work(books: XeroBooks, item: Any) -> ItemResult:
            if doc_id is not None and isinstance(item, dict):
                item = {
                    **item,
                    kind.id_field: item.get(kind.id_field) or _resolve_id(books, kind.entity, kind.id_field, doc_id),
                }
            return save_document(books, kind, item, allow_update)

        return _write(ctx, key, kind.entity, work, "HasErrors")

    return handle


def _resolve_id(books: XeroBooks, entity: str, id_field: str, key: str) -> str:
    number_field = "CreditNoteNumber" if entity == "CreditNote" else "InvoiceNumber"
    doc = books.find(entity, id_field, key, number_field)
    return str(doc.body[id_field]) if doc else key


def contact_write_handler(doc_id: str | None) -> Handler:
    def handle(ctx: ApiContext) -> Reply:
        allow_update = ctx.method == "POST"

        def work(books: XeroBooks, item: Any) -> ItemResult:
            if doc_id is not None and isinstance(item, dict):
                item = {**item, "ContactID": item.get("ContactID") or doc_id}
            body, errors, stored = save_contact(books, item, allow_update)
            return ItemResult(body=body, errors=errors, stored_id=stored)

        return _write(ctx, "Contacts", "Contact", work, "HasValidationErrors")

    return handle


def payment_create_handler(ctx: ApiContext) -> Reply:
    return _write(ctx, "Payments", "Payment", create_payment, "HasValidationErrors")


def payment_update_handler(payment_id: str) -> Handler:
    def handle(ctx: ApiContext) -> Reply:
        return _write(
            ctx,
            "Payments",
            "Payment",
            lambda books, item: delete_payment(books, payment_id, item),
            "HasValidationErrors",
        )

    return handle


def allocation_handler(credit_note_id: str) -> Handler:
    def handle(ctx: ApiContext) -> Reply:
        return _write(
            ctx,
            "Allocations",
            "Allocation",
            lambda books, item: allocate(books, credit_note_id, item),
            "StatusAttributeString",
        )

    return handle


def allocation_delete_handler(credit_note_id: str, allocation_id: str) -> Handler:
    def handle(ctx: ApiContext) -> Reply:
        result = delete_allocation(_books(ctx), credit_note_id, allocation_id)
        if result is None:
            return xf.not_found()
        if result.errors:
            return xf.validation_reply([{"ValidationErrors": [{"Message": m} for m in result.errors]}])
        reply = Reply.json(200, result.body)  # the spec answers a bare Allocation (IsDeleted: true)
        reply.written = [("Allocation", str(result.stored_id))]
        return reply

    return handle


def organisation_handler(ctx: ApiContext) -> Reply:
    books = _books(ctx)
    company = ctx.company
    prefs = company.preferences
    org: dict[str, Any] = {
        "OrganisationID": company.key,
        "Name": company.display_name,
        "LegalName": prefs.get("legal_name", company.display_name),
        "PaysTax": True,
        "Version": prefs.get("version", "US"),
        "OrganisationType": "COMPANY",
        "BaseCurrency": books.base_currency,
        "CountryCode": prefs.get("country", "US"),
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": int(prefs.get("financial_year_end_day", 31)),
        "FinancialYearEndMonth": int(prefs.get("financial_year_end_month", 12)),
        "ShortCode": prefs.get("short_code", "!sandbox"),
        "Timezone": prefs.get("timezone", "UTC"),
        "CreatedDateUTC": ms_date(company.created),
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
    }
    for pref, name in (
        ("period_lock_date", "PeriodLockDate"),
        ("end_of_year_lock_date", "EndOfYearLockDate"),
    ):
        day = parse_date(prefs.get(pref))
        if day is not None:
            org[name] = date_to_ms(day)
    return Reply.json(200, books.envelope("Organisations", [org]))


def not_found_handler(ctx: ApiContext) -> Reply:
    return xf.not_found()


def route(method: str, parts: list[str]) -> Handler:
    """Pick the handler for a method and the path segments after /api.xro/2.0/."""
    lowered = [p.lower() for p in parts]
    if not lowered:
        return not_found_handler
    head = lowered[0]
    if head == "organisation" and method == "GET" and len(parts) == 1:
        return organisation_handler
    if head not in COLLECTIONS:
        return not_found_handler
    if method == "GET":
        if len(parts) == 1:
            return list_handler(head)
        if len(parts) == 2:
            return get_handler(head, parts[1])
        return not_found_handler
    if head in ("creditnotes", "invoices"):
        if len(parts) == 1 and method in ("PUT", "POST"):
            return document_write_handler(head, None)
        if len(parts) == 2 and method == "POST":
            return document_write_handler(head, parts[1])
        if len(parts) == 3 and lowered[2] == "allocations" and method == "PUT" and head == "creditnotes":
            return allocation_handler(parts[1])
        if len(parts) == 4 and lowered[2] == "allocations" and method == "DELETE" and head == "creditnotes":
            return allocation_delete_handler(parts[1], parts[3])
    if head == "contacts":
        if len(parts) == 1 and method in ("PUT", "POST"):
            return contact_write_handler(None)
        if len(parts) == 2 and method == "POST":
            return contact_write_handler(parts[1])
    if head == "payments":
        if len(parts) == 1 and method in ("PUT", "POST"):
            return payment_create_handler
        if len(parts) == 2 and method == "POST":
            return payment_update_handler(parts[1])
    return not_found_handler


async def xero_api(request: Request) -> Response:
    parts = [p for p in str(request.path_params.get("rest", "")).split("/") if p]
    return await serve(request, RULES, route(request.method, parts))


ROUTES = [Route("/api.xro/2.0/{rest:path}", xero_api, methods=["GET", "PUT", "POST", "PATCH", "DELETE"])]
