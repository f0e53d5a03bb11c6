"""Bulk seeding for benchmarks: N copies of a stored document, fast, under fresh ids and numbers.

    POST /_sandbox/companies/{c}/bulk
    {"entity": "VendorCredit", "from_id": "146", "count": 100000,
     "numbers": {"DocNumber": "BK-{n:06d}"}, "spacing_seconds": 1.0}
    -> {"created": 100000, "ids": [...]}

The template is a document the API itself created (so it passed every check); the copies are stored as
they are, with no validation and no balance effects: 100,000 API creates would take minutes, and the
copies exist only to be read back. Copy ``n`` (1-based) gets the next id of the entity's sequence (QBO)
or a new GUID (Xero), its number fields formatted with ``n``, and a last-change time ``spacing_seconds``
apart, ending now: QBO's change feed pages by last-change second (at most 1,000 objects an answer), so
copies spread over time page the way real history does.
"""

from __future__ import annotations

import copy

from starlette.requests import Request
from starlette.responses import Response

from connectors.sandbox import wire
from connectors.sandbox.quickbooks.entities import SPECS
from connectors.sandbox.quickbooks.times import company_zone, entity_time
from connectors.sandbox.state import SandboxState
from connectors.sandbox.store import QUICKBOOKS, Company, Document
from connectors.sandbox.xero.dates import ms_date

#: Xero entity -> its id field (the copies get new GUIDs).
XERO_IDS = {"CreditNote": "CreditNoteID", "Invoice": "InvoiceID", "Payment": "PaymentID"}
MAX_COUNT = 1_000_000


def clone(state: SandboxState, company: Company, entity: str, from_id: str, count: int, numbers: dict[str, str],
          spacing_seconds: float) -> list[str]:
    template = company.get(entity, from_id)
    if template is None:
        raise KeyError(f"no {entity} with id {from_id}")
    if not 0 < count <= MAX_COUNT:
        raise ValueError(f"count must be between 1 and {MAX_COUNT}")
    now = company.clock.now()
    zone = company_zone(company.preferences.get("timezone"))
    docs = company.docs(entity)
    ids = []
    for n in range(1, count + 1):
        moment = now - (count - n) * spacing_seconds
        body = copy.deepcopy(template.body)
        for field, pattern in numbers.items():
            body[field] = pattern.format(n=n)
        if company.provider == QUICKBOOKS:
            doc_id = company.next_id(SPECS[entity].sequence)
            stamp = entity_time(moment, zone)
            body.update({"Id": doc_id, "SyncToken": "0", "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}})
        else:
            doc_id = state.ids.uuid()
            body[XERO_IDS[entity]] = doc_id
            body["UpdatedDateUTC"] = ms_date(moment)
        docs[doc_id] = Document(entity, doc_id, body, created=moment, updated=moment, origin="bulk")
        ids.append(doc_id)
    state.dirty = True
    return ids


async def bulk(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    company = state.company(str(request.path_params["company"]))
    raw = await request.body()
    body = wire.loads(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be an object")
    ids = clone(state, company, str(body["entity"]), str(body["from_id"]), int(body["count"]),
                {str(k): str(v) for k, v in (body.get("numbers") or {}).items()},
                float(body.get("spacing_seconds", 1.0)))
    return Response(wire.dumps({"created": len(ids), "ids": ids}), media_type="application/json", status_code=201)
