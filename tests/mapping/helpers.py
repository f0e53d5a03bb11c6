"""Shared helpers of the mapping tests: the example tenants, case builders, the golden report form."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from config.tenants import TenantConfig, TenantsFile, load_tenants, parse_tenants
from mapping.case import RefundCase
from mapping.errors import MappingError
from mapping.plan import CasePlan, plan_case
from mapping.validation import validate_payload

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_TENANTS = REPO_ROOT / "config" / "tenants.example.yaml"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

BASE_CASE: dict[str, Any] = {
    "case_id": "RF-2026-000123",
    "kind": "vendor_refund",
    "tenant": "demo-qbo",
    "order_number": "KB-88213",
    "party": {"name": "Shenzhen Lianhua Trading Co.", "external_id": None},
    "currency": "USD",
    "amount": "42.50",
    "refund_date": "2026-11-20",
    "closed_at": "2026-11-21T09:14:00Z",
    "reason_code": "DAMAGED",
    "status": "closed",
    "payment": None,
    "original_document": None,
    "lines": [{"description": "2 ceramic mugs broken in transit", "amount": "42.50", "party": None, "account": None}],
    "evidence": [],
    "revision": 1,
}


@lru_cache(maxsize=1)
def example_tenants() -> TenantsFile:
    return load_tenants(EXAMPLE_TENANTS)


def tenant(name: str) -> TenantConfig:
    return example_tenants().get(name)


def raw_example() -> dict[str, Any]:
    """The example tenants file as plain data, to derive variants from."""
    import yaml

    return yaml.safe_load(EXAMPLE_TENANTS.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def tenant_variant(name: str, edit: Any) -> TenantConfig:
    """An example tenant after ``edit(mapping_dict)`` changed its raw mapping section."""
    raw = raw_example()
    body = copy.deepcopy(raw["tenants"][name])
    edit(body["mapping"])
    return parse_tenants({"tenants": {name: body}}).get(name)


def make_case(**overrides: Any) -> RefundCase:
    """A valid case: the base case with ``overrides`` (a ``lines=None`` override removes the lines)."""
    payload = copy.deepcopy(BASE_CASE)
    payload.update(overrides)
    if payload.get("lines") is None:
        payload["lines"] = []
    check = validate_payload(payload)
    assert check.case is not None, check.errors
    return check.case


def plan(**overrides: Any) -> CasePlan:
    case = make_case(**overrides)
    return plan_case(case, tenant(case.tenant))


def golden_report(case: RefundCase) -> dict[str, Any]:
    """Everything a plan says about a case, in the order a reviewer reads it (the golden file form)."""
    tenant_config = tenant(case.tenant)
    report: dict[str, Any] = {"case_id": case.case_id, "revision": case.revision, "tenant": case.tenant,
                              "provider": tenant_config.provider.value}
    try:
        result = plan_case(case, tenant_config)
    except MappingError as exc:
        return {**report, "ok": False, "error": exc.as_dict()}
    report.update(
        ok=True,
        error=None,
        notes=list(result.notes),
        original=None
        if result.original is None
        else {"type": result.original.type, "number": result.original.number,
              "lookup_field": result.original.lookup_field},
        parties=[
            {"index": p.index, "key": p.key, "name": p.party.name, "entity": p.entity, "match": list(p.match),
             "create_if_missing": p.create_if_missing, "create_payload": p.create_payload}
            for p in result.parties
        ],
        documents=[
            {"key": d.key, "role": d.role.value, "type": d.type, "path": d.path, "tag": d.tag,
             "reference": d.reference, "lookup_field": d.lookup_field,
             "depends_on": d.depends_on.value if d.depends_on else None,
             "placeholders": sorted(d.placeholders), "amount": d.amount, "currency": d.currency,
             "payload_hash": d.payload_hash, "payload": d.payload}
            for d in result.documents
        ],
    )
    return report
