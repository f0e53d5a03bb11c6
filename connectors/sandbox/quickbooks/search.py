"""Running parsed queries and change data capture against a company's QBO documents."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.quickbooks import faults as qf
from connectors.sandbox.quickbooks.documents import QboBooks
from connectors.sandbox.quickbooks.entities import SPECS
from connectors.sandbox.quickbooks.facts import company_facts
from connectors.sandbox.quickbooks.query import MAX_RESULTS, Condition, Query, like_matcher, parse
from connectors.sandbox.quickbooks.times import entity_time, parse_timestamp

FACT_QUERYABLE = frozenset({"Id", "MetaData.LastUpdatedTime"})
TIME_FIELDS = ("MetaData.CreateTime", "MetaData.LastUpdatedTime")
CDC_MAX_OBJECTS = 1000


def canonical_entity(name: str) -> str | None:
    for known in (*SPECS, "CompanyInfo", "Preferences"):
        if known.lower() == name.lower():
            return known
    return None


def field_value(body: dict[str, Any], path: str) -> Any:
    """A queryable value: references compare by id, nested properties by dotted path."""
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def _comparable(value: Any, literal: Any, path: str, books: QboBooks) -> tuple[Any, Any] | None:
    if value is None:
        return None
    if path in TIME_FIELDS and isinstance(literal, str):
        return parse_timestamp(str(value), books.zone), parse_timestamp(literal, books.zone)
    if isinstance(literal, bool):
        return (value if isinstance(value, bool) else str(value).lower() == "true"), literal
    if isinstance(literal, Decimal):
        try:
            return wire.to_decimal(value), literal
        except wire.WireError:
            return None
    if isinstance(value, str) and isinstance(literal, str) and value.isdigit() and literal.isdigit() and path == "Id":
        return int(value), int(literal)
    if isinstance(value, Decimal | int) and isinstance(literal, str):
        try:
            return wire.to_decimal(value), wire.to_decimal(literal)
        except wire.WireError:
            return None
    return str(value), str(literal)


def matches(body: dict[str, Any], cond: Condition, books: QboBooks) -> bool:
    value = field_value(body, cond.field)
    if cond.op == "like":
        return value is not None and bool(like_matcher(str(cond.values[0])).match(str(value)))
    if cond.op == "in":
        return any(_holds(value, "=", literal, cond.field, books) for literal in cond.values)
    return _holds(value, cond.op, cond.values[0], cond.field, books)


def _holds(value: Any, op: str, literal: Any, path: str, books: QboBooks) -> bool:
    pair = _comparable(value, literal, path, books)
    if pair is None:
        return False
    left, right = pair
    try:
        if op == "=":
            return bool(left == right)
        if op == "<":
            return bool(left < right)
        if op == ">":
            return bool(left > right)
        if op == "<=":
            return bool(left <= right)
        if op == ">=":
            return bool(left >= right)
    except TypeError:
        return False
    return False


def _sort_key(body: dict[str, Any], path: str, books: QboBooks) -> tuple[int, Any]:
    value = field_value(body, path)
    if value is None:
        return (1, "")
    if path in TIME_FIELDS:
        return (0, parse_timestamp(str(value), books.zone))
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return (0, Decimal(value))
    if path == "Id" and str(value).isdigit():
        return (0, int(value))
    return (0, str(value))


def _key_for(name: str, books: QboBooks) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda body: _sort_key(body, name, books)


def run_query(books: QboBooks, text: str) -> dict[str, Any]:
    """The ``QueryResponse`` object for a query text."""
    query = parse(text)
    entity = canonical_entity(query.entity)
    if entity is None:
        raise qf.query_parser_error(f"Invalid entity name: {query.entity}")
    if query.uses_or:
        raise qf.query_validation_error("OR operator is not supported in the where clause")
    if query.max_results > MAX_RESULTS:
        raise qf.query_validation_error(f"MaxResults value {query.max_results} exceeds the maximum of {MAX_RESULTS}")
    if query.start < 1:
        raise qf.query_validation_error("StartPosition must be 1 or more")
    queryable = SPECS[entity].queryable if entity in SPECS else FACT_QUERYABLE
    for cond in query.conditions:
        if cond.field not in queryable:
            raise qf.query_validation_error(f"property '{cond.field}' is not queryable")
    for name, _desc in query.order:
        if name not in queryable:
            raise qf.query_validation_error(f"property '{name}' is not queryable")
    rows = _rows(books, entity, query)
    if query.count:
        return {"totalCount": len(rows)}
    for name, descending in reversed(query.order):
        rows.sort(key=_key_for(name, books), reverse=descending)
    page = rows[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    if query.fields:
        page = [_project(body, query.fields) for body in page]
    return {entity: page, "startPosition": query.start, "maxResults": len(page)}


def _rows(books: QboBooks, entity: str, query: Query) -> list[dict[str, Any]]:
    if entity in SPECS:
        rows = [doc.body for doc in sorted(books.company.live(entity), key=lambda d: _id_order(d.id))]
    else:
        rows = [company_facts(books)[entity]]
    spec = SPECS.get(entity)
    if spec is not None and spec.kind == "name" and not any(c.field == "Active" for c in query.conditions):
        rows = [body for body in rows if body.get("Active", True)]
    return [body for body in rows if all(matches(body, cond, books) for cond in query.conditions)]


def _id_order(doc_id: str) -> tuple[int, str]:
    return (int(doc_id), "") if doc_id.isdigit() else (1 << 62, doc_id)


def _project(body: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        top = name.split(".")[0]
        if top in body:
            out[top] = body[top]
    for name in ("domain", "Id", "SyncToken", "MetaData"):
        if name in body:
            out[name] = body[name]
    out["sparse"] = True
    return out


def change_data_capture(books: QboBooks, entities_param: str | None, changed_since: str | None) -> list[dict[str, Any]]:
    """The ``CDCResponse`` list: one QueryResponse entry per requested entity, deletions included."""
    if not entities_param:
        raise qf.required("entities")
    if not changed_since:
        raise qf.required("changedSince")
    try:
        since = parse_timestamp(changed_since, books.zone)
    except ValueError:
        raise qf.QboFault(
            [qf.QboError("2040", "Invalid Date", f"Invalid date/time: {changed_since}", "changedSince")]
        ) from None
    company = books.company
    window = company.clock.days(company.settings.qbo_cdc_days)
    if since < company.clock.now() - window:
        raise qf.QboFault(
            [
                qf.QboError(
                    "6000",
                    "A business validation error has occurred while processing your request",
                    "Business Validation Error: changedSince may not be more than "
                    f"{company.settings.qbo_cdc_days:g} "
                    "days ago",
                    "changedSince",
                )
            ]
        )
    names: list[str] = []
    for raw in entities_param.split(","):
        name = canonical_entity(raw.strip())
        if name is None or name not in SPECS:
            raise qf.QboFault(
                [qf.QboError("2030", "Invalid ID", f"Entity {raw.strip()} is not supported for CDC", "entities")]
            )
        names.append(name)
    responses: list[dict[str, Any]] = []
    budget = CDC_MAX_OBJECTS
    for name in names:
        changed = sorted(
            (d for d in company.docs(name).values() if d.updated > since),
            key=lambda d: d.updated,
        )[:budget]
        budget -= len(changed)
        items = [_cdc_item(books, d.body, d.deleted, d.updated) for d in changed]
        if items:
            responses.append({name: items, "startPosition": 1, "maxResults": len(items)})
        else:
            responses.append({})
    return [{"QueryResponse": responses}]


def _cdc_item(books: QboBooks, body: dict[str, Any], deleted: bool, updated: float) -> dict[str, Any]:
    if not deleted:
        return body
    return {
        "domain": "QBO",
        "status": "Deleted",
        "Id": body["Id"],
        "MetaData": {"LastUpdatedTime": entity_time(updated, books.zone)},
    }
