"""Accept QBO entity JSON the way Intuit does: XSD element names only, values coerced to their types.

Intuit's JSON reader is lenient where SDKs rely on it (``""`` and ``null`` mean "not given", numbers
may arrive as strings, ids as numbers) and strict where integrations break: a property the schema
does not define is refused with fault 2010. Every stored QBO body passes through ``clean_entity``, so
the sandbox can only ever answer element names the XSD defines for that type.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from connectors.sandbox import wire

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class SchemaProblem:
    """One property the request got wrong; ``path`` is dotted from the entity (``Line.Amount``)."""

    path: str
    detail: str


@lru_cache(maxsize=1)
def schema_table() -> dict[str, Any]:
    text = resources.files("connectors.sandbox.quickbooks").joinpath("qbo_schema.json").read_text("utf-8")
    table: dict[str, Any] = json.loads(text)["types"]
    return table


def type_fields(type_name: str) -> dict[str, list[Any]]:
    return dict(schema_table()[type_name]["fields"])


def clean_entity(type_name: str, data: Any) -> tuple[dict[str, Any], list[SchemaProblem]]:
    """The request body of one entity with types coerced; problems for what cannot be accepted."""
    problems: list[SchemaProblem] = []
    if not isinstance(data, dict):
        return {}, [SchemaProblem(type_name, f"{type_name} must be a JSON object")]
    cleaned = _clean_complex(type_name, data, "", problems)
    return cleaned, problems


def _clean_complex(type_name: str, data: dict[str, Any], path: str, problems: list[SchemaProblem]) -> dict[str, Any]:
    entry = schema_table().get(type_name)
    if entry is None:  # a type outside the table (IntuitAnyType extensions): kept as given
        return data
    fields: dict[str, list[Any]] = entry["fields"]
    out: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key == "value" and entry["value"] is not None:
            coerced = _clean_value(entry["value"], value, where, problems)
            if coerced is not None:
                out[key] = coerced
            continue
        spec = fields.get(key)
        if spec is None:
            problems.append(SchemaProblem(where, f"Property Name:{key} specified is unsupported or invalid"))
            continue
        kind, is_list = spec
        if value is None or value == "":
            continue
        if is_list:
            items = value if isinstance(value, list) else [value]
            cleaned = [_clean_value(kind, item, f"{where}", problems) for item in items]
            out[key] = [item for item in cleaned if item is not None]
        else:
            coerced = _clean_value(kind, value, where, problems)
            if coerced is not None:
                out[key] = coerced
    return out


def _clean_value(kind: str, value: Any, path: str, problems: list[SchemaProblem]) -> Any:
    if value is None or value == "":
        return None
    if kind == "any":
        return value
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | Decimal):
            return wire.decimal_text(Decimal(value))
        if isinstance(value, str):
            return value
        problems.append(SchemaProblem(path, f"{path} must be text"))
        return None
    if kind == "decimal":
        try:
            return wire.to_decimal(value)
        except wire.WireError:
            problems.append(SchemaProblem(path, f"{path} must be a number, got {value!r}"))
            return None
    if kind == "integer":
        try:
            number = wire.to_decimal(value)
        except wire.WireError:
            number = Decimal("NaN")
        if not number.is_finite() or number != number.to_integral_value():
            problems.append(SchemaProblem(path, f"{path} must be a whole number, got {value!r}"))
            return None
        return int(number)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        problems.append(SchemaProblem(path, f"{path} must be true or false, got {value!r}"))
        return None
    if kind == "date":
        if isinstance(value, str) and _DATE.match(value):
            try:
                date.fromisoformat(value)
                return value
            except ValueError:
                pass
        problems.append(SchemaProblem(path, f"{path} must be a date YYYY-MM-DD, got {value!r}"))
        return None
    if kind == "dateTime":
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
                return value
            except ValueError:
                pass
        problems.append(SchemaProblem(path, f"{path} must be a date-time, got {value!r}"))
        return None
    if isinstance(value, dict):
        return _clean_complex(kind, value, path, problems)
    entry = schema_table().get(kind)
    if entry is not None and entry["value"] is not None and isinstance(value, str | int):
        return {"value": str(value)}  # a bare id where a reference object is expected
    problems.append(SchemaProblem(path, f"{path} must be a JSON object"))
    return None
