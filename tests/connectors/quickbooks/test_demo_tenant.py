"""config/tenants.example.yaml's demo-qbo names only ids the sandbox's demo-qbo company has, with the same
names, so the demo and every test that posts its plans reference real accounts, items, classes, payment
methods and tax codes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import yaml

from connectors.sandbox.server import SandboxServer
from tests.connectors.quickbooks.support import QBO
from tests.support.connectors import EXAMPLE_TENANTS

ACCOUNT_KEYS = {"account", "ap_account", "bill_payment_account"}
QBO_OWN_TAX_CODES = {"TAX", "NON"}  # QuickBooks' codes for US companies; not TaxCode entities


def referenced_ids(mapping: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    """entity -> {id: name given in the tenants file (or None)}, from every place a mapping names an id."""
    found: dict[str, dict[str, str | None]] = defaultdict(dict)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ACCOUNT_KEYS and isinstance(value, dict):
                    found["Account"][str(value["id"])] = value.get("name")
                elif key == "item" and isinstance(value, dict):
                    found["Item"][str(value["id"])] = value.get("name")
                elif key == "qbo_payment_method":
                    found["PaymentMethod"][str(value)] = None
                elif key == "tax_code":
                    found["TaxCode"][str(value)] = None
                elif key == "class" and isinstance(value, dict):
                    for class_id in value.get("values", {}).values():
                        found["Class"][str(class_id)] = None
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(mapping)
    for code in mapping.get("tax", {}).get("codes", {}):
        found["TaxCode"][str(code)] = None
    return found


def test_every_id_demo_qbo_maps_to_exists_in_the_sandbox_company(sandbox: SandboxServer) -> None:
    raw = yaml.safe_load(EXAMPLE_TENANTS.read_text(encoding="utf-8"))["tenants"][QBO]
    assert raw["realm_id"] == sandbox.admin.company(QBO)["key"]
    referenced = referenced_ids(raw["mapping"])
    assert set(referenced) == {"Account", "Item", "PaymentMethod", "TaxCode", "Class"}
    assert len(referenced["Account"]) >= 8 and len(referenced["Item"]) == 3
    problems = []
    for entity, ids in referenced.items():
        if entity == "TaxCode":
            known = {d["body"]["Id"] for d in sandbox.admin.documents(QBO, entity)} | QBO_OWN_TAX_CODES
            problems += [f"TaxCode {i}" for i in ids if i not in known]
            continue
        bodies = {d["body"]["Id"]: d["body"] for d in sandbox.admin.documents(QBO, entity)}
        for doc_id, name in ids.items():
            body = bodies.get(doc_id)
            if body is None:
                problems.append(f"{entity} {doc_id} is not in the sandbox's {QBO}")
            elif body.get("Active") is False:
                problems.append(f"{entity} {doc_id} is inactive")
            elif name is not None and name != body.get("Name"):
                problems.append(f"{entity} {doc_id} is named {body.get('Name')!r} in the sandbox, {name!r} here")
    assert problems == []
