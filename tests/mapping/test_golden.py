"""Golden files: realistic cases and the exact plans they produce, compared byte for byte.

Each ``golden/cases/<name>.json`` is a case as a case log publishes it; ``golden/expected/<name>.json``
is the full plan (documents, payloads, tags, hashes) or the mapping error, written by
:func:`tests.mapping.helpers.golden_report` with :func:`mapping.wire.dumps` (amounts as JSON numbers).

To regenerate after an intended change, run
``REFUNDSYNC_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/mapping/test_golden.py`` and review the diff
(``git diff tests/mapping/golden``) before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mapping.validation import validate_payload
from mapping.wire import dumps
from tests.mapping.helpers import GOLDEN_DIR, golden_report

CASES = sorted((GOLDEN_DIR / "cases").glob("*.json"))
REGENERATE = os.environ.get("REFUNDSYNC_REGEN_GOLDEN") == "1"


def render(case_file: Path) -> str:
    check = validate_payload(case_file.read_text(encoding="utf-8"))
    assert check.case is not None, f"{case_file.name} is not a valid case: {check.reason}"
    return dumps(golden_report(check.case), indent=2) + "\n"


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_plan_matches_golden_file(case_file: Path) -> None:
    expected_file = GOLDEN_DIR / "expected" / case_file.name
    actual = render(case_file)
    if REGENERATE:
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.exists(), f"no golden file for {case_file.name}; regenerate (see module docstring)"
    assert actual == expected_file.read_text(encoding="utf-8")


def test_golden_set_covers_what_the_issue_asks_for() -> None:
    """At least 12 cases, both kinds on both providers, and each named scenario at least once."""
    reports = [json.loads(render(c)) for c in CASES]
    assert len(reports) >= 12
    ok = [r for r in reports if r["ok"]]
    types = {(r["provider"], d["type"]) for r in ok for d in r["documents"]}
    for pair in [("quickbooks", "VendorCredit"), ("quickbooks", "Deposit"), ("quickbooks", "BillPayment"),
                 ("quickbooks", "RefundReceipt"), ("quickbooks", "CreditMemo"), ("quickbooks", "Payment"),
                 ("xero", "CreditNote"), ("xero", "Payment"), ("xero", "Allocation")]:
        assert pair in types, pair
    kinds = {(r["provider"], json.loads((GOLDEN_DIR / "cases" / f).read_text())["kind"])
             for r, f in zip(reports, [c.name for c in CASES], strict=True)}
    assert kinds >= {("quickbooks", "vendor_refund"), ("quickbooks", "customer_refund"),
                     ("xero", "vendor_refund"), ("xero", "customer_refund")}
    assert any(len(r["parties"]) >= 3 for r in ok), "a multi-vendor order"
    currencies = {d["currency"] for r in ok for d in r["documents"]}
    assert {"JPY", "KWD", "BHD"} <= currencies
    names = " ".join(p["name"] for r in ok for p in r["parties"])
    assert "深圳" in names and "サクラ" in names, "Chinese and Japanese vendor names"
    assert any("~h" in (d["tag"] or "") for r in ok for d in r["documents"]), "a case id too long for DocNumber"
    assert any(d["type"] == "RefundReceipt" for r in ok for d in r["documents"]), "cash refund"
    assert any(d["type"] == "CreditMemo" for r in ok for d in r["documents"]), "store credit"
    assert any(r["original"] for r in ok), "application to an original document"
    assert any(not r["ok"] for r in reports), "a case that cannot be posted"
