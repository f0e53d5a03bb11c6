"""Back-sync end to end: cases posted by a real worker into the sandbox, read back over HTTP with the
official SDKs; drift made the way a bookkeeper would make it is reported with the right state and
difference, and `refundsync report` shows it (its totals equal the sum of its rows, in JSON and CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.sandbox.testing import SandboxServer
from tests.support.processes import WorkerProcess, run_cli
from tests.support.servers import RedisServer
from tests.sync.backsync.support import backsync_env, cases_for, post_cases, postings, states, xero_put_credit_note

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> dict[str, str]:
    return backsync_env(tmp_path, redis_srv, sandbox)


def _post(env: dict[str, str], tmp_path: Path, cases: list[dict[str, object]]) -> None:
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "2")
    try:
        worker.wait_ready()
        post_cases(env, tmp_path, cases, worker)
    finally:
        worker.stop()


def _backsync(env: dict[str, str], *args: str) -> list[dict[str, object]]:
    result = run_cli(["backsync", "--json", *args], env)
    assert result.returncode == 0, result.stdout + result.stderr
    runs: list[dict[str, object]] = json.loads(result.stdout)
    return runs


def _drift(url: str, posting_id: str) -> dict[str, object]:
    [posting] = [p for p in postings(url) if p.id == posting_id]
    return json.loads(posting.drift) if posting.drift else {}


def _state(url: str, posting_id: str) -> str:
    return next(p.state for p in postings(url) if p.id == posting_id)


def test_one_backsync_confirms_every_posting_then_reports_each_drift(env: dict[str, str], sandbox: SandboxServer,
                                                                     tmp_path: Path) -> None:
    url = env["REFUNDSYNC_DATABASE_URL"]
    _post(env, tmp_path, cases_for("demo-qbo", 20, "BQ-") + cases_for("demo-xero", 20, "BX-"))
    total = sum(states(url).values())
    assert total > 40  # credits plus the follow-ups of the cash refunds

    runs = _backsync(env)
    assert states(url) == Counter({"confirmed": total})
    assert sorted(r["tenant"] for r in runs) == ["demo-qbo", "demo-xero"]
    assert sum(r["counts"].get("confirmed", 0) for r in runs) == total  # type: ignore[attr-defined]

    # --- a bookkeeper edits, deletes, voids, re-keys and re-assigns ------------------------------------
    vendor_credits = postings(url, tenant="demo-qbo", document_type="VendorCredit")
    edited, deleted, moved = vendor_credits[0], vendor_credits[1], vendor_credits[2]
    body = sandbox.admin.document("demo-qbo", "VendorCredit", edited.remote_id)["body"]
    was = Decimal(str(body["TotalAmt"]))
    lines = body["Line"]
    lines[0]["Amount"] = Decimal(str(lines[0]["Amount"])) - Decimal("1.00")
    sandbox.admin.edit_document("demo-qbo", "VendorCredit", edited.remote_id, {"Line": lines})
    sandbox.admin.delete_document("demo-qbo", "VendorCredit", deleted.remote_id)
    moved_body = sandbox.admin.document("demo-qbo", "VendorCredit", moved.remote_id)["body"]
    other = "59" if moved_body["VendorRef"]["value"] != "59" else "56"
    sandbox.admin.edit_document("demo-qbo", "VendorCredit", moved.remote_id, {"VendorRef": {"value": other}})
    other_name = sandbox.admin.document("demo-qbo", "Vendor", other)["body"]["DisplayName"]

    credit_only = [p for p in postings(url, tenant="demo-xero", role="credit")
                   if not any(f.depends_on_id == p.id for f in postings(url, tenant="demo-xero"))]
    voided, copied = credit_only[0], credit_only[1]
    sandbox.admin.void_document("demo-xero", "CreditNote", voided.remote_id)
    original = sandbox.admin.document("demo-xero", "CreditNote", copied.remote_id)["body"]
    keep = ("Description", "Quantity", "UnitAmount", "AccountCode", "TaxType")
    duplicate = xero_put_credit_note(sandbox, {
        "Type": original["Type"], "Contact": {"ContactID": original["Contact"]["ContactID"]},
        "Date": original["Date"], "LineAmountTypes": original["LineAmountTypes"], "Status": "AUTHORISED",
        "CurrencyCode": original["CurrencyCode"], "Reference": original["Reference"],
        "LineItems": [{k: v for k, v in line.items() if k in keep} for line in original["LineItems"]]})

    runs = _backsync(env)
    assert all(r["error"] is None for r in runs)
    assert _state(url, edited.id) == "mismatch"
    assert _drift(url, edited.id)["differences"] == [
        {"field": "amount", "expected": format(was, "f"), "found": format(was - Decimal("1.00"), "f")}]
    assert _state(url, deleted.id) == "removed"
    assert _drift(url, deleted.id)["differences"] == [{"field": "status", "expected": "active", "found": "deleted"}]
    assert _state(url, moved.id) == "mismatch"
    assert _drift(url, moved.id)["differences"] == [
        {"field": "party", "expected": moved.party_name, "found": other_name}]
    assert _state(url, voided.id) == "removed"
    assert _drift(url, voided.id)["differences"] == [{"field": "status", "expected": "active", "found": "voided"}]
    assert _state(url, copied.id) == "duplicate"
    dups = _drift(url, copied.id)["duplicates"]
    assert [d["remote_id"] for d in dups] == [duplicate["CreditNoteID"]]  # type: ignore[union-attr]
    drifted = {edited.id, deleted.id, moved.id, voided.id, copied.id}
    assert Counter(p.state for p in postings(url) if p.id not in drifted) == Counter({"confirmed": total - 5})

    # --- the report shows each case with its reason, and its totals are the sum of its rows -------------
    today = datetime.now(UTC).date().isoformat()
    report = json.loads(run_cli(["report", "--format", "json", "--from", today, "--to", today], env).stdout)
    not_confirmed = {(r["case_id"], r["state"]) for r in report["not_confirmed"]}
    assert not_confirmed == {(p.case_id, s) for p, s in ((edited, "mismatch"), (deleted, "removed"),
                                                          (moved, "mismatch"), (voided, "removed"),
                                                          (copied, "duplicate"))}
    reasons = {r["case_id"]: r["detail"] for r in report["not_confirmed"]}
    assert f"amount: expected {format(was, 'f')}, found {format(was - Decimal('1.00'), 'f')}" in reasons[
        edited.case_id]
    assert duplicate["CreditNoteID"] in reasons[copied.case_id]
    assert len(report["rows"]) == 40
    for name, by in (("by_party", "party"), ("by_reason", "reason_code"), ("by_state", "state")):
        summed: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for row in report["rows"]:
            summed[(row[by], row["currency"])][0] += 1
            summed[(row[by], row["currency"])][1] += Decimal(row["amount"])
        assert {(t["key"], t["currency"]): [Decimal(t["count"]), Decimal(t["amount"])]
                for t in report["totals"][name]} == summed

    table = run_cli(["report"], env).stdout
    assert "not confirmed" in table and edited.case_id in table and "duplicate" in table

    # --- `failed` lists the drift with the operator's choices; `retry --failed` never re-runs it ---------
    groups = json.loads(run_cli(["failed", "--json"], env).stdout)
    listed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for g in groups:  # one group per tenant and kind of drift
        listed[(g["code"], g["reason"].split(":")[1].strip())] |= set(g["case_ids"])
    assert listed == {("DRIFT", "mismatch"): {edited.case_id, moved.case_id},
                      ("DRIFT", "removed"): {deleted.case_id, voided.case_id},
                      ("DRIFT", "duplicate"): {copied.case_id}}
    assert all("refundsync" in g["reason"] or "delete the extra one" in g["reason"] for g in groups)
    assert "0 posting(s) queued" in run_cli(["retry", "--failed"], env).stdout
    assert _state(url, edited.id) == "mismatch" and _state(url, deleted.id) == "removed"

    sheet = list(csv.DictReader(io.StringIO(run_cli(["report", "--format", "csv"], env).stdout)))
    entries = [r for r in sheet if r["section"] == "entry"]
    assert len(entries) == 40
    by_party: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in entries:
        by_party[(r["party"], r["currency"])] += Decimal(r["amount"])
    assert {(r["party"], r["currency"]): Decimal(r["amount"]) for r in sheet if r["section"] == "total_party"} == (
        by_party)
    assert {(t["key"], t["currency"]): Decimal(t["amount"]) for t in report["totals"]["by_party"]} == by_party
    assert {r["case_id"] for r in sheet if r["section"] == "not_confirmed"} == {c for c, _ in not_confirmed}

    # --- the hand-keyed duplicate is removed again: the entry is confirmed on the next back-sync ----------
    sandbox.admin.delete_document("demo-xero", "CreditNote", duplicate["CreditNoteID"])
    _backsync(env)
    assert _state(url, copied.id) == "confirmed" and _drift(url, copied.id) == {}


def test_a_deletion_older_than_the_change_feed_is_found_missing_by_reconcile(
        env: dict[str, str], sandbox: SandboxServer, tmp_path: Path) -> None:
    url = env["REFUNDSYNC_DATABASE_URL"]
    _post(env, tmp_path, cases_for("demo-qbo", 6, "BM-"))
    _backsync(env, "--tenant", "demo-qbo")
    total = sum(states(url).values())
    assert states(url) == Counter({"confirmed": total})
    gone = postings(url, tenant="demo-qbo", role="credit")[1]
    sandbox.admin.delete_document("demo-qbo", gone.document_type or "", gone.remote_id or "")
    sandbox.admin.advance_clock(minutes=31 * 1440)  # the deletion is now beyond CDC's 30 days

    runs = _backsync(env, "--tenant", "demo-qbo")
    assert runs[0]["error"] is None
    assert _state(url, gone.id) == "confirmed"  # no change event can say it went

    today = datetime.now(UTC).date().isoformat()
    result = run_cli(["reconcile", "--from", today, "--to", today, "--tenant", "demo-qbo", "--json"], env)
    assert result.returncode == 0, result.stderr
    [run] = json.loads(result.stdout)
    assert run["counts"] == {"confirmed": total - 1, "missing": 1}
    assert _state(url, gone.id) == "missing"
    assert _drift(url, gone.id)["differences"] == [{"field": "status", "expected": "active", "found": "not found"}]
    report = json.loads(run_cli(["report", "--format", "json", "--tenant", "demo-qbo"], env).stdout)
    assert [(r["case_id"], r["state"]) for r in report["not_confirmed"]] == [(gone.case_id, "missing")]
    assert [r["kind"] for r in report["runs"]] == ["backsync", "backsync", "reconcile"]
