"""`refundsync preview`: exact payloads per case, or why a case cannot be posted; no network, no ledger."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from mapping.wire import dumps
from sync.cli import app
from tests.mapping.helpers import BASE_CASE, EXAMPLE_TENANTS, GOLDEN_DIR

runner = CliRunner()


def write_cases(tmp_path: Path) -> Path:
    good = dict(BASE_CASE, payment={"method": "bank_transfer", "transaction_id": "PAY-7781"})
    unmapped = dict(BASE_CASE, case_id="RF-2026-000200", currency="BRL")
    invalid = dict(BASE_CASE, case_id="RF-2026-000201", amount="42.505")
    unknown_tenant = dict(BASE_CASE, case_id="RF-2026-000202", tenant="demo-sage")
    xero = json.loads((GOLDEN_DIR / "cases" / "15-xero-customer-store-credit-vat.json").read_text(encoding="utf-8"))
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in [good, unmapped, invalid, unknown_tenant,
                                                                          xero]) + "\n", encoding="utf-8")
    return path


def test_json_preview_lists_every_case_with_exact_payloads_or_the_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["preview", str(write_cases(tmp_path)), "--tenants", str(EXAMPLE_TENANTS), "--json"])
    assert result.exit_code == 1, result.output  # some cases cannot be posted
    items = json.loads(result.stdout, parse_float=Decimal)
    assert [set(i) for i in items] == [{"case_id", "tenant", "provider", "ok", "error", "documents"}] * 5
    good, unmapped, invalid, unknown, xero = items
    assert good["ok"] and good["error"] is None and good["provider"] == "quickbooks"
    assert [d["type"] for d in good["documents"]] == ["VendorCredit", "Deposit"]
    assert [set(d) for d in good["documents"]] == [{"type", "tag", "payload", "payload_hash"}] * 2
    assert good["documents"][0]["tag"] == "RF-2026-000123" and good["documents"][1]["tag"] == "RF-2026-000123~p"
    assert good["documents"][0]["payload"]["Line"][0]["Amount"] == Decimal("42.50")
    assert '"Amount": 42.50' in result.stdout  # a JSON number with its exact digits, as on the wire
    assert unmapped["ok"] is False and unmapped["error"].startswith("CURRENCY_NOT_ACCEPTED: currency BRL")
    assert unmapped["provider"] == "quickbooks" and unmapped["documents"] == []
    assert invalid["ok"] is False and "more decimals than USD allows" in invalid["error"]
    assert invalid["case_id"] == "RF-2026-000201"
    assert unknown["ok"] is False and "tenant 'demo-sage'" in unknown["error"]
    assert xero["ok"] and xero["provider"] == "xero" and xero["documents"][0]["type"] == "CreditNote"
    golden = json.loads((GOLDEN_DIR / "expected" / "15-xero-customer-store-credit-vat.json").read_text(
        encoding="utf-8"), parse_float=Decimal)
    assert xero["documents"][0]["payload"] == golden["documents"][0]["payload"]
    assert xero["documents"][0]["payload_hash"] == golden["documents"][0]["payload_hash"]


def test_text_preview_shows_documents_notes_and_reasons(tmp_path: Path) -> None:
    result = runner.invoke(app, ["preview", str(write_cases(tmp_path)), "--tenants", str(EXAMPLE_TENANTS)])
    assert result.exit_code == 1
    out = result.stdout
    assert "ok RF-2026-000123 -> demo-qbo (quickbooks): 2 document(s)" in out
    assert "credit: VendorCredit tag=RF-2026-000123 sha256=" in out
    assert "refund: Deposit tag=RF-2026-000123~p" in out and "after credit" in out
    assert "cannot post RF-2026-000200 -> demo-qbo: CURRENCY_NOT_ACCEPTED" in out
    assert "5 case(s), 2 postable, 3 not postable" in out


def test_all_postable_cases_exit_zero(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(dumps([BASE_CASE]), encoding="utf-8")
    result = runner.invoke(app, ["preview", str(path), "--tenants", str(EXAMPLE_TENANTS), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["ok"] is True


def test_a_bad_tenants_file_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "tenants.yaml"
    bad.write_text("tenants:\n  x:\n    provider: xero\n    tenant_id: t\n    mapping: {kinds: {vendor_refund: "
                   "{account: {id: '80'}}}}\n", encoding="utf-8")
    cases = tmp_path / "c.json"
    cases.write_text(dumps([BASE_CASE]), encoding="utf-8")
    result = runner.invoke(app, ["preview", str(cases), "--tenants", str(bad)])
    assert result.exit_code == 2
    assert "tenants.x.mapping.kinds.vendor_refund.account" in result.stderr
