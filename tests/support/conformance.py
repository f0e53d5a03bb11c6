"""Conformance checks of wire bodies against the providers' own schemas.

- Xero: the OpenAPI 3.0 spec (``xero_accounting.yaml``). Its component schemas become JSON Schema
  (``nullable`` handled, ``$ref`` resolved); in strict mode every object also forbids properties the spec
  does not name, so a misspelt field fails instead of passing silently.
- QuickBooks: Intuit's XSD. An entity body may use only element (and attribute) names that its
  complexType defines, including everything inherited through ``xs:extension``; nested objects are
  checked against their own element types, recursively.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from functools import lru_cache
from typing import Any

import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from tests.support.reference import reference_dir

XS = "{http://www.w3.org/2001/XMLSchema}"

# ---------------------------------------------------------------------------------------------- Xero


@lru_cache(maxsize=1)
def _xero_components() -> dict[str, Any]:
    path = reference_dir() / "xero_accounting.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as fh:
        spec = yaml.load(fh, Loader=loader)
    return spec["components"]["schemas"]  # type: ignore[no-any-return]


def _to_json_schema(node: Any, strict: bool) -> Any:
    if isinstance(node, list):
        return [_to_json_schema(n, strict) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v, strict) for k, v in node.items() if k not in {"example", "externalDocs"}}
    if "$ref" in out:
        return {"$ref": out["$ref"].replace("#/components/schemas/", "urn:xero:")}
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    if strict and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


@lru_cache(maxsize=2)
def _xero_registry(strict: bool) -> Registry:
    resources = []
    for name, schema in _xero_components().items():
        converted = _to_json_schema(copy.deepcopy(schema), strict)
        converted["$schema"] = "http://json-schema.org/draft-07/schema#"
        converted["$id"] = f"urn:xero:{name}"
        resources.append((f"urn:xero:{name}", Resource.from_contents(converted)))
    return Registry().with_resources(resources)


def xero_component_names() -> list[str]:
    return sorted(_xero_components())


def xero_schema_errors(component: str, body: Any, *, strict: bool = True) -> list[str]:
    """Every way ``body`` breaks the spec's component schema ``component`` (empty list: conforms).

    ``body`` may hold Decimals (they are JSON numbers). With ``strict``, properties the spec does not
    define for an object are errors too.
    """
    if component not in _xero_components():
        raise KeyError(f"no component schema named {component!r} in xero_accounting.yaml")
    registry = _xero_registry(strict)
    validator = Draft7Validator({"$ref": f"urn:xero:{component}"}, registry=registry)
    errors = []
    for err in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        errors.append(f"{component}{path}: {err.message}")
    return errors


# ------------------------------------------------------------------------------------- QuickBooks


class _Xsd:
    """The complexTypes of Intuit's schema with their full (inherited) element and attribute names."""

    def __init__(self) -> None:
        self.types: dict[str, ET.Element] = {}
        self.root_elements: dict[str, str] = {}
        for name in ("IntuitBaseTypes.xsd", "IntuitNamesTypes.xsd", "Finance.xsd", "IntuitRestServiceDef.xsd",
                     "SalesTax.xsd", "Report.xsd"):
            tree = ET.parse(reference_dir() / "qbo-xsd" / name)
            for node in tree.getroot():
                if node.tag == f"{XS}complexType" and node.get("name"):
                    self.types[node.attrib["name"]] = node
                elif node.tag == f"{XS}element" and node.get("name") and node.get("type"):
                    self.root_elements[node.attrib["name"]] = _local(node.attrib["type"])
        self._fields: dict[str, dict[str, str | None]] = {}

    def fields(self, type_name: str) -> dict[str, str | None]:
        """name -> complexType name of the child (None for simple values), inheritance included."""
        if type_name not in self._fields:
            self._fields[type_name] = self._collect(self.types[type_name])
        return self._fields[type_name]

    def _collect(self, node: ET.Element) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for child in node:
            tag = child.tag
            if tag in {f"{XS}complexContent", f"{XS}simpleContent"}:
                for ext in child:
                    if ext.tag in {f"{XS}extension", f"{XS}restriction"}:
                        base = _local(ext.attrib.get("base", ""))
                        if base in self.types:
                            out.update(self.fields(base))
                        elif tag == f"{XS}simpleContent":
                            out["value"] = None
                        out.update(self._collect(ext))
            elif tag in {f"{XS}sequence", f"{XS}choice", f"{XS}all"}:
                out.update(self._collect(child))
            elif tag == f"{XS}element":
                name = child.get("name") or _local(child.get("ref", ""))
                ctype = _local(child.get("type", "")) if child.get("type") else None
                if name and not ctype and child.get("ref"):
                    ctype = self.root_elements.get(name)
                out[name] = ctype if ctype in self.types else None
            elif tag == f"{XS}attribute":
                name = child.get("name")
                if name:
                    out[name] = None
        return out


def _local(qname: str) -> str:
    return qname.split(":", 1)[-1]


@lru_cache(maxsize=1)
def _xsd() -> _Xsd:
    return _Xsd()


def qbo_entity_names() -> list[str]:
    return sorted(_xsd().root_elements)


def qbo_unknown_elements(entity: str, body: Any) -> list[str]:
    """Names in a QBO JSON body that Intuit's XSD does not define for ``entity`` (empty list: conforms).

    ``body`` is the entity object, or the wrapper ``{"VendorCredit": {...}}``.
    """
    xsd = _xsd()
    type_name = xsd.root_elements.get(entity, entity)
    if type_name not in xsd.types:
        raise KeyError(f"Intuit's schema has no entity or type named {entity!r}")
    if isinstance(body, dict) and set(body) == {entity}:
        body = body[entity]
    problems: list[str] = []
    _walk(xsd, type_name, body, entity, problems)
    return problems


def _walk(xsd: _Xsd, type_name: str, body: Any, path: str, problems: list[str]) -> None:
    if isinstance(body, list):
        for i, item in enumerate(body):
            _walk(xsd, type_name, item, f"{path}[{i}]", problems)
        return
    if not isinstance(body, dict):
        return
    fields = xsd.fields(type_name)
    for key, value in body.items():
        if key not in fields:
            problems.append(f"{path}.{key}: not an element of {type_name} in Intuit's schema")
            continue
        child_type = fields[key]
        if child_type is not None:
            _walk(xsd, child_type, value, f"{path}.{key}", problems)


