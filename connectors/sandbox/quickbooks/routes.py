"""HTTP routes of the QuickBooks Online API: ``/v3/company/{realm}/...`` (``minorversion`` accepted).

GET  /v3/company/{realm}/{entity}/{id}           read
POST /v3/company/{realm}/{entity}                create, or update when the body has an Id
     ?operation=delete | ?operation=void | ?operation=update&include=void
     ?include=allowduplicatedocnum, ?requestid=<id> (replay: first response, nothing written)
GET  /v3/company/{realm}/query?query=...  (or POST with the query as an application/text body)
GET  /v3/company/{realm}/cdc?entities=A,B&changedSince=...
POST /v3/company/{realm}/batch
GET  /v3/company/{realm}/companyinfo/{realm}, /v3/company/{realm}/preferences
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sandbox import wire
from connectors.sandbox.gateway import ApiContext, Handler, serve
from connectors.sandbox.limits import Refusal
from connectors.sandbox.quickbooks import faults as qf
from connectors.sandbox.quickbooks.batch import run_batch
from connectors.sandbox.quickbooks.documents import QboBooks, WriteOptions
from connectors.sandbox.quickbooks.entities import BY_PATH
from connectors.sandbox.quickbooks.facts import company_facts
from connectors.sandbox.quickbooks.search import change_data_capture, run_query
from connectors.sandbox.quickbooks.times import company_zone, envelope_time
from connectors.sandbox.replay import StoredReply
from connectors.sandbox.reply import Reply
from connectors.sandbox.state import SandboxState
from connectors.sandbox.store import Company
from connectors.sandbox.tokens import AccessCheck, AccessToken

AUTH_DETAILS = {
    "missing": "Authorization header missing or not a Bearer token",
    "unknown": "Token invalid",
    "expired": "Token expired",
    "revoked": "Token revoked",
}


class QuickBooksRules:
    """Intuit's shapes for the pipeline's refusals."""

    provider = "quickbooks"

    def company_ref(self, request: Request) -> str | None:
        return str(request.path_params.get("realm", "")) or None

    def _time(self, state: SandboxState) -> str:
        return envelope_time(state.clock.now(), company_zone(None))

    def unauthorized(self, check: AccessCheck, state: SandboxState) -> Reply:
        return qf.authentication_failed(int(state.clock.now() * 1000), AUTH_DETAILS.get(check.problem or ""))

    def forbidden(self, state: SandboxState) -> Reply:
        return qf.authorization_failed(int(state.clock.now() * 1000))

    def offline(self, state: SandboxState) -> Reply:
        return qf.company_unavailable(self._time(state))

    def throttled(self, refusal: Refusal, state: SandboxState) -> Reply:
        return qf.throttle_exceeded(self._time(state))

    def server_error(self, status: int, state: SandboxState) -> Reply:
        return qf.system_failure(status, self._time(state))

    def replay_key(self, request: Request) -> str | None:
        if request.method != "POST":
            return None
        for key, value in request.query_params.multi_items():
            if key.lower() == "requestid" and value:
                return value
        return None

    def replay_conflict(self, stored: StoredReply, request_fingerprint: str, state: SandboxState) -> Reply | None:
        return None  # Intuit returns the first response whatever the repeat says

    def uses_app_limit(self) -> bool:
        return False

    def decorate(self, reply: Reply, company: Company | None, token: AccessToken | None, state: SandboxState) -> None:
        reply.headers.setdefault("intuit_tid", state.ids.code(32).lower())


RULES = QuickBooksRules()


def _books(ctx: ApiContext) -> QboBooks:
    return QboBooks(ctx.company)


def _guard(books: QboBooks, work: Any) -> Reply:
    """Run entity logic; a QboFault becomes Intuit's Fault body."""
    try:
        result: Reply = work()
        return result
    except qf.QboFault as fault:
        return qf.fault_reply(fault, envelope_time(books.company.clock.now(), books.zone))


def _entity_reply(books: QboBooks, name: str, body: dict[str, Any], written: list[tuple[str, str]]) -> Reply:
    reply = Reply.json(200, {name: body, "time": envelope_time(books.company.clock.now(), books.zone)})
    reply.written = written
    return reply


def read_handler(entity_path: str, doc_id: str) -> Handler:
    def handle(ctx: ApiContext) -> Reply:
        books = _books(ctx)

        def work() -> Reply:
            if entity_path in ("companyinfo", "preferences"):
                name = "CompanyInfo" if entity_path == "companyinfo" else "Preferences"
                return _entity_reply(books, name, company_facts(books)[name], [])
            spec = BY_PATH.get(entity_path)
            if spec is None:
                raise _not_supported(ctx)
            return _entity_reply(books, spec.name, books.read(spec, doc_id), [])

        return _guard(books, work)

    return handle


def write_handler(entity_path: str) -> Handler:
    def handle(ctx: ApiContext) -> Reply:
        books = _books(ctx)

        def work() -> Reply:
            spec = BY_PATH.get(entity_path)
            if spec is None:
                raise _not_supported(ctx)
            try:
                data = ctx.json()
            except wire.WireError as exc:
                raise qf.request_not_json(f"Request body is not valid JSON: {exc}") from None
            operation = (ctx.param("operation") or "").lower()
            include = (ctx.param("include") or "").lower()
            options = WriteOptions(allow_duplicate_doc_number="allowduplicatedocnum" in include)
            if operation == "delete":
                stub = books.delete(spec, data)
                return _entity_reply(books, spec.name, stub, [(spec.name, stub["Id"])])
            if operation == "void" or (operation == "update" and "void" in include):
                doc = books.void(spec, data)
            elif isinstance(data, dict) and data.get("Id") not in (None, "", 0, "0"):
                doc = books.update(spec, data, options)
            elif operation in ("", "create", "update"):
                doc = books.create(spec, data, options)
            else:
                raise qf.unsupported_operation(operation)
            return _entity_reply(books, spec.name, doc.body, [(spec.name, doc.id)])

        return _guard(books, work)

    return handle


def query_handler(ctx: ApiContext) -> Reply:
    books = _books(ctx)

    def work() -> Reply:
        text = ctx.param("query")
        if text is None and ctx.method == "POST":
            text = ctx.body.decode("utf-8", errors="replace")
        result = run_query(books, text or "")
        return Reply.json(200, {"QueryResponse": result, "time": envelope_time(books.company.clock.now(), books.zone)})

    return _guard(books, work)


def cdc_handler(ctx: ApiContext) -> Reply:
    books = _books(ctx)

    def work() -> Reply:
        result = change_data_capture(books, ctx.param("entities"), ctx.param("changedSince"))
        return Reply.json(200, {"CDCResponse": result, "time": envelope_time(books.company.clock.now(), books.zone)})

    return _guard(books, work)


def batch_handler(ctx: ApiContext) -> Reply:
    books = _books(ctx)

    def work() -> Reply:
        try:
            payload = ctx.json()
        except wire.WireError as exc:
            raise qf.request_not_json(f"Request body is not valid JSON: {exc}") from None
        responses, written = run_batch(books, payload)
        reply = Reply.json(
            200,
            {"BatchItemResponse": responses, "time": envelope_time(books.company.clock.now(), books.zone)},
        )
        reply.written = written
        return reply

    return _guard(books, work)


def _not_supported(ctx: ApiContext) -> qf.QboFault:
    return qf.QboFault(
        [
            qf.QboError(
                "500",
                "Unsupported Operation",
                f"Operation Could not find resource for relative : {ctx.path} of full path: {ctx.path} "
                "is not supported.",
            )
        ]
    )


def unsupported_handler(ctx: ApiContext) -> Reply:
    books = _books(ctx)
    return qf.fault_reply(_not_supported(ctx), envelope_time(books.company.clock.now(), books.zone))


async def quickbooks_api(request: Request) -> Response:
    parts = [p for p in str(request.path_params.get("rest", "")).split("/") if p]
    lowered = [p.lower() for p in parts]
    handler: Handler = unsupported_handler
    batch = False
    if lowered == ["query"]:
        handler = query_handler
    elif lowered == ["cdc"] and request.method == "GET":
        handler = cdc_handler
    elif lowered == ["batch"] and request.method == "POST":
        handler, batch = batch_handler, True
    elif lowered == ["preferences"] and request.method == "GET":
        handler = read_handler("preferences", "1")
    elif len(parts) == 2 and request.method == "GET":
        handler = read_handler(lowered[0], parts[1])
    elif len(parts) == 1 and request.method == "POST":
        handler = write_handler(lowered[0])
    return await serve(request, RULES, handler, batch=batch)


ROUTES = [Route("/v3/company/{realm}/{rest:path}", quickbooks_api, methods=["GET", "POST"])]
