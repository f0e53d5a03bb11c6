"""Realistic refund cases for tests and benchmarks, deterministic for a given seed."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

VENDORS = ["Shenzhen Lianhua Trading Co.", "深圳市联华贸易有限公司", "株式会社サクラ商事", "Acme Supplies Ltd",
           "Nordic Paper AB", "Guangzhou Bright Ceramics"]
CUSTOMERS = ["Maria Gonzalez", "山田 太郎", "Oliver Smith", "Chen Wei"]
REASONS = ["DAMAGED", "WRONG_ITEM", "NOT_RECEIVED", "PRICE_ADJUSTMENT", "QUALITY", "OTHER"]
METHODS = ["bank_transfer", "card", "platform_balance"]


def make_case(i: int, *, prefix: str = "RF-2026-", tenant: str = "demo-qbo", seed: int = 7,
              **overrides: Any) -> dict[str, Any]:
    """Case number ``i`` as a case log would publish it (amounts as strings)."""
    rnd = random.Random(seed * 1_000_003 + i)
    kind = "vendor_refund" if i % 3 else "customer_refund"
    party = rnd.choice(VENDORS if kind == "vendor_refund" else CUSTOMERS)
    cents = rnd.randint(100, 250_000)
    case: dict[str, Any] = {
        "case_id": f"{prefix}{i:06d}",
        "kind": kind,
        "tenant": tenant,
        "order_number": f"KB-{80000 + i}",
        "party": {"name": party, "external_id": None},
        "currency": "USD",
        "amount": str(Decimal(cents).scaleb(-2)),
        "refund_date": f"2026-11-{1 + i % 28:02d}",
        "closed_at": f"2026-11-{1 + i % 28:02d}T09:{i % 60:02d}:00Z",
        "reason_code": rnd.choice(REASONS),
        "status": "closed",
        "payment": {"method": rnd.choice(METHODS), "transaction_id": f"PAY-{i}"},
        "original_document": f"BILL-{1000 + i % 50}" if kind == "vendor_refund" else None,
        "lines": [],
        "evidence": [],
        "revision": 1,
    }
    case.update(overrides)
    return case


def make_cases(n: int, start: int = 1, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for i in range(start, start + n):
        yield make_case(i, **kwargs)


CSV_HEADER = ["Case ID", "Kind", "Tenant", "Original Order #", "Vendor Name", "Refund Date", "Amount", "Currency",
              "Reason Code", "Status", "Payment Method", "Transaction ID", "Original Document", "Closed At"]


def write_csv(path: Path, cases: list[dict[str, Any]]) -> Path:
    """Cases as a spreadsheet would export them (one row per single-party case)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for c in cases:
            writer.writerow([c["case_id"], c["kind"], c["tenant"], c["order_number"] or "", c["party"]["name"],
                             c["refund_date"], c["amount"], c["currency"], c["reason_code"], c["status"],
                             (c["payment"] or {}).get("method", ""), (c["payment"] or {}).get("transaction_id", ""),
                             c["original_document"] or "", c["closed_at"]])
    return path
