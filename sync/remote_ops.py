"""The remote half of the operator commands: read or void a case's documents in the tenant's books.

`refundsync link`, `unpost` and `show` run in the operator's process, not in a worker, so they build a
tenant client the way a worker does (:func:`sync.engine.runtime.connector_runtime`: the token keeper on
the ledger's token store, the fleet limiter on Redis). Their calls therefore share the tenant's rate
budget and token refreshes with every running worker. The ledger decisions stay in :mod:`sync.ops`;
this module never holds a ledger transaction across a network call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from config.settings import get_settings
from config.tenants import Provider, TenantConfig, load_tenants
from connectors.auth import ConnectionBroken
from connectors.protocol import CallFailed, RemoteDocument, RemoteStatus, TenantClient
from connectors.registry import build_client
from mapping.case import CaseKind, RefundCase
from mapping.errors import MappingError
from mapping.parties import party_key
from mapping.plan import plan_case
from sync.ledger.token_store import TokenKeyMissing

#: What an operator's remote call may fail with, each with a reason a person can act on.
REMOTE_FAILURES = (CallFailed, ConnectionBroken, TokenKeyMissing)


def tenant_config(name: str) -> TenantConfig:
    """The tenant's block of the tenants file (raises ConfigError naming the known tenants)."""
    return load_tenants(Path(get_settings().tenants_file)).get(name)


def tenant_client(config: TenantConfig) -> TenantClient:
    """A client for one tenant in this process, sharing limits and tokens with the workers."""
    from sync.engine.runtime import connector_runtime

    return build_client(config, connector_runtime(get_settings()))


@dataclass(frozen=True)
class Failure:
    """A remote call that did not work, as the attempt row and the operator see it."""

    reason: str
    classification: str | None = None
    http_status: int | None = None
    provider_code: str | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "classification": self.classification, "http_status": self.http_status,
                "provider_code": self.provider_code}


def failure(exc: BaseException) -> Failure:
    """The classified reason of a failed call (never a secret: tokens are not part of any of these)."""
    if isinstance(exc, CallFailed):
        error = exc.error
        return Failure(exc.classification.reason, exc.classification.action.value, error.status, error.code,
                       json.dumps({"message": error.message, "detail": error.detail}, ensure_ascii=False)[:4000])
    if isinstance(exc, ConnectionBroken):
        return Failure(f"{exc.reason}; run `refundsync connect {exc.tenant}`", "reconnect")
    return Failure(str(exc), "config")


def fetch(client: TenantClient, type_: str, remote_id: str) -> RemoteDocument | Failure | None:
    """The document as the books have it now; None if there is no such document; a Failure if unreadable."""
    try:
        return client.get(type_, remote_id)
    except REMOTE_FAILURES as exc:
        return failure(exc)


def void(client: TenantClient, type_: str, remote_id: str) -> RemoteDocument | Failure:
    """Take the document out of the books the way the provider allows (void, or delete where QBO has no
    void); a document already voided or deleted is answered without a write."""
    try:
        return client.void(type_, remote_id)
    except REMOTE_FAILURES as exc:
        return failure(exc)


def describe(document: RemoteDocument) -> dict[str, Any]:
    """The remote document in the terms `show` and `link` print."""
    return {"type": document.type, "remote_id": document.remote_id, "number": document.number,
            "reference": document.reference, "status": document.status.value,
            "amount": str(document.amount) if document.amount is not None else None,
            "currency": document.currency, "party": document.party_name,
            "date": document.date.isoformat() if document.date else None, "version": document.version,
            "updated_at": document.updated_at.isoformat() if document.updated_at else None}


# --- link: what the case says the document should be --------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The credit the case asks for, in the terms a hand-keyed document is checked against."""

    types: tuple[str, ...]  # the document type(s) it may be; tried in this order
    amount: Decimal
    currency: str
    party: str


def expected_credit(payload: str, config: TenantConfig, party_key_: str, party_name: str) -> Expected:
    """From the case revision; if the case cannot be mapped (the reason a person keyed it by hand, e.g. an
    unmapped reason code), from the case itself: the party's lines (or the amount) and its currency."""
    case = RefundCase.model_validate_json(payload)
    try:
        plan = plan_case(case, config)
        document = next(d for d in plan.documents if d.party_key == party_key_ and d.role.value == "credit")
        return Expected((document.type,), document.amount, document.currency, party_name)
    except (MappingError, StopIteration):
        pass
    if case.lines:
        amount = sum((ln.amount for ln in case.lines if party_key(ln.party or case.party) == party_key_), Decimal(0))
    else:
        amount = case.amount
    if config.provider is Provider.XERO:
        types: tuple[str, ...] = ("CreditNote",)
    elif case.kind is CaseKind.VENDOR_REFUND:
        types = ("VendorCredit",)
    else:
        types = ("CreditMemo", "RefundReceipt")
    return Expected(types, amount, case.currency, party_name)


def find_expected(client: TenantClient, expected: Expected, remote_id: str
                  ) -> tuple[RemoteDocument | None, Failure | None]:
    """The hand-keyed document, read as each type the case allows until one exists."""
    for type_ in expected.types:
        found = fetch(client, type_, remote_id)
        if isinstance(found, Failure):
            return None, found
        if found is not None:
            return found, None
    return None, None


def differences(expected: Expected, remote: RemoteDocument) -> list[str]:
    """What differs between the case and the document (empty: the document is the case's credit)."""
    found: list[str] = []
    if remote.amount is None or remote.amount != expected.amount:
        found.append(f"amount: the case says {expected.amount}, the document {remote.amount}")
    if remote.currency and remote.currency.upper() != expected.currency.upper():
        found.append(f"currency: the case says {expected.currency}, the document {remote.currency}")
    if (remote.party_name or "").strip().casefold() != expected.party.strip().casefold():
        found.append(f"party: the case says {expected.party!r}, the document {remote.party_name!r}")
    return found


def unusable(remote: RemoteDocument | None, remote_id: str, expected: Expected, tenant: str) -> str | None:
    """Why the document can never be linked (even with --force), or None."""
    if remote is None:
        return f"there is no {' or '.join(expected.types)} {remote_id} in tenant {tenant}'s books"
    if remote.status is not RemoteStatus.ACTIVE:
        return f"{remote.type} {remote_id} is {remote.status.value} in tenant {tenant}'s books"
    return None
