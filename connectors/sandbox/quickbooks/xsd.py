"""Read Intuit's QBO XSD into the field table the sandbox uses to accept and shape entities.

QBO's JSON uses the XSD element names (and attributes as properties), so the schema answers two
questions at run time: which fields may a request contain (anything else is Intuit's 2010
"unsupported property" fault), and what is each field's type (money is parsed to Decimal, booleans
and dates checked). The table is generated once from ``tests/reference/qbo-xsd`` and shipped as
``qbo_schema.json``, because the reference folder is not part of the installed package; a test checks
the shipped table still equals what the XSD says.

    python -m connectors.sandbox.quickbooks.xsd tests/reference/qbo-xsd \
        > connectors/sandbox/quickbooks/qbo_schema.json
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

XS = "{http://www.w3.org/2001/XMLSchema}"

#: The entities the sandbox serves, plus the ones it reads back as company facts.
ROOT_TYPES = (
    "Vendor",
    "Customer",
    "Account",
    "TaxCode",
    "TaxRate",
    "Item",
    "Bill",
    "Invoice",
    "VendorCredit",
    "CreditMemo",
    "RefundReceipt",
    "Deposit",
    "BillPayment",
    "Payment",
    "Class",
    "PaymentMethod",
    "CompanyInfo",
    "Preferences",
)

_BUILTINS = {
    "string": "string",
    "token": "string",
    "normalizedString": "string",
    "anyURI": "string",
    "base64Binary": "string",
    "ID": "string",
    "IDREF": "string",
    "language": "string",
    "QName": "string",
    "decimal": "decimal",
    "double": "decimal",
    "float": "decimal",
    "boolean": "boolean",
    "date": "date",
    "dateTime": "dateTime",
    "time": "string",
    "duration": "string",
    "int": "integer",
    "integer": "integer",
    "long": "integer",
    "short": "integer",
    "byte": "integer",
    "positiveInteger": "integer",
    "nonNegativeInteger": "integer",
    "negativeInteger": "integer",
    "nonPositiveInteger": "integer",
    "unsignedInt": "integer",
    "unsignedLong": "integer",
    "unsignedShort": "integer",
    "anyType": "any",
    "anySimpleType": "string",
    "gYear": "string",
}


def _local(name: str | None) -> str:
    return (name or "").split(":")[-1]


class XsdTypes:
    """All complex and simple types of the XSD folder, by local name."""

    def __init__(self, folder: Path) -> None:
        self.complex: dict[str, ET.Element] = {}
        self.simple: dict[str, ET.Element] = {}
        for path in sorted(folder.glob("*.xsd")):
            root = ET.parse(path).getroot()
            for node in root.findall(f"{XS}complexType"):
                self.complex[node.get("name", "")] = node
            for node in root.findall(f"{XS}simpleType"):
                self.simple[node.get("name", "")] = node

    def kind(self, type_name: str | None) -> str:
        """A builtin kind for a simple type, or the complex type's name."""
        name = _local(type_name)
        if not name:
            return "any"
        if name in self.complex:
            return name
        seen: set[str] = set()
        while name in self.simple and name not in seen:
            seen.add(name)
            node = self.simple[name]
            restriction = node.find(f"{XS}restriction")
            if restriction is None:
                return "string"  # xs:list / xs:union: text on the wire
            name = _local(restriction.get("base"))
        return _BUILTINS.get(name, "string")

    def fields(self, type_name: str) -> dict[str, Any]:
        """``{"fields": {name: [kind, is_list]}, "value": kind | None}`` with inherited fields first."""
        node = self.complex[type_name]
        out: dict[str, list[Any]] = {}
        value: str | None = None
        for child in node:
            if child.tag == f"{XS}complexContent":
                ext = child.find(f"{XS}extension")
                if ext is not None:
                    base = self.fields(_local(ext.get("base")))
                    out.update(base["fields"])
                    value = base["value"]
                    self._collect(ext, out)
            elif child.tag == f"{XS}simpleContent":
                ext = child.find(f"{XS}extension")
                if ext is not None:
                    base_name = _local(ext.get("base"))
                    if base_name in self.complex:
                        base = self.fields(base_name)
                        out.update(base["fields"])
                        value = base["value"]
                    else:
                        value = self.kind(base_name)
                    self._collect(ext, out)
            else:
                self._collect_node(child, out)
        return {"fields": out, "value": value}

    def _collect(self, parent: ET.Element, out: dict[str, list[Any]]) -> None:
        for child in parent:
            self._collect_node(child, out)

    def _collect_node(self, node: ET.Element, out: dict[str, list[Any]]) -> None:
        if node.tag == f"{XS}element":
            name = node.get("name") or _local(node.get("ref"))
            if not name:
                return
            is_list = node.get("maxOccurs") not in (None, "1")
            kind = self.kind(node.get("type")) if node.get("type") else "any"
            out[name] = [kind, is_list]
        elif node.tag == f"{XS}attribute":
            attribute = node.get("name")
            if attribute:
                out[attribute] = [self.kind(node.get("type")), False]
        elif node.tag in (f"{XS}sequence", f"{XS}choice", f"{XS}all"):
            self._collect(node, out)


def build_table(folder: Path, roots: tuple[str, ...] = ROOT_TYPES) -> dict[str, Any]:
    """Field tables of the root types and every complex type reachable from them."""
    types = XsdTypes(folder)
    table: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in table or name not in types.complex:
            continue
        entry = types.fields(name)
        table[name] = entry
        for kind, _is_list in entry["fields"].values():
            if kind in types.complex and kind not in table:
                pending.append(kind)
    return {"roots": list(roots), "types": dict(sorted(table.items()))}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m connectors.sandbox.quickbooks.xsd <qbo-xsd folder>\n")
        return 2
    table = build_table(Path(argv[0]))
    sys.stdout.write(json.dumps(table, indent=1, sort_keys=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
