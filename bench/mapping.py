"""Cases mapped per second on one core: validated cases -> plan_case (documents, payloads, hashes).

    .venv/bin/python bench/mapping.py [--cases 20000] [--repeat 3]

The cases are realistic and deterministic: both demo tenants of config/tenants.example.yaml, both kinds,
home and foreign currencies (JPY, KWD/BHD, EUR), 0-4 lines with up to three vendors, payments and
original documents. Validation is done before timing (it is the intake's cost, measured by
bench/intake.py); the timed loop is exactly what the posting engine calls per case revision.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.tenants import load_tenants  # noqa: E402
from mapping.case import RefundCase  # noqa: E402
from mapping.plan import plan_case  # noqa: E402
from mapping.validation import validate_payload  # noqa: E402

VENDORS = ["Shenzhen Lianhua Trading Co.", "深圳市联华贸易有限公司", "株式会社サクラ商事", "ｻｸﾗ商事",
           "Acme Supplies Ltd", "Nordic Paper AB", "Guangzhou Bright Ceramics"]
CUSTOMERS = ["Maria Gonzalez", "山田 太郎", "Oliver Smith", "Chen Wei", "Émilie Dubois"]
REASONS = ["DAMAGED", "WRONG_ITEM", "NOT_RECEIVED", "PRICE_ADJUSTMENT", "QUALITY", "OTHER"]
METHODS = ["bank_transfer", "card", "platform_balance"]
CURRENCIES = {"demo-qbo": ["USD", "USD", "USD", "EUR", "JPY", "KWD", "CNY"],
              "demo-xero": ["GBP", "GBP", "GBP", "USD", "EUR", "JPY", "BHD"]}
PLACES = {"USD": 2, "EUR": 2, "GBP": 2, "CNY": 2, "JPY": 0, "KWD": 3, "BHD": 3}


def make_case(i: int) -> dict[str, Any]:
    rnd = random.Random(i)
    tenant = "demo-qbo" if i % 2 else "demo-xero"
    kind = "vendor_refund" if i % 3 else "customer_refund"
    names = VENDORS if kind == "vendor_refund" else CUSTOMERS
    currency = rnd.choice(CURRENCIES[tenant])
    places = PLACES[currency]
    step = 10 if places == 3 else 1  # whole cents for 3-decimal currencies: postable on both providers
    parts = [rnd.randint(1, 50_000) * step for _ in range(rnd.choice([0, 1, 1, 2, 3, 4]))]
    lines = [{"description": f"item {n}", "amount": _text(u, places),
              "party": {"name": rnd.choice(names), "external_id": None} if rnd.random() < 0.3 else None,
              "account": "shipping" if rnd.random() < 0.1 else None} for n, u in enumerate(parts, start=1)]
    total = sum(parts) if parts else rnd.randint(1, 50_000) * step
    return {
        "case_id": f"RF-2026-{i:06d}", "kind": kind, "tenant": tenant, "order_number": f"KB-{80000 + i}",
        "party": {"name": rnd.choice(names), "external_id": None}, "currency": currency,
        "amount": _text(total, places), "refund_date": f"2026-11-{1 + i % 28:02d}",
        "closed_at": "2026-11-21T09:14:00Z", "reason_code": rnd.choice(REASONS), "status": "closed",
        "payment": {"method": rnd.choice(METHODS), "transaction_id": f"PAY-{i}"} if rnd.random() < 0.5 else None,
        "original_document": f"BILL-{1000 + i % 50}" if rnd.random() < 0.3 else None,
        "lines": lines, "evidence": [], "revision": 1 + (i % 17 == 0),
    }


def _text(units: int, places: int) -> str:
    return f"{Decimal(units).scaleb(-places):f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best one is reported")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    tenants = load_tenants(ROOT / "config" / "tenants.example.yaml")
    cases: list[RefundCase] = []
    for i in range(1, args.cases + 1):
        check = validate_payload(make_case(i))
        assert check.case is not None, check.errors
        cases.append(check.case)
    pairs = [(case, tenants.get(case.tenant)) for case in cases]
    best = float("inf")
    documents = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        documents = 0
        for case, tenant in pairs:
            documents += len(plan_case(case, tenant).documents)
        best = min(best, time.perf_counter() - start)
    print(f"mapped {len(pairs)} cases ({documents} documents) in {best:.3f} s on one core: "
          f"{len(pairs) / best:,.0f} cases/s, {documents / best:,.0f} documents/s")


if __name__ == "__main__":
    main()
