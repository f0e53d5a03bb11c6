"""What the Xero connector tests share: a connected runtime against a sandbox, realistic cases for
demo-xero, and binding planned documents the way the posting engine does (sync/engine/flush.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from redis import Redis

from config.settings import Settings
from config.tenants import TenantConfig
from connectors.auth import TokenKeeper, TokenSet
from connectors.limits import FleetLimiter
from connectors.protocol import OutgoingDocument, PostOutcome, RemoteParty
from connectors.registry import ConnectorRuntime
from connectors.sandbox.server import SandboxServer
from connectors.xero.client import XeroClient
from mapping.case import RefundCase
from mapping.hashing import idempotency_key
from mapping.placeholders import CREDIT_ID, ORIGINAL_ID, PARTY_ID, bind
from mapping.plan import CasePlan, PlannedDocument, plan_case
from sync.engine.parties import PartyCache
from sync.intake import posting_id
from sync.ledger.db import session_factory, upgrade
from sync.ledger.token_store import LedgerTokenStore
from tests.mapping.helpers import make_case
from tests.support.connectors import sandbox_tokens

XERO = "demo-xero"
TENANT_ID = "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71"
SHENZHEN = "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b01"
BILL_1042 = "0c6f9a2b-3e4d-4f5a-8b6c-7d8e9f0a1042"
INV_2001 = "0c6f9a2b-3e4d-4f5a-8b6c-7d8e9f0a2001"


@dataclass(frozen=True)
class SharedRuntime:
    """Everything a worker process needs to build the same runtime as its siblings (picklable)."""

    redis_url: str
    database_url: str
    token_key: str
    base_url: str
    minute_seconds: float = 60.0
    http_timeout: float = 30.0

    @classmethod
    def create(cls, redis_url: str, folder: Path, base_url: str, **changes: Any) -> SharedRuntime:
        url = f"sqlite:///{folder / 'tokens.db'}"
        upgrade(url)
        return cls(redis_url, url, Fernet.generate_key().decode(), base_url, **changes)

    def runtime(self) -> ConnectorRuntime:
        store = LedgerTokenStore(session_factory(self.database_url), self.token_key)
        redis = Redis.from_url(self.redis_url)
        settings = Settings(database_url=self.database_url, broker_url=self.redis_url, token_key=self.token_key,
                            limit_minute_seconds=self.minute_seconds, http_timeout=self.http_timeout,
                            xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret")
        return ConnectorRuntime(TokenKeeper(redis, store), FleetLimiter(redis), settings)


def store_tokens(runtime: ConnectorRuntime, sandbox: SandboxServer, tenant: TenantConfig, *,
                 expires_in: float | None = None) -> TokenSet:
    """Tokens as `refundsync connect` leaves them (``expires_in`` overrides the lifetime, e.g. negative)."""
    tokens = sandbox_tokens(sandbox, tenant.name, expires_in=expires_in)
    runtime.keeper.store.save(tenant.name, tenant.provider.value, tokens, expected_version=None)
    return tokens


# --- realistic cases for demo-xero ---------------------------------------------------------------------


def xero_case(case_id: str, **overrides: Any) -> RefundCase:
    return make_case(**{"tenant": XERO, "currency": "USD", "case_id": case_id, **overrides})


def vendor_cash_refund(case_id: str = "RF-2026-000501") -> RefundCase:
    """A supplier refunds damaged lanterns by bank transfer: ACCPAYCREDIT + Payment into 090."""
    return xero_case(case_id, party={"name": "Shenzhen Lianhua Trading Co.", "external_id": None},
                     amount="118.40", order_number="KB-90211", reason_code="DAMAGED",
                     payment={"method": "bank_transfer", "transaction_id": "SWIFT-20261120-0042"},
                     lines=[{"description": "4 lanterns cracked in transit", "amount": "98.40", "party": None,
                             "account": None},
                            {"description": "freight for the cracked lanterns", "amount": "20.00", "party": None,
                             "account": "shipping"}])


def vendor_credit_on_bill(case_id: str = "RF-2026-000502") -> RefundCase:
    """A price adjustment from the same supplier, applied to its open bill BILL-1042: + Allocation."""
    return xero_case(case_id, party={"name": "Shenzhen Lianhua Trading Co.", "external_id": None},
                     amount="120.00", reason_code="PRICE_ADJUSTMENT", original_document="BILL-1042",
                     lines=[{"description": "price adjustment PO-7781", "amount": "120.00", "party": None,
                             "account": None}])


def customer_card_refund_eur(case_id: str = "RF-2026-000503") -> RefundCase:
    """A new EU customer refunded to their card, VAT included: ACCRECCREDIT (EUR) + Payment from 091."""
    return xero_case(case_id, kind="customer_refund", currency="EUR", amount="64.90", reason_code="WRONG_ITEM",
                     party={"name": "Émilie Dubois", "external_id": "C-7781"},
                     payment={"method": "card", "transaction_id": "ch_3QaEUR2026"},
                     lines=[{"description": "wrong colour, returned", "amount": "64.90", "party": None,
                             "account": None}])


def customer_credit_on_invoice(case_id: str = "RF-2026-000504") -> RefundCase:
    """Store credit for Northwind applied to its open invoice INV-2001: ACCRECCREDIT + Allocation."""
    return xero_case(case_id, kind="customer_refund", amount="45.00", reason_code="DAMAGED",
                     party={"name": "Northwind Retail Inc.", "external_id": None}, original_document="INV-2001",
                     lines=[{"description": "1 x LX-200 dented", "amount": "45.00", "party": None, "account": None}])


def vendor_multi_jpy(case_id: str = "RF-2026-000505") -> RefundCase:
    """One order, two Japanese suppliers (one new), JPY, shipping on its own account: 2 credit notes."""
    return xero_case(case_id, currency="JPY", amount="23500", reason_code="QUALITY",
                     party={"name": "株式会社サクラ商事", "external_id": None},
                     lines=[{"description": "色むら 皿 10枚", "amount": "15000",
                             "party": {"name": "株式会社サクラ商事", "external_id": None}, "account": None},
                            {"description": "送料", "amount": "1500",
                             "party": {"name": "株式会社サクラ商事", "external_id": None}, "account": "shipping"},
                            {"description": "箸置き 欠け", "amount": "7000",
                             "party": {"name": "株式会社　山田陶器", "external_id": "JP-V-0031"}, "account": None}])


# --- binding like the engine ---------------------------------------------------------------------------


@dataclass
class Poster:
    """Resolves parties (the engine's PartyCache over list_parties/create_party), binds, posts."""

    client: XeroClient
    parties: PartyCache = field(default_factory=PartyCache)
    credit_ids: dict[tuple[str, str], str] = field(default_factory=dict)

    def outgoing(self, plan: CasePlan, doc: PlannedDocument, *, ref: str | None = None) -> OutgoingDocument:
        values: dict[str, str] = {}
        if PARTY_ID in doc.placeholders:
            party_plan = next(p for p in plan.parties if p.key == doc.party_key)
            values[PARTY_ID] = self.parties.resolve(self.client, party_plan, "Xero").id
        if CREDIT_ID in doc.placeholders:
            values[CREDIT_ID] = self.credit_ids[(plan.case_id, doc.party_key)]
        if ORIGINAL_ID in doc.placeholders:
            assert plan.original is not None
            original = self.client.outstanding(plan.original.type, plan.original.lookup_field, plan.original.number)
            assert original is not None and original.balance >= doc.amount
            values[ORIGINAL_ID] = original.remote_id
        ref = ref or posting_id(XERO, plan.case_id, plan.revision, doc.role.value, doc.party_key)
        return OutgoingDocument(ref=ref, type=doc.type, path=bind(doc.path, values), payload=bind(doc.payload, values),
                                tag=doc.tag, lookup_field=doc.lookup_field,
                                idempotency_key=idempotency_key(ref, doc.payload_hash, "xero"))

    def post(self, items: Sequence[tuple[CasePlan, PlannedDocument]]) -> list[PostOutcome]:
        outgoing = [self.outgoing(plan, doc) for plan, doc in items]
        outcomes = self.client.post(outgoing)
        assert [o.ref for o in outcomes] == [d.ref for d in outgoing]
        for (plan, doc), outcome in zip(items, outcomes, strict=True):
            if outcome.created is not None and doc.depends_on is None:
                self.credit_ids[(plan.case_id, doc.party_key)] = outcome.created.remote_id
        return outcomes


def plans(tenant: TenantConfig, cases: Sequence[RefundCase]) -> list[CasePlan]:
    return [plan_case(c, tenant) for c in cases]


def credits_of(plans_: Sequence[CasePlan]) -> list[tuple[CasePlan, PlannedDocument]]:
    return [(p, d) for p in plans_ for d in p.documents if d.depends_on is None]


def follow_ups_of(plans_: Sequence[CasePlan]) -> list[tuple[CasePlan, PlannedDocument]]:
    return [(p, d) for p in plans_ for d in p.documents if d.depends_on is not None]


def party_named(parties: Sequence[RemoteParty], name: str) -> RemoteParty:
    return next(p for p in parties if p.name == name)


# --- reading the sandbox's own view ---------------------------------------------------------------------


def xero_requests(sandbox: SandboxServer, since: int = 0) -> list[dict[str, Any]]:
    return sandbox.admin.requests(provider="xero", since=since)


def writes(sandbox: SandboxServer, since: int = 0) -> list[dict[str, Any]]:
    return [r for r in xero_requests(sandbox, since) if r["method"] in ("PUT", "POST", "DELETE")]


def token_calls(sandbox: SandboxServer, since: int = 0) -> list[dict[str, Any]]:
    return [r for r in sandbox.admin.requests(provider="oauth", since=since) if r["path"].endswith("/connect/token")]


def stored(sandbox: SandboxServer, entity: str) -> Iterator[dict[str, Any]]:
    for doc in sandbox.admin.documents(XERO, entity, include_deleted=True):
        yield doc["body"]


def dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, indent=1)
