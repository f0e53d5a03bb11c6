"""``POST /batch``: up to 30 operations in one request, each answered on its own (``bId``).

An item is a create, update or delete of an entity, or a ``Query``. A failing item gets a ``Fault``
entry and does not stop the others, as in QBO. More than 30 items fails the whole request.
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.quickbooks import faults as qf
from connectors.sandbox.quickbooks.documents import QboBooks, WriteOptions
from connectors.sandbox.quickbooks.entities import SPECS
from connectors.sandbox.quickbooks.search import run_query

MAX_ITEMS = 30


def run_batch(books: QboBooks, payload: Any) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The BatchItemResponse list and the documents written."""
    items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise qf.required("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        raise qf.batch_too_large(len(items))
    responses: list[dict[str, Any]] = []
    written: list[tuple[str, str]] = []
    for item in items:
        bid = str(item.get("bId", "")) if isinstance(item, dict) else ""
        try:
            if not isinstance(item, dict) or not bid:
                raise qf.required("bId")
            responses.append({**_run_item(books, item, written), "bId": bid})
        except qf.QboFault as fault:
            responses.append({"Fault": fault.fault(), "bId": bid})
    return responses, written


def _run_item(books: QboBooks, item: dict[str, Any], written: list[tuple[str, str]]) -> dict[str, Any]:
    if "Query" in item:
        return {"QueryResponse": run_query(books, str(item["Query"]))}
    operation = str(item.get("operation", "")).lower()
    names = [key for key in item if key in SPECS]
    if len(names) != 1:
        raise qf.request_not_json("a batch item needs exactly one entity object (or a Query)")
    spec = SPECS[names[0]]
    data = item[spec.name]
    options = WriteOptions(allow_duplicate_doc_number="allowduplicatedocnum" in str(item.get("optionsData", "")))
    if operation == "create":
        doc = books.create(spec, data, options)
    elif operation == "update":
        if "void" in str(item.get("optionsData", "")).lower():
            doc = books.void(spec, data)
        else:
            doc = books.update(spec, data, options)
    elif operation == "delete":
        stub = books.delete(spec, data)
        written.append((spec.name, stub["Id"]))
        return {spec.name: stub}
    else:
        raise qf.invalid_enum("operation", operation or "(missing)")
    written.append((spec.name, doc.id))
    return {spec.name: doc.body}
