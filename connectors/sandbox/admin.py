"""The admin API under ``/_sandbox``: seed, inspect, edit as a person would, inject faults, reset.

    GET    /_sandbox/health
    GET    /_sandbox/settings
    POST   /_sandbox/reset                      {"reseed": true} reloads the start-up seed
    POST   /_sandbox/clock/advance              {"seconds": n} or {"minutes": n} (sandbox minutes)
    POST   /_sandbox/save                       write the state file now
    GET    /_sandbox/requests?company=&provider=&since=&limit=
    GET    /_sandbox/companies                  POST a seed document to add/replace companies
    GET    /_sandbox/companies/{c}              DELETE removes the company
    GET    /_sandbox/companies/{c}/documents?entity=&include_deleted=true&origin=api
    GET    /_sandbox/companies/{c}/documents/{entity}/{id}
    PATCH  /_sandbox/companies/{c}/documents/{entity}/{id}        edit fields (new SyncToken/UpdatedDateUTC)
    DELETE /_sandbox/companies/{c}/documents/{entity}/{id}        delete (QBO txn), deactivate (QBO names),
                                                                  DELETED/VOIDED status or archive (Xero)
    POST   /_sandbox/companies/{c}/documents/{entity}/{id}/void
    GET|PUT|DELETE /_sandbox/companies/{c}/faults
    PUT    /_sandbox/companies/{c}/limits
    POST   /_sandbox/companies/{c}/tokens       {"client_id": ...} -> a valid access + refresh token pair
    POST   /_sandbox/companies/{c}/revoke       revoke every grant covering the company
    POST   /_sandbox/companies/{c}/bulk         N copies of a stored document (benchmarks; see bulk.py)
``{c}`` is the company's sandbox name (``demo-qbo``) or its realm/tenant id.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sandbox import wire
from connectors.sandbox.bulk import bulk
from connectors.sandbox.faults import FaultConfig
from connectors.sandbox.quickbooks import faults as qf
from connectors.sandbox.quickbooks.documents import QboBooks, WriteOptions
from connectors.sandbox.quickbooks.entities import SPECS
from connectors.sandbox.seeds import SeedError, load_seed, normalise_seed
from connectors.sandbox.state import SandboxState, UnknownCompany
from connectors.sandbox.store import QUICKBOOKS, Company
from connectors.sandbox.xero.books import XeroBooks
from connectors.sandbox.xero.payments import delete_payment
from connectors.sandbox.xero.transactions import CREDIT_NOTE, INVOICE, update_document


def _json(data: Any, status: int = 200) -> Response:
    return Response(wire.dumps(data), status_code=status, media_type="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"error": message}, status)


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


async def _body(request: Request) -> Any:
    raw = await request.body()
    return wire.loads(raw) if raw.strip() else {}


def _company(request: Request) -> Company:
    return _state(request).company(str(request.path_params["company"]))


def admin_route(handler: Any) -> Any:
    """Turn the admin errors every endpoint shares into clear 4xx answers."""

    async def endpoint(request: Request) -> Response:
        try:
            response: Response = await handler(request)
            return response
        except UnknownCompany as exc:
            return _error(404, f"no sandbox company '{exc.args[0]}'")
        except (SeedError, ValueError, TypeError, KeyError) as exc:
            return _error(400, str(exc))

    return endpoint


async def health(request: Request) -> Response:
    return _json({"ok": True, "companies": sorted(_state(request).aliases)})


async def settings(request: Request) -> Response:
    return _json(_state(request).settings.as_dict())


async def reset(request: Request) -> Response:
    state = _state(request)
    body = await _body(request)
    state.reset()
    seeded: list[str] = []
    if body.get("reseed"):
        for seed in request.app.state.start_seeds:
            seeded += [c.name for c in load_seed(state, seed)]
    return _json({"reset": True, "companies": seeded})


async def advance_clock(request: Request) -> Response:
    state = _state(request)
    body = await _body(request)
    seconds = float(body.get("seconds", 0)) + state.clock.minutes(float(body.get("minutes", 0)))
    state.clock.advance(seconds)
    return _json({"offset_seconds": state.clock.offset, "now": state.clock.now()})


async def save(request: Request) -> Response:
    state = _state(request)
    state.dirty = True
    state.save()
    return _json({"saved": state.state_file is not None})


async def requests(request: Request) -> Response:
    state = _state(request)
    params = request.query_params
    company = params.get("company")
    key = state.company(company).key if company else None
    records = state.requests.select(
        company=key,
        provider=params.get("provider"),
        since_seq=int(params.get("since", "0")),
        limit=int(params["limit"]) if params.get("limit") else None,
    )
    return _json({"requests": [r.as_dict() for r in records], "last_seq": state.requests.last_seq})


async def companies(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        loaded = load_seed(state, normalise_seed(await _body(request)))
        return _json({"companies": [c.summary() for c in loaded]}, 201)
    return _json({"companies": [c.summary() for c in state.companies.values()]})


async def company(request: Request) -> Response:
    state = _state(request)
    found = _company(request)
    if request.method == "DELETE":
        state.remove_company(found.key)
        return _json({"deleted": found.name})
    return _json(found.summary())


async def documents(request: Request) -> Response:
    found = _company(request)
    params = request.query_params
    entity = params.get("entity")
    include_deleted = params.get("include_deleted", "").lower() == "true"
    origin = params.get("origin")
    out = []
    for name, docs in found.documents.items():
        if entity and name.lower() != entity.lower():
            continue
        for doc in docs.values():
            if (doc.deleted and not include_deleted) or (origin and doc.origin != origin):
                continue
            out.append(doc.to_dict())
    out.sort(key=lambda d: (d["created"], d["entity"], d["id"]))
    return _json({"documents": out})


def _find_doc(found: Company, entity: str, doc_id: str) -> tuple[str, Any]:
    for name, docs in found.documents.items():
        if name.lower() == entity.lower() and doc_id in docs:
            return name, docs[doc_id]
    raise KeyError(f"no {entity} with id {doc_id}")


async def document(request: Request) -> Response:
    state = _state(request)
    found = _company(request)
    name, doc = _find_doc(found, str(request.path_params["entity"]), str(request.path_params["doc_id"]))
    if request.method == "GET":
        return _json(doc.to_dict())
    if request.method == "PATCH":
        changes = await _body(request)
        if not isinstance(changes, dict):
            raise ValueError("PATCH body must be an object of fields to change")
        result = _edit(state, found, name, doc.id, changes)
    else:
        result = _remove(state, found, name, doc.id)
    state.dirty = True
    return result


async def void(request: Request) -> Response:
    state = _state(request)
    found = _company(request)
    name, doc = _find_doc(found, str(request.path_params["entity"]), str(request.path_params["doc_id"]))
    if found.provider == QUICKBOOKS:
        try:
            voided = QboBooks(found).void(SPECS[name], {"Id": doc.id}, force=True)
        except qf.QboFault as fault:
            return _json({"Fault": fault.fault()}, 400)
        state.dirty = True
        return _json(voided.to_dict())
    return _xero_status(state, found, name, doc.id, "VOIDED")


def _edit(state: SandboxState, found: Company, name: str, doc_id: str, changes: dict[str, Any]) -> Response:
    if found.provider == QUICKBOOKS:
        try:
            doc = QboBooks(found).update(
                SPECS[name],
                {**changes, "Id": doc_id, "sparse": True},
                WriteOptions(origin="admin"),
                force=True,
            )
        except qf.QboFault as fault:
            return _json({"Fault": fault.fault()}, 400)
        return _json(doc.to_dict())
    books = XeroBooks(found, state)
    if name in ("Invoice", "CreditNote"):
        kind = CREDIT_NOTE if name == "CreditNote" else INVOICE
        result = update_document(books, kind, found.docs(name)[doc_id].body, changes)
        if result.errors:
            return _json({"ValidationErrors": [{"Message": m} for m in result.errors]}, 400)
        return _json(found.docs(name)[doc_id].to_dict())
    body = copy.deepcopy(found.docs(name)[doc_id].body)
    body.update(changes)
    if "UpdatedDateUTC" in body:
        body["UpdatedDateUTC"] = books.now_ms()
    return _json(found.put(name, doc_id, body, origin="admin").to_dict())


def _remove(state: SandboxState, found: Company, name: str, doc_id: str) -> Response:
    if found.provider == QUICKBOOKS:
        spec = SPECS[name]
        books = QboBooks(found)
        try:
            if spec.kind == "txn":
                books.delete(spec, {"Id": doc_id}, force=True)
                return _json(found.docs(name)[doc_id].to_dict())
            doc = books.update(spec, {"Id": doc_id, "sparse": True, "Active": False}, force=True)
        except qf.QboFault as fault:
            return _json({"Fault": fault.fault()}, 400)
        return _json(doc.to_dict())
    if name in ("Invoice", "CreditNote"):
        status = found.docs(name)[doc_id].body.get("Status")
        return _xero_status(state, found, name, doc_id, "DELETED" if status in ("DRAFT", "SUBMITTED") else "VOIDED")
    xero = XeroBooks(found, state)
    if name == "Payment":
        result = delete_payment(xero, doc_id, {"Status": "DELETED"})
        if result.errors:
            return _json({"ValidationErrors": [{"Message": m} for m in result.errors]}, 400)
        return _json(found.docs(name)[doc_id].to_dict())
    body = copy.deepcopy(found.docs(name)[doc_id].body)
    field = "ContactStatus" if name == "Contact" else "Status"
    body[field] = "ARCHIVED"
    if "UpdatedDateUTC" in body:
        body["UpdatedDateUTC"] = xero.now_ms()
    return _json(found.put(name, doc_id, body, origin="admin").to_dict())


def _xero_status(state: SandboxState, found: Company, name: str, doc_id: str, status: str) -> Response:
    books = XeroBooks(found, state)
    kind = CREDIT_NOTE if name == "CreditNote" else INVOICE
    if name not in ("Invoice", "CreditNote"):
        raise ValueError(f"{name} cannot be voided")
    result = update_document(books, kind, found.docs(name)[doc_id].body, {"Status": status})
    if result.errors:
        return _json({"ValidationErrors": [{"Message": m} for m in result.errors]}, 400)
    state.dirty = True
    return _json(found.docs(name)[doc_id].to_dict())


async def faults(request: Request) -> Response:
    state = _state(request)
    found = _company(request)
    if request.method == "GET":
        return _json(found.faults.status())
    if request.method == "DELETE":
        found.faults.clear()
        return _json(found.faults.status())
    body = await _body(request)
    if not isinstance(body, dict):
        raise ValueError("faults must be an object")
    revoke = bool(body.pop("revoke_tokens", False))
    found.faults.configure(FaultConfig.from_dict(body))
    if revoke:
        state.tokens.revoke_company(found.key)
        state.dirty = True
    return _json(found.faults.status())


async def limits(request: Request) -> Response:
    found = _company(request)
    body = await _body(request)
    found.set_limits({str(k): v for k, v in dict(body).items()})
    _state(request).dirty = True
    return _json(found.limiter.snapshot(found.clock.now()))


async def tokens(request: Request) -> Response:
    state = _state(request)
    found = _company(request)
    body = await _body(request)
    client_id = body.get("client_id") or next(
        c.client_id for c in state.settings.clients if c.provider == found.provider
    )
    client = state.settings.client(str(client_id))
    if client is None or client.provider != found.provider:
        raise ValueError(f"no {found.provider} client '{client_id}'")
    scope = str(
        body.get("scope")
        or (
            "com.intuit.quickbooks.accounting"
            if found.provider == QUICKBOOKS
            else "offline_access accounting.transactions accounting.contacts accounting.settings"
        )
    )
    pair = state.tokens.issue(client.client_id, found.provider, [found.key], scope)
    state.dirty = True
    return _json(
        {
            "provider": found.provider,
            "company": found.key,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_in": pair.expires_in,
            "refresh_expires_in": pair.refresh_expires_in,
            "token_type": "bearer" if found.provider == QUICKBOOKS else "Bearer",
            "scope": scope,
        }
    )


async def revoke(request: Request) -> Response:
    state = _state(request)
    found = _company(request)
    count = state.tokens.revoke_company(found.key)
    state.dirty = True
    return _json({"revoked_grants": count})


ROUTES = [
    Route("/_sandbox/health", admin_route(health), methods=["GET"]),
    Route("/_sandbox/settings", admin_route(settings), methods=["GET"]),
    Route("/_sandbox/reset", admin_route(reset), methods=["POST"]),
    Route("/_sandbox/clock/advance", admin_route(advance_clock), methods=["POST"]),
    Route("/_sandbox/save", admin_route(save), methods=["POST"]),
    Route("/_sandbox/requests", admin_route(requests), methods=["GET"]),
    Route("/_sandbox/companies", admin_route(companies), methods=["GET", "POST"]),
    Route("/_sandbox/companies/{company}", admin_route(company), methods=["GET", "DELETE"]),
    Route("/_sandbox/companies/{company}/documents", admin_route(documents), methods=["GET"]),
    Route(
        "/_sandbox/companies/{company}/documents/{entity}/{doc_id}",
        admin_route(document),
        methods=["GET", "PATCH", "DELETE"],
    ),
    Route("/_sandbox/companies/{company}/documents/{entity}/{doc_id}/void", admin_route(void), methods=["POST"]),
    Route("/_sandbox/companies/{company}/faults", admin_route(faults), methods=["GET", "PUT", "DELETE"]),
    Route("/_sandbox/companies/{company}/limits", admin_route(limits), methods=["PUT"]),
    Route("/_sandbox/companies/{company}/tokens", admin_route(tokens), methods=["POST"]),
    Route("/_sandbox/companies/{company}/revoke", admin_route(revoke), methods=["POST"]),
    Route("/_sandbox/companies/{company}/bulk", admin_route(bulk), methods=["POST"]),
]
