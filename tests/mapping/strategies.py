"""Hypothesis strategies: valid refund cases for the example tenants and variants of their tax settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from config.tenants import TenantConfig
from mapping.case import RefundCase
from mapping.currency import minor_units
from mapping.validation import validate_payload
from tests.mapping.helpers import tenant, tenant_variant

PARTIES = [
    {"name": "Shenzhen Lianhua Trading Co.", "external_id": None},
    {"name": "深圳市联华贸易有限公司（陶瓷部）", "external_id": None},
    {"name": "深圳市联华贸易有限公司(陶瓷部)", "external_id": None},
    {"name": "株式会社サクラ商事", "external_id": "V-2001"},
    {"name": "ｻｸﾗ商事", "external_id": None},
    {"name": "Acme: Supplies Ltd", "external_id": None},
    {"name": "Nordic Paper AB", "external_id": "V-1044"},
    {"name": "Émilie Dubois", "external_id": "C-7781"},
    {"name": "Guangzhou Bright Ceramics", "external_id": "V-1044"},
]
REASONS = ["DAMAGED", "WRONG_ITEM", "NOT_RECEIVED", "PRICE_ADJUSTMENT", "QUALITY", "OTHER", "UNLISTED_REASON"]
METHODS = ["bank_transfer", "card", "platform_balance"]
CASE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789-_./#:~ 注文番号"


@lru_cache(maxsize=1)
def tenants() -> tuple[TenantConfig, ...]:
    """The example tenants and variants that exercise every tax mode on both providers."""

    def qbo_tax(amounts: str) -> Any:
        def edit(m: dict[str, Any]) -> None:
            m["tax"] = {"amounts": amounts, "codes": {"NON": {"rate": "0"}, "TAX": {"rate": "8.875"}}}
            m["kinds"]["vendor_refund"]["tax_code"] = "TAX"
            m["kinds"]["vendor_refund"]["reasons"]["PRICE_ADJUSTMENT"]["tax_code"] = "NON"

        return edit

    def xero_exclusive(m: dict[str, Any]) -> None:
        m["tax"]["amounts"] = "exclusive"

    def xero_inclusive_without_rates(m: dict[str, Any]) -> None:
        m["tax"]["codes"] = {"NONE": None, "OUTPUT2": None, "INPUT2": None}

    return (
        tenant("demo-qbo"),
        tenant("demo-xero"),
        tenant_variant("demo-qbo", qbo_tax("exclusive")),
        tenant_variant("demo-qbo", qbo_tax("inclusive")),
        tenant_variant("demo-xero", xero_exclusive),
        tenant_variant("demo-xero", xero_inclusive_without_rates),
    )


def _amount(units: int, places: int) -> str:
    return f"{Decimal(units).scaleb(-places):f}" if places else str(units)


@st.composite
def cases(draw: st.DrawFn, *, postable: bool = True) -> tuple[RefundCase, TenantConfig]:
    """A valid case and the tenant to plan it with. ``postable``: amounts fit the provider's 2 decimals."""
    tenant_config = draw(st.sampled_from(tenants()))
    mapping = tenant_config.mapping
    currency = draw(st.sampled_from([tenant_config.home_currency, *mapping.currencies.accepted]))
    places = minor_units(currency)
    step = 10 ** max(places - 2, 0) if postable else 1  # KWD/BHD: whole cents only when postable
    n_lines = draw(st.integers(min_value=0, max_value=6))
    line_units = [draw(st.integers(min_value=1, max_value=10**9)) * step for _ in range(max(n_lines, 1))]
    lines = []
    for units in line_units[:n_lines]:
        lines.append({
            "description": draw(st.one_of(st.none(), st.text(alphabet="abc 陶器-", min_size=1, max_size=30).map(
                lambda s: s.strip() or "x"))),
            "amount": _amount(units, places),
            "party": draw(st.one_of(st.none(), st.sampled_from(PARTIES))),
            "account": draw(st.sampled_from([None, None, "shipping"])),
        })
    foreign = currency != tenant_config.home_currency
    kind = draw(st.sampled_from(["vendor_refund", "customer_refund"]))
    # A kind with strict_reasons refuses an unlisted reason by design (tested in test_plan); every case drawn
    # here must be plannable, so an unlisted reason is only drawn where the kind falls back to its default.
    strict = mapping.kinds[kind].strict_reasons if kind in mapping.kinds else False
    payload: dict[str, Any] = {
        "case_id": draw(st.text(alphabet=CASE_ID_ALPHABET, min_size=1, max_size=64).map(str.strip).filter(bool)),
        "kind": kind,
        "tenant": tenant_config.name,
        "order_number": draw(st.one_of(st.none(), st.integers(1, 10**8).map(lambda n: f"KB-{n}"))),
        "party": draw(st.sampled_from(PARTIES)),
        "currency": currency,
        "amount": _amount(sum(line_units), places),
        "refund_date": draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))).isoformat(),
        "closed_at": "2026-11-21T09:14:00Z",
        "reason_code": draw(st.sampled_from([r for r in REASONS if not (strict and r == "UNLISTED_REASON")])),
        "status": "closed",
        "payment": draw(st.one_of(st.none(), st.fixed_dictionaries({
            "method": st.sampled_from(METHODS),
            "transaction_id": st.one_of(st.none(), st.text(alphabet="ABC0123456789-_", min_size=1, max_size=40)),
        }))),
        "original_document": draw(st.one_of(st.none(), st.integers(1, 99999).map(lambda n: f"BILL-{n}"))),
        "lines": lines,
        "revision": draw(st.integers(min_value=1, max_value=1_000_000)),
        "exchange_rate": draw(st.one_of(st.none(), st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(
            1000), places=4).map(lambda d: f"{d:f}"))) if foreign else None,
    }
    check = validate_payload(payload)
    assert check.case is not None, check.errors
    return check.case, tenant_config
