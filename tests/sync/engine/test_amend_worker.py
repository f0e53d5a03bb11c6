"""Amendments end to end: `refundsync enqueue` -> Redis -> a real Celery worker -> intake -> flush -> the
sandbox over HTTP, then revision 2 of the same cases, then `refundsync show`. The books end with exactly
one live document per case, saying what revision 2 says; the ledger keeps both revisions' history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.sandbox.testing import SandboxServer
from sync.ledger.db import session_scope
from sync.ledger.models import CaseRevision, Posting
from tests.support.posting import posting_env
from tests.support.processes import WorkerProcess, run_cli, wait_until
from tests.support.servers import RedisServer

pytestmark = pytest.mark.slow

VENDOR = {"name": "Shenzhen Lianhua Trading Co.", "external_id": None}
CUSTOMER = {"name": "Northwind Retail Inc.", "external_id": None}


@pytest.fixture
def env(tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> dict[str, str]:
    return posting_env(tmp_path, redis_srv.url, sandbox)


def _case(case_id: str, tenant: str, amount: str, revision: int = 1, **changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "case_id": case_id, "kind": "vendor_refund", "tenant": tenant, "order_number": "KB-90001",
        "party": VENDOR, "currency": "USD", "amount": amount, "refund_date": "2026-11-20",
        "closed_at": f"2026-11-2{revision}T09:00:00Z", "reason_code": "DAMAGED", "status": "closed",
        "payment": None, "original_document": None, "lines": [], "evidence": [], "revision": revision,
    }
    case.update(changes)
    return case


def _enqueue(env: dict[str, str], path: Path, cases: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps(cases), encoding="utf-8")
    result = run_cli(["enqueue", str(path), "--quiet"], env)
    assert result.returncode == 0, result.stderr


def _rows(url: str) -> list[tuple[str, int, str, str]]:
    with session_scope(url) as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            select(Posting.case_id, CaseRevision.revision, Posting.role, Posting.state)
            .join(CaseRevision, Posting.case_revision_id == CaseRevision.id))]


def _settled(url: str, revision: int, count: int) -> bool:
    rows = _rows(url)
    done = [r for r in rows if r[1] == revision and r[3] == "posted"]
    return len(done) == count and not any(r[3] in ("pending", "in_flight", "unknown") for r in rows)


def _writes(sandbox: SandboxServer, tenant: str, since: int) -> list[tuple[str, str]]:
    provider = "quickbooks" if tenant == "demo-qbo" else "xero"
    return [(r["method"], r["path"]) for r in sandbox.admin.requests(provider=provider, since=since)
            if r["method"] in ("PUT", "POST", "DELETE") and not r["path"].endswith("/query")]


def _ours(sandbox: SandboxServer, tenant: str, entity: str, prefix: str) -> list[dict[str, Any]]:
    field = "DocNumber" if tenant == "demo-qbo" else "CreditNoteNumber"
    return [d["body"] for d in sandbox.admin.documents(tenant, entity, include_deleted=True)
            if str(d["body"].get(field, "")).startswith(prefix)]


def test_quickbooks_revision_two_updates_in_place_and_identical_content_makes_no_call(
        env: dict[str, str], sandbox: SandboxServer, tmp_path: Path) -> None:
    url, tenant = env["REFUNDSYNC_DATABASE_URL"], "demo-qbo"
    first = [_case("RF-AMW-Q1", tenant, "42.50"),
             _case("RF-AMW-Q2", tenant, "80.00", kind="customer_refund", party=CUSTOMER),
             _case("RF-AMW-Q3", tenant, "15.00")]
    second = [_case("RF-AMW-Q1", tenant, "30.00", 2),
              _case("RF-AMW-Q2", tenant, "65.00", 2, kind="customer_refund", party=CUSTOMER),
              _case("RF-AMW-Q3", tenant, "15.00", 2)]  # same content, only the revision (and closed_at) moved
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "1")
    try:
        worker.wait_ready()
        _enqueue(env, tmp_path / "r1.json", first)
        wait_until(lambda: _settled(url, 1, 3), timeout=90, interval=0.3, what="revision 1 posted")
        start = sandbox.admin.last_request_seq()
        _enqueue(env, tmp_path / "r2.json", second)
        wait_until(lambda: _settled(url, 2, 3), timeout=90, interval=0.3, what="revision 2 posted")
    finally:
        worker.stop()

    [credit] = _ours(sandbox, tenant, "VendorCredit", "RF-AMW-Q1")
    assert (credit["TotalAmt"], credit["SyncToken"], credit["DocNumber"]) == (30, "1", "RF-AMW-Q1~r2")
    [memo] = _ours(sandbox, tenant, "CreditMemo", "RF-AMW-Q2")
    assert (memo["TotalAmt"], memo["SyncToken"], memo["DocNumber"]) == (65, "1", "RF-AMW-Q2~r2")
    [same] = _ours(sandbox, tenant, "VendorCredit", "RF-AMW-Q3")
    assert (same["TotalAmt"], same["SyncToken"], same["DocNumber"]) == (15, "0", "RF-AMW-Q3")
    # two sparse updates and nothing else was written (the identical revision made no call at all)
    assert sorted(p.rsplit("/", 1)[-1] for _, p in _writes(sandbox, tenant, start)) == ["creditmemo", "vendorcredit"]

    shown = run_cli(["show", "RF-AMW-Q1"], env)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "RF-AMW-Q1 revision 1" in text and "RF-AMW-Q1 revision 2" in text
    assert "superseded" in text and "amended in place by revision 2" in text
    story = json.loads(run_cli(["show", "RF-AMW-Q1", "--json"], env).stdout)
    assert [r["revision"] for r in story["revisions"]] == [1, 2]
    [old], [new] = story["revisions"][0]["postings"], story["revisions"][1]["postings"]
    assert (old["state"], new["state"], old["remote_id"]) == ("superseded", "posted", new["remote_id"])
    assert [a["operation"] for a in old["attempts"]] == ["create"]
    assert [(a["operation"], a["outcome"]) for a in new["attempts"]] == [
        ("read", "read"), ("amend", "update"), ("update", "updated")]
    same_story = json.loads(run_cli(["show", "RF-AMW-Q3", "--json"], env).stdout)
    assert [(a["operation"], a["outcome"]) for a in same_story["revisions"][1]["postings"][0]["attempts"]] == [
        ("amend", "adopted")]


def test_xero_revision_two_edits_an_open_credit_note_and_replaces_an_allocated_one(
        env: dict[str, str], sandbox: SandboxServer, tmp_path: Path) -> None:
    url, tenant = env["REFUNDSYNC_DATABASE_URL"], "demo-xero"
    first = [_case("RF-AMW-X1", tenant, "42.50"),
             _case("RF-AMW-X2", tenant, "60.00", original_document="BILL-1042"),
             _case("RF-AMW-X3", tenant, "15.00")]
    second = [_case("RF-AMW-X1", tenant, "30.00", 2),
              _case("RF-AMW-X2", tenant, "50.00", 2, original_document="BILL-1042"),
              _case("RF-AMW-X3", tenant, "15.00", 2)]
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "1")
    try:
        worker.wait_ready()
        _enqueue(env, tmp_path / "r1.json", first)
        wait_until(lambda: _settled(url, 1, 4), timeout=90, interval=0.3, what="revision 1 posted")
        start = sandbox.admin.last_request_seq()
        _enqueue(env, tmp_path / "r2.json", second)
        wait_until(lambda: _settled(url, 2, 4), timeout=90, interval=0.3, what="revision 2 posted")
    finally:
        worker.stop()

    [edited] = _ours(sandbox, tenant, "CreditNote", "RF-AMW-X1")
    assert (edited["Total"], edited["Status"], edited["CreditNoteNumber"]) == (30, "AUTHORISED", "RF-AMW-X1~r2")
    replaced = {n["CreditNoteNumber"]: n for n in _ours(sandbox, tenant, "CreditNote", "RF-AMW-X2")}
    assert {k: (n["Status"], n["Total"]) for k, n in replaced.items()} == {
        "RF-AMW-X2": ("VOIDED", 60), "RF-AMW-X2~r2": ("PAID", 50)}
    assert replaced["RF-AMW-X2~r2"]["LineItems"][0]["Description"].endswith(
        "replaces RF-AMW-X2, voided; case RF-AMW-X2 revision 2")
    live = [n for n in _ours(sandbox, tenant, "CreditNote", "RF-AMW-X") if n["Status"] not in ("VOIDED", "DELETED")]
    assert sorted(n["CreditNoteNumber"] for n in live) == ["RF-AMW-X1~r2", "RF-AMW-X2~r2", "RF-AMW-X3"]
    writes = [(m, p.split("/2.0/")[1]) for m, p in _writes(sandbox, tenant, start)]
    old_x2 = replaced["RF-AMW-X2"]["CreditNoteID"]
    assert sorted(writes) == sorted([
        ("POST", f"CreditNotes/{edited['CreditNoteID']}"),  # X1 edited in place
        ("DELETE", next(p for m, p in writes if m == "DELETE")),  # X2: its allocation removed first ...
        ("POST", f"CreditNotes/{old_x2}"),  # ... then voided
        ("PUT", "CreditNotes"),  # the new one
        ("PUT", f"CreditNotes/{replaced['RF-AMW-X2~r2']['CreditNoteID']}/Allocations"),  # and its allocation
    ])  # X3 (identical) made no call
    assert writes[[m for m, _ in writes].index("DELETE")][1].startswith(f"CreditNotes/{old_x2}/Allocations/")

    story = json.loads(run_cli(["show", "RF-AMW-X2", "--json"], env).stdout)
    assert [r["revision"] for r in story["revisions"]] == [1, 2]
    old = {p["role"]: p for p in story["revisions"][0]["postings"]}
    new = {p["role"]: p for p in story["revisions"][1]["postings"]}
    assert {r: p["state"] for r, p in old.items()} == {"credit": "voided", "application": "voided"}
    assert {r: p["state"] for r, p in new.items()} == {"credit": "posted", "application": "posted"}
    assert [(a["operation"], a["outcome"]) for a in old["credit"]["attempts"]] == [
        ("create", "created"), ("void", "voided")]
    assert [(a["operation"], a["outcome"]) for a in new["credit"]["attempts"]] == [
        ("read", "read"), ("amend", "replace"), ("create", "created")]
    text = run_cli(["show", "RF-AMW-X2"], env).stdout
    assert "voided: replaced by revision 2" in text and "RF-AMW-X2 revision 2" in text
