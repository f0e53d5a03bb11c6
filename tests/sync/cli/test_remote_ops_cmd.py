"""`refundsync link`, `unpost`, `repost` and `show` (with the remote document), end to end: the CLI as an
operator runs it, a real worker on a real Redis queue, a SQLite ledger, the sandbox over HTTP, both providers.
What is checked is what a person would notice: the documents in the sandbox's books, the ledger state, the
command's output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from connectors.sandbox.testing import SandboxServer
from sync.ledger.db import session_scope
from sync.ledger.models import Posting
from tests.support.factories import make_case
from tests.support.posting import posting_env
from tests.support.processes import WorkerProcess, run_cli, wait_until
from tests.support.servers import RedisServer

pytestmark = pytest.mark.slow

SHENZHEN = "Shenzhen Lianhua Trading Co."
CREDIT = {"demo-xero": "CreditNote", "demo-qbo": "VendorCredit"}
NOT_THERE = {"demo-xero": "00000000-0000-4000-8000-000000000000", "demo-qbo": "987654"}


@pytest.fixture
def env(tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> dict[str, str]:
    return posting_env(tmp_path, redis_srv.url, sandbox)


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "1")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _enqueue(env: dict[str, str], tmp_path: Path, *cases: dict[str, Any]) -> None:
    path = tmp_path / f"cases-{cases[0]['case_id']}.json"
    path.write_text(json.dumps(list(cases)), encoding="utf-8")
    result = run_cli(["enqueue", str(path)], env)
    assert result.returncode == 0, result.stderr


def _states(env: dict[str, str], case_id: str) -> dict[str, str]:
    with session_scope(env["REFUNDSYNC_DATABASE_URL"]) as s:
        return dict(s.execute(select(Posting.role, Posting.state).where(Posting.case_id == case_id)).all())


def _posting(env: dict[str, str], case_id: str, role: str = "credit") -> Posting:
    with session_scope(env["REFUNDSYNC_DATABASE_URL"]) as s:
        posting = s.scalar(select(Posting).where(Posting.case_id == case_id, Posting.role == role))
        assert posting is not None
        s.expunge(posting)
        return posting


def _case(i: int, tenant: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"kind": "vendor_refund", "party": {"name": SHENZHEN, "external_id": None},
                              "amount": "42.50", "currency": "USD", "reason_code": "DAMAGED", "payment": None,
                              "original_document": None}
    return make_case(i, tenant=tenant, prefix="OPS-", **{**fields, **overrides})


def _tag(tenant: str, body: dict[str, Any]) -> str:
    return str(body.get("Reference") if tenant == "demo-xero" else body.get("DocNumber"))


def _live_credits(sandbox: SandboxServer, tenant: str, case_id: str) -> list[dict[str, Any]]:
    """The case's credit documents that are in the books (not deleted, not voided)."""
    return [d for d in sandbox.admin.documents(tenant, entity=CREDIT[tenant])
            if _tag(tenant, d["body"]).startswith(case_id) and d["body"].get("Status") not in ("VOIDED", "DELETED")]


def _key_by_hand(sandbox: SandboxServer, tenant: str, amount: str, number: str) -> str:
    """A credit for SHENZHEN keyed by a person through the provider's own SDK (not by refundsync)."""
    tokens = sandbox.admin.issue_tokens(tenant)
    if tenant == "demo-xero":
        from xero_python.accounting import Contact, CreditNote, CreditNotes, CurrencyCode, LineAmountTypes, LineItem

        from connectors.sandbox.sdk_clients import XeroClients

        xero = XeroClients(sandbox.base_url, tokens)
        note = CreditNote(type="ACCPAYCREDIT", contact=Contact(contact_id="7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b01"),
                          date=date(2026, 11, 20), status="AUTHORISED", reference=number, credit_note_number=number,
                          line_amount_types=LineAmountTypes.NOTAX, currency_code=CurrencyCode.USD,
                          line_items=[LineItem(description="keyed by hand", quantity=Decimal("1"),
                                               unit_amount=Decimal(amount), account_code="300")])
        created = xero.accounting.create_credit_notes(xero.tenant_id, CreditNotes(credit_notes=[note])).credit_notes
        return str(created[0].credit_note_id)
    from quickbooks.objects.base import Ref
    from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
    from quickbooks.objects.vendorcredit import VendorCredit

    from connectors.sandbox.sdk_clients import quickbooks_client

    qb = quickbooks_client(sandbox.base_url, tokens)
    credit = VendorCredit()
    credit.VendorRef = Ref()
    credit.VendorRef.value = "56"
    credit.DocNumber = number
    line = AccountBasedExpenseLine()
    line.Amount = Decimal(amount)
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = Ref()
    line.AccountBasedExpenseLineDetail.AccountRef.value = "91"
    credit.Line = [line]
    credit.save(qb=qb)
    return str(credit.Id)


@pytest.mark.parametrize("tenant", ["demo-xero", "demo-qbo"])
def test_link_adopts_a_hand_keyed_document_and_refuses_one_that_does_not_match(
        env: dict[str, str], sandbox: SandboxServer, worker: WorkerProcess, tmp_path: Path, tenant: str) -> None:
    # the case cannot be posted (its reason code has no account), so someone keys the credit by hand
    tenants = Path(env["REFUNDSYNC_TENANTS_FILE"])
    raw = yaml.safe_load(tenants.read_text(encoding="utf-8"))
    raw["tenants"][tenant]["mapping"]["kinds"]["vendor_refund"]["strict_reasons"] = True
    tenants.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _enqueue(env, tmp_path, _case(1, tenant, reason_code="CUSTOMS_HOLD"), _case(6, tenant, reason_code="CUSTOMS_HOLD"))
    wait_until(lambda: _states(env, "OPS-000001") == _states(env, "OPS-000006") == {"credit": "failed"}, timeout=60,
               what="the cases failed")
    good = _key_by_hand(sandbox, tenant, "42.50", "HAND-1")
    wrong = _key_by_hand(sandbox, tenant, "40.00", "HAND-2")
    keyed = sorted(d["id"] for d in sandbox.admin.documents(tenant, entity=CREDIT[tenant]) if d["origin"] == "api")
    assert keyed == sorted([good, wrong])

    missing = run_cli(["link", "OPS-000001", NOT_THERE[tenant]], env)
    assert missing.returncode == 1 and "not linked: there is no" in missing.stderr, missing.stderr
    differs = run_cli(["link", "OPS-000001", wrong], env)
    assert differs.returncode == 1, differs.stdout
    assert "amount: the case says 42.50, the document 40.00" in differs.stderr and "--force" in differs.stderr
    assert _states(env, "OPS-000001") == {"credit": "failed"}
    no_party = run_cli(["link", "OPS-000001", good, "--party", "Nobody Ltd"], env)
    assert no_party.returncode == 1 and SHENZHEN in no_party.stderr

    linked = run_cli(["link", "OPS-000001", good, "--json"], env)
    assert linked.returncode == 0, linked.stderr
    answer = json.loads(linked.stdout)
    assert (answer["state"], answer["was"], answer["forced"], answer["document"]["remote_id"]) == (
        "linked", "failed", False, good)
    posting = _posting(env, "OPS-000001")
    assert (posting.state, posting.remote_id, posting.remote_number) == ("linked", good, "HAND-1")
    again = run_cli(["link", "OPS-000001", good], env)
    assert again.returncode == 1 and "is linked" in again.stderr

    # the other case is adopted despite the difference, because the operator says so; that is recorded
    forced = run_cli(["link", "OPS-000006", wrong, "--force", "--json"], env)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["forced"] and json.loads(forced.stdout)["differences"] == [
        "amount: the case says 42.50, the document 40.00"]
    note = json.loads(run_cli(["show", "OPS-000006", "--json", "--offline"], env).stdout)
    assert "forced despite: amount" in note["revisions"][0]["postings"][0]["attempts"][-1]["provider_message"]

    # a later re-run finds nothing to do, and the worker never posts a second document
    assert "0 posting(s) queued" in run_cli(["retry", "OPS-000001"], env).stdout
    assert "0 posting(s) queued" in run_cli(["retry", "--failed"], env).stdout
    assert run_cli(["failed", "--json"], env).stdout.strip() == "[]"
    after = sorted(d["id"] for d in sandbox.admin.documents(tenant, entity=CREDIT[tenant]) if d["origin"] == "api")
    assert after == keyed
    story = json.loads(run_cli(["show", "OPS-000001", "--json"], env).stdout)
    [shown] = story["revisions"][0]["postings"]
    assert shown["books"]["found"] and shown["books"]["status"] == "active"
    assert (shown["books"]["remote_id"], shown["books"]["amount"]) == (good, "42.50")
    assert [a["outcome"] for a in shown["attempts"]] == ["failed", "linked"]
    assert "HAND-1" in shown["attempts"][-1]["provider_message"]


@pytest.mark.parametrize("tenant", ["demo-xero", "demo-qbo"])
def test_unpost_voids_follow_up_then_credit_and_repost_sends_one_new_document(
        env: dict[str, str], sandbox: SandboxServer, worker: WorkerProcess, tmp_path: Path, tenant: str) -> None:
    cash = _case(2, tenant, payment={"method": "bank_transfer", "transaction_id": "PAY-2"})
    plain = _case(3, tenant)
    _enqueue(env, tmp_path, cash, plain)
    wait_until(lambda: _states(env, "OPS-000002") == {"credit": "posted", "refund": "posted"}
               and _states(env, "OPS-000003") == {"credit": "posted"}, timeout=90, what="both cases posted")
    first_credit, first_refund = _posting(env, "OPS-000002"), _posting(env, "OPS-000002", "refund")
    shown = run_cli(["show", "OPS-000002"], env)
    assert shown.returncode == 0 and "in the books now:" in shown.stdout and "active" in shown.stdout

    # the provider refuses: the reason is shown, the credit is not tried, nothing changes in the ledger
    sandbox.admin.set_faults(tenant, offline=True)
    try:
        refused = run_cli(["unpost", "OPS-000002", "--why", "keyed twice by the vendor"], env)
    finally:
        sandbox.admin.clear_faults(tenant)
    assert refused.returncode == 1, refused.stdout
    assert "failed: the " in refused.stdout and "not tried" in refused.stdout
    assert _states(env, "OPS-000002") == {"credit": "posted", "refund": "posted"}

    # unpost: the refund payment/deposit first, then its credit; the ledger keeps every row
    result = run_cli(["unpost", "OPS-000002", "--why", "keyed twice by the vendor", "--json"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout)["postings"]
    assert [(r["role"], r["state"]) for r in rows] == [("refund", "voided"), ("credit", "voided")]
    assert _states(env, "OPS-000002") == {"credit": "voided", "refund": "voided"}
    assert _live_credits(sandbox, tenant, "OPS-000002") == []
    story = json.loads(run_cli(["show", "OPS-000002", "--json"], env).stdout)
    credit = next(p for p in story["revisions"][0]["postings"] if p["role"] == "credit")
    assert credit["remote_id"] == first_credit.remote_id  # history kept: the voided document's id stays
    assert [a["operation"] for a in credit["attempts"]] == ["create", "operator"]
    refund = next(p for p in story["revisions"][0]["postings"] if p["role"] == "refund")
    assert [a["outcome"] for a in refund["attempts"]] == ["created", "failed", "voided"]
    assert refund["attempts"][1]["classification"] and refund["attempts"][1]["http_status"] == 503
    assert credit["attempts"][-1]["outcome"] == "voided" and "keyed twice" in credit["attempts"][-1][
        "provider_message"]
    expected_books = {"found": True, "status": "voided"} if tenant == "demo-xero" else {"found": False}
    assert {k: credit["books"][k] for k in expected_books} == expected_books
    text = run_cli(["show", "OPS-000002", "--offline"], env).stdout
    assert "voided" in text and "unposted by an operator: keyed twice" in text and "in the books now" not in text

    # a second unpost sends nothing at all
    calls = len(sandbox.admin.requests(company=tenant))
    twice = run_cli(["unpost", "OPS-000002", "--why", "again"], env)
    assert twice.returncode == 0 and "already voided" in twice.stdout
    assert len(sandbox.admin.requests(company=tenant)) == calls

    # repost: a new credit with a tag of its own, then its refund; never the voided one adopted
    reposted = run_cli(["repost", "OPS-000002", "--json"], env)
    assert reposted.returncode == 0, reposted.stderr
    assert {(p["role"], p["state"]) for p in json.loads(reposted.stdout)["postings"]} == {
        ("credit", "pending"), ("refund", "voided")}
    wait_until(lambda: _states(env, "OPS-000002") == {"credit": "posted", "refund": "posted"}, timeout=60,
               what="the repost posted")
    credit_now, refund_now = _posting(env, "OPS-000002"), _posting(env, "OPS-000002", "refund")
    assert credit_now.tag == f"{first_credit.tag}~g1" and refund_now.tag != first_refund.tag
    assert credit_now.remote_id != first_credit.remote_id and refund_now.remote_id != first_refund.remote_id
    assert credit_now.generation == 1 and credit_now.idempotency_key != first_credit.idempotency_key
    [live] = _live_credits(sandbox, tenant, "OPS-000002")
    assert live["id"] == credit_now.remote_id and _tag(tenant, live["body"]) == credit_now.tag

    # someone deletes (QBO) or voids (Xero) the other case's credit in the books; the ledger still says posted
    gone = _posting(env, "OPS-000003")
    if tenant == "demo-xero":
        sandbox.admin.void_document(tenant, "CreditNote", str(gone.remote_id))
    else:
        sandbox.admin.delete_document(tenant, "VendorCredit", str(gone.remote_id))
    assert _live_credits(sandbox, tenant, "OPS-000003") == []
    table = run_cli(["repost", "OPS-000003"], env)
    assert table.returncode == 0 and "1 posting(s) queued" in table.stdout, table.stderr
    wait_until(lambda: _states(env, "OPS-000003") == {"credit": "posted"}, timeout=60, what="reposted")
    [live] = _live_credits(sandbox, tenant, "OPS-000003")
    assert live["id"] == _posting(env, "OPS-000003").remote_id != gone.remote_id
    # the books have it again: a second repost is refused, never a duplicate
    refused = run_cli(["repost", "OPS-000003"], env)
    assert refused.returncode == 1 and "no posting whose document was deleted or voided" in refused.stderr
    assert len(_live_credits(sandbox, tenant, "OPS-000003")) == 1


ACCOUNT_310 = "3d0e3c61-5d38-4a5e-9c52-0a6f3f0d0310"  # Xero "Cost of Goods Sold", where DAMAGED goes
ACCOUNT_93 = "93"  # QBO "Purchase returns - damaged goods"


@pytest.mark.parametrize("tenant", ["demo-xero", "demo-qbo"])
def test_a_rerun_after_a_permanent_failure_is_not_answered_from_the_replay_cache(
        env: dict[str, str], sandbox: SandboxServer, worker: WorkerProcess, tmp_path: Path, tenant: str) -> None:
    """The account is archived (inactive) in the books, so the provider refuses the credit for good; someone
    reinstates it and re-runs the case at once. Xero would replay its cached 400 for the same key (~6
    minutes), QBO its cached fault for the same requestid: the re-run must go out with a key of its own."""
    if tenant == "demo-xero":
        sandbox.admin.delete_document(tenant, "Account", ACCOUNT_310)
    else:
        sandbox.admin.delete_document(tenant, "Account", ACCOUNT_93)
    _enqueue(env, tmp_path, _case(4, tenant))
    wait_until(lambda: _states(env, "OPS-000004") == {"credit": "failed"}, timeout=60, what="refused for good")
    refused = _posting(env, "OPS-000004")
    if tenant == "demo-xero":
        sandbox.admin.edit_document(tenant, "Account", ACCOUNT_310, {"Status": "ACTIVE"})
    else:
        sandbox.admin.edit_document(tenant, "Account", ACCOUNT_93, {"Active": True})
    assert "1 posting(s) queued" in run_cli(["retry", "OPS-000004"], env).stdout
    wait_until(lambda: _states(env, "OPS-000004")["credit"] in ("posted", "failed"), timeout=60,
               what="the re-run answered")
    posted = _posting(env, "OPS-000004")
    assert posted.state == "posted", posted.reason  # the same key would have had the cached refusal back
    assert (refused.generation, posted.generation) == (0, 1)
    assert posted.idempotency_key != refused.idempotency_key
    [live] = _live_credits(sandbox, tenant, "OPS-000004")
    assert live["id"] == posted.remote_id


def test_show_prints_the_ledger_story_when_the_books_cannot_be_read(
        env: dict[str, str], sandbox: SandboxServer, worker: WorkerProcess, tmp_path: Path) -> None:
    _enqueue(env, tmp_path, _case(5, "demo-xero"))
    wait_until(lambda: _states(env, "OPS-000005") == {"credit": "posted"}, timeout=60, what="posted")
    sandbox.admin.set_faults("demo-xero", offline=True)
    try:
        shown = run_cli(["show", "OPS-000005"], env)
        story = json.loads(run_cli(["show", "OPS-000005", "--json"], env).stdout)
    finally:
        sandbox.admin.clear_faults("demo-xero")
    assert shown.returncode == 0, shown.stderr
    assert "posted" in shown.stdout and "could not read it" in shown.stdout
    books = story["revisions"][0]["postings"][0]["books"]
    assert "error" in books and books["classification"], books
