"""Four sandbox companies for the scale tests and the throughput benchmark: the two demo companies and a
second QuickBooks and a second Xero company cloned from them (same chart of accounts and parties, so the
demo mappings of config/tenants.example.yaml post into them unchanged; a realm / tenant id of their own,
so each has its own rate budget at the provider and in our limiter).
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

from connectors.sandbox.seeds import default_seed_text, parse_seed
from tests.support.connectors import sandbox_tenants, sandbox_tokens

#: The clones: name -> (the demo company it copies, its own realm / tenant id).
SECOND_COMPANIES: dict[str, tuple[str, str]] = {
    "demo-qbo-2": ("demo-qbo", "9130355377389517"),
    "demo-xero-2": ("demo-xero", "0b7e4c1d-2f3a-4b5c-8d6e-7f8091a2b3c4"),
}
#: Every tenant of the fleet and its provider.
FLEET: dict[str, str] = {"demo-qbo": "quickbooks", "demo-qbo-2": "quickbooks", "demo-xero": "xero",
                         "demo-xero-2": "xero"}


def second_companies_seed() -> dict[str, Any]:
    """A seed document with the two clones (load it with ``sandbox.admin.seed`` or ``running_sandbox(seeds=)``)."""
    demo = {c["name"]: c for c in parse_seed(default_seed_text())["companies"]}
    companies = []
    for name, (source, key) in SECOND_COMPANIES.items():
        company = copy.deepcopy(demo[source])
        company["name"] = name
        company["display_name"] = f"{company['display_name']} #2"
        company["realm_id" if company["provider"] == "quickbooks" else "tenant_id"] = key
        companies.append(company)
    return {"companies": companies}


def fleet_seeds() -> list[dict[str, Any]]:
    """The demo seed plus the clones, for ``running_sandbox(seeds=...)``."""
    return [parse_seed(default_seed_text()), second_companies_seed()]


def fleet_tenants(base_url: str, path: Path) -> Path:
    """A tenants file with all four companies pointed at the sandbox (the clones map like their source)."""
    copies = {name: (source, {"realm_id" if FLEET[source] == "quickbooks" else "tenant_id": key})
              for name, (source, key) in SECOND_COMPANIES.items()}
    sandbox_tenants(base_url, path, copies=copies)
    return path


def connect_fleet(sandbox: Any, store: Any, tenants: dict[str, str] = FLEET) -> None:
    """Tokens for every tenant in the ledger's token store, as if each had run `refundsync connect`."""
    for tenant, provider in tenants.items():
        store.save(tenant, provider, sandbox_tokens(sandbox, tenant), expected_version=None)


def tag_field(provider: str) -> str:
    """Where refundsync's tag sits in a document's body (QBO DocNumber, Xero Reference)."""
    return "DocNumber" if provider == "quickbooks" else "Reference"


def books_by_tag(sandbox: Any, tenant: str, entities: set[str]) -> dict[str, Counter[str]]:
    """Per entity, how many live API-created documents carry each tag in ``tenant``'s sandbox books."""
    field = tag_field(FLEET[tenant])
    return {entity: Counter(str(d["body"].get(field)) for d in sandbox.admin.documents(tenant, entity=entity,
                                                                                       origin="api"))
            for entity in entities}
