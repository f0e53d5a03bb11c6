"""Seed files: the chart of accounts, tax codes, parties and open documents of sandbox companies.

A seed is YAML or JSON with a ``companies`` list. Each company is loaded through the same validation as
API writes, so a seed cannot hold a document the provider would refuse. Ids may be fixed in the file
(QBO ``Id``, Xero ``AccountID``/``ContactID``/...); missing Xero ids are derived from the tenant and the
code or name, so they are stable across runs. The default seed is ``seeds/demo.yaml``.
"""

from __future__ import annotations

import uuid
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from connectors.sandbox import wire
from connectors.sandbox.quickbooks.documents import QboBooks
from connectors.sandbox.quickbooks.entities import SPECS
from connectors.sandbox.quickbooks.faults import QboFault
from connectors.sandbox.quickbooks.times import company_zone, entity_time
from connectors.sandbox.state import SandboxState
from connectors.sandbox.store import QUICKBOOKS, XERO, Company
from connectors.sandbox.xero.books import XeroBooks
from connectors.sandbox.xero.contacts import save_contact
from connectors.sandbox.xero.dates import ms_date
from connectors.sandbox.xero.transactions import CREDIT_NOTE, INVOICE, create_document

QBO_SECTIONS = {
    "accounts": "Account",
    "tax_codes": "TaxCode",
    "tax_rates": "TaxRate",
    "classes": "Class",
    "payment_methods": "PaymentMethod",
    "items": "Item",
    "vendors": "Vendor",
    "customers": "Customer",
    "bills": "Bill",
    "invoices": "Invoice",
    "vendor_credits": "VendorCredit",
    "credit_memos": "CreditMemo",
    "payments": "Payment",
}
XERO_SECTIONS = ("accounts", "tax_rates", "tracking_categories", "contacts", "invoices", "credit_notes")
#: Seeded documents are dated this many sandbox days back: they are the company's existing books, so
#: change data capture and If-Modified-Since report only what changed after seeding.
SEED_AGE_DAYS = 31
COMMON_KEYS = {"name", "provider", "display_name", "preferences", "limits", "realm_id", "tenant_id"}


class SeedError(ValueError):
    """A seed file that cannot be loaded; the message names the company and the entry."""


def default_seed_text() -> str:
    return resources.files("connectors.sandbox").joinpath("seeds/demo.yaml").read_text("utf-8")


def read_seed(path: Path | str) -> dict[str, Any]:
    """A seed document from a YAML (.yaml/.yml) or JSON file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return parse_seed(text, json_format=path.suffix.lower() == ".json")


def parse_seed(text: str, json_format: bool = False) -> dict[str, Any]:
    try:
        data = wire.loads(text) if json_format else yaml.safe_load(text)
    except (yaml.YAMLError, wire.WireError) as exc:
        raise SeedError(f"seed is not valid {'JSON' if json_format else 'YAML'}: {exc}") from None
    return normalise_seed(data)


def normalise_seed(data: Any) -> dict[str, Any]:
    """Accept ``{"companies": [...]}`` or a single company object."""
    if isinstance(data, dict) and "companies" in data:
        companies = data["companies"]
    elif isinstance(data, dict) and "provider" in data:
        companies = [data]
    else:
        raise SeedError("a seed is an object with a 'companies' list (or one company object)")
    if not isinstance(companies, list) or not all(isinstance(c, dict) for c in companies):
        raise SeedError("'companies' must be a list of objects")
    return {"companies": [_plain(c) for c in companies]}


def _plain(value: Any) -> Any:
    """YAML gives dates and floats; the sandbox wants ISO strings and exact Decimals."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return wire.to_decimal(repr(value))
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    return value


def load_seed(state: SandboxState, seed: dict[str, Any]) -> list[Company]:
    """Create (or replace) every company of a normalised seed document."""
    loaded = []
    for raw in seed["companies"]:
        company = _company(state, raw)
        if company.provider == QUICKBOOKS:
            _seed_quickbooks(company, raw)
        else:
            _seed_xero(state, company, raw)
        _backdate(company, state.clock.now() - state.clock.days(SEED_AGE_DAYS))
        state.add_company(company)
        loaded.append(company)
    state.dirty = True
    return loaded


def _company(state: SandboxState, raw: dict[str, Any]) -> Company:
    provider = raw.get("provider")
    name = str(raw.get("name") or "")
    if provider not in (QUICKBOOKS, XERO):
        raise SeedError(f"company {name or '?'}: provider must be '{QUICKBOOKS}' or '{XERO}'")
    sections = set(QBO_SECTIONS) if provider == QUICKBOOKS else set(XERO_SECTIONS)
    unknown = sorted(set(raw) - COMMON_KEYS - sections)
    if unknown:
        raise SeedError(
            f"company {name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(COMMON_KEYS | sections))}"
        )
    key = str(raw.get("realm_id") if provider == QUICKBOOKS else raw.get("tenant_id") or "")
    if not key:
        raise SeedError(f"company {name}: needs {'realm_id' if provider == QUICKBOOKS else 'tenant_id'}")
    if not name:
        raise SeedError(f"company {key}: needs a name (e.g. demo-qbo)")
    company = Company(
        key=key,
        name=name,
        provider=provider,
        display_name=str(raw.get("display_name") or name),
        settings=state.settings,
        clock=state.clock,
        preferences=raw.get("preferences") or {},
    )
    if raw.get("limits"):
        try:
            company.set_limits(dict(raw["limits"]))
        except ValueError as exc:
            raise SeedError(f"company {name}: {exc}") from None
    return company


def _seed_quickbooks(company: Company, raw: dict[str, Any]) -> None:
    books = QboBooks(company)
    for section, entity in QBO_SECTIONS.items():
        for index, item in enumerate(raw.get(section) or []):
            try:
                books.seed(SPECS[entity], item)
            except QboFault as fault:
                raise SeedError(f"company {company.name}: {section}[{index}]: {fault}") from None


def stable_id(tenant: str, kind: str, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"refundsync-sandbox/{tenant}/{kind}/{key}"))


def _seed_xero(state: SandboxState, company: Company, raw: dict[str, Any]) -> None:
    books = XeroBooks(company, state)
    stamp = ms_date(state.clock.now())
    for item in raw.get("accounts") or []:
        body = {
            "AccountID": stable_id(company.key, "account", str(item.get("Code"))),
            "Status": "ACTIVE",
            "TaxType": "NONE",
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": False,
            "HasAttachments": False,
            "AddToWatchlist": False,
            **item,
            "UpdatedDateUTC": stamp,
        }
        body.setdefault("Class", _account_class(str(body.get("Type", ""))))
        if body.get("Type") == "BANK":
            body.setdefault("BankAccountType", "BANK")
        company.put("Account", body["AccountID"], body, origin="seed")
    for item in raw.get("tax_rates") or []:
        rate = wire.to_decimal(item.get("EffectiveRate", 0))
        body = {
            "Status": "ACTIVE",
            "CanApplyToAssets": True,
            "CanApplyToEquity": True,
            "CanApplyToExpenses": True,
            "CanApplyToLiabilities": True,
            "CanApplyToRevenue": True,
            "DisplayTaxRate": rate,
            "EffectiveRate": rate,
            "TaxComponents": [
                {"Name": item.get("Name", ""), "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}
            ],
            **item,
        }
        company.put("TaxRate", str(body["TaxType"]), body, origin="seed")
    for item in raw.get("tracking_categories") or []:
        category_id = item.get("TrackingCategoryID") or stable_id(company.key, "tracking", str(item["Name"]))
        options = [
            {
                "TrackingOptionID": o.get("TrackingOptionID")
                or stable_id(company.key, "option", f"{item['Name']}/{o['Name']}"),
                "Name": o["Name"],
                "Status": o.get("Status", "ACTIVE"),
            }
            for o in item.get("Options", [])
        ]
        body = {
            "TrackingCategoryID": category_id,
            "Name": item["Name"],
            "Status": item.get("Status", "ACTIVE"),
            "Options": options,
        }
        company.put("TrackingCategory", category_id, body, origin="seed")
    for index, item in enumerate(raw.get("contacts") or []):
        body, errors, stored = save_contact(books, {k: v for k, v in item.items() if k != "ContactID"}, False)
        if errors or stored is None:
            raise SeedError(f"company {company.name}: contacts[{index}]: {'; '.join(errors)}")
        fixed = str(item.get("ContactID") or stable_id(company.key, "contact", str(item["Name"])))
        doc = company.docs("Contact").pop(stored)
        doc.id = fixed
        doc.body["ContactID"] = fixed
        doc.origin = "seed"
        company.docs("Contact")[fixed] = doc
    for section, kind in (("invoices", INVOICE), ("credit_notes", CREDIT_NOTE)):
        for index, item in enumerate(raw.get(section) or []):
            number = str(item.get(kind.number_field) or index)
            fixed = str(item.get(kind.id_field) or stable_id(company.key, kind.entity, number))
            result = create_document(books, kind, {k: v for k, v in item.items() if k != kind.id_field}, fixed)
            if result.errors:
                raise SeedError(f"company {company.name}: {section}[{index}]: {'; '.join(result.errors)}")
            company.docs(kind.entity)[fixed].origin = "seed"


def _backdate(company: Company, epoch: float) -> None:
    zone = company_zone(company.preferences.get("timezone")) if company.provider == QUICKBOOKS else None
    for docs in company.documents.values():
        for doc in docs.values():
            doc.created = doc.updated = epoch
            if zone is not None and isinstance(doc.body.get("MetaData"), dict):
                stamp = entity_time(epoch, zone)
                doc.body["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
            elif "UpdatedDateUTC" in doc.body:
                doc.body["UpdatedDateUTC"] = ms_date(epoch)
    company.created = epoch


def _account_class(account_type: str) -> str:
    return {
        "BANK": "ASSET",
        "CURRENT": "ASSET",
        "FIXED": "ASSET",
        "INVENTORY": "ASSET",
        "NONCURRENT": "ASSET",
        "PREPAYMENT": "ASSET",
        "CURRLIAB": "LIABILITY",
        "LIABILITY": "LIABILITY",
        "TERMLIAB": "LIABILITY",
        "EQUITY": "EQUITY",
        "DIRECTCOSTS": "EXPENSE",
        "EXPENSE": "EXPENSE",
        "OVERHEADS": "EXPENSE",
        "DEPRECIATN": "EXPENSE",
        "REVENUE": "REVENUE",
        "SALES": "REVENUE",
        "OTHERINCOME": "REVENUE",
    }.get(account_type, "EXPENSE")
