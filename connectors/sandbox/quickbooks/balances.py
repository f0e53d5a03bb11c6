"""Balances that follow from other documents: what bill payments applied to bills and vendor credits,
and what a vendor or customer owes. Recomputed from the documents after every write that can move them,
so an edit, a void or a delete made through the admin API moves them the same way."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.quickbooks.entities import LINKED_TXN_TYPES, EntitySpec
from connectors.sandbox.store import Company


def after_write(
    company: Company, spec: EntitySpec, body: dict[str, Any] | None, previous: dict[str, Any] | None
) -> None:
    if spec.name in LINKED_TXN_TYPES:
        recompute_applied_balances(company, spec.name)
    if spec.name in ("Bill", "VendorCredit", "BillPayment"):
        recompute_party_balances(company, "Vendor", "VendorRef", ("Bill",), ("VendorCredit",))
    if spec.name in ("Invoice", "CreditMemo", "Payment"):
        recompute_party_balances(company, "Customer", "CustomerRef", ("Invoice",), ("CreditMemo",))


def recompute_applied_balances(company: Company, payment_entity: str) -> None:
    """Balances of what payments apply to (bills and vendor credits for bill payments, invoices and credit
    memos for payments) = total minus what live payments applied to them."""
    applied: dict[tuple[str, str], Decimal] = {}
    for payment in company.live(payment_entity):
        for line in payment.body.get("Line", []):
            for link in line.get("LinkedTxn", []):
                key = (str(link.get("TxnType")), str(link.get("TxnId")))
                applied[key] = applied.get(key, Decimal("0")) + wire.to_decimal(line.get("Amount", 0))
    for entity in LINKED_TXN_TYPES[payment_entity]:
        for doc in company.live(entity):
            balance = wire.to_decimal(doc.body.get("TotalAmt", 0)) - applied.get((entity, doc.id), Decimal("0"))
            if doc.body.get("Balance") != balance:
                doc.body["Balance"] = balance
                if "RemainingCredit" in doc.body:
                    doc.body["RemainingCredit"] = balance
                doc.updated = company.clock.now()


def recompute_party_balances(
    company: Company, party: str, ref: str, owed: tuple[str, ...], credits: tuple[str, ...]
) -> None:
    """A vendor's (customer's) Balance: open bills (invoices) minus open credits."""
    balances: dict[str, Decimal] = {}
    for entity, sign in [(e, 1) for e in owed] + [(e, -1) for e in credits]:
        for doc in company.live(entity):
            party_id = str((doc.body.get(ref) or {}).get("value", ""))
            amount = wire.to_decimal(doc.body.get("Balance", 0))
            balances[party_id] = balances.get(party_id, Decimal("0")) + sign * amount
    for doc in company.live(party):
        value = balances.get(doc.id, Decimal("0"))
        if doc.body.get("Balance") != value:
            doc.body["Balance"] = value
