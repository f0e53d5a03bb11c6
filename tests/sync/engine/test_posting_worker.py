"""Closed cases become entries in the books through the real pipeline: enqueue -> Redis -> a real Celery
worker -> intake -> flush -> connector -> the sandbox over HTTP. Exactly one remote document per posting."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.sandbox.testing import SandboxServer
from sync.ledger.db import session_scope
from sync.ledger.models import Posting
from tests.support.factories import make_cases, write_csv
from tests.support.posting import posting_env
from tests.support.processes import WorkerProcess, run_cli, wait_until
from tests.support.servers import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> dict[str, str]:
    return posting_env(tmp_path, redis_srv.url, sandbox)


def _states(url: str) -> Counter[str]:
    with session_scope(url) as s:
        return Counter(dict(s.execute(select(Posting.state, func.count()).group_by(Posting.state)).all()))


@pytest.mark.parametrize("tenant", ["demo-xero", "demo-qbo"])
def test_enqueued_cases_are_posted_exactly_once(env: dict[str, str], sandbox: SandboxServer, tmp_path: Path,
                                                tenant: str) -> None:
    url = env["REFUNDSYNC_DATABASE_URL"]
    cases = list(make_cases(60, tenant=tenant, prefix="RFT-"))
    path = write_csv(tmp_path / "cases.csv", cases)
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "2")

    def settled() -> bool:
        states = _states(url)
        return sum(states.values()) > 0 and set(states) <= {"posted", "failed"} and states.get("posted", 0) > 60

    try:
        worker.wait_ready()
        result = run_cli(["enqueue", str(path), "--quiet"], env)
        assert result.returncode == 0, result.stderr
        wait_until(settled, timeout=150, interval=0.5, what="every posting posted")
        # follow-ups are created when their credit is posted: wait until no new posting appears
        wait_until(lambda: not any(s in _states(url) for s in ("pending", "in_flight", "unknown")), timeout=60)
    finally:
        worker.stop()
    states = _states(url)
    assert set(states) == {"posted"}, states
    with session_scope(url) as s:
        postings = s.execute(select(Posting.document_type, Posting.remote_id, Posting.role)).all()
    assert sum(1 for p in postings if p.role == "credit") == 60
    by_type = Counter(p.document_type for p in postings)
    remote_ids: set[str] = set()
    for entity, count in by_type.items():
        assert entity is not None
        documents = sandbox.admin.documents(tenant, entity=entity, origin="api")
        assert len(documents) == count, (entity, len(documents), count)
        remote_ids |= {str(d["id"]) for d in documents}
    # Xero allocation ids name their credit note too; every other id is the document's own
    assert {p.remote_id for p in postings} == remote_ids


@pytest.mark.parametrize("tenant", ["demo-xero", "demo-qbo"])
def test_lost_responses_errors_and_a_429_burst_never_duplicate(env: dict[str, str], sandbox: SandboxServer,
                                                               tmp_path: Path, tenant: str) -> None:
    """10% of writes committed then their response dropped, 5% answered 500/503, one 429 burst."""
    url = env["REFUNDSYNC_DATABASE_URL"]
    sandbox.admin.set_faults(tenant, drop_rate=0.10, error_rate=0.05, throttle_next=3, seed=11)
    cases = list(make_cases(80, tenant=tenant, prefix="RFF-"))
    path = write_csv(tmp_path / "cases.csv", cases)
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "2")
    try:
        worker.wait_ready()
        assert run_cli(["enqueue", str(path), "--quiet"], env).returncode == 0
        wait_until(lambda: sum(_states(url).values()) > 80 and set(_states(url)) == {"posted"}, timeout=240,
                   interval=0.5, what="every posting posted despite the faults")
    finally:
        worker.stop()
        sandbox.admin.clear_faults(tenant)
    with session_scope(url) as s:
        postings = s.execute(select(Posting.document_type, Posting.remote_id, Posting.tag)).all()
    dropped = [r for r in sandbox.admin.requests(company=tenant) if r.get("outcome") == "dropped"]
    assert dropped, "the fault injection did not drop any response: the test proves nothing"
    by_type = Counter(p.document_type for p in postings)
    for entity, count in by_type.items():
        assert entity is not None
        documents = sandbox.admin.documents(tenant, entity=entity, origin="api")
        assert len(documents) == count, (entity, len(documents), count)
    assert len({p.remote_id for p in postings}) == len(postings)


def test_unmapped_reason_fails_with_its_fix_and_retry_posts_it_once(env: dict[str, str], sandbox: SandboxServer,
                                                                    tmp_path: Path) -> None:
    import json

    import yaml

    from tests.support.factories import make_case

    tenants = Path(env["REFUNDSYNC_TENANTS_FILE"])
    raw = yaml.safe_load(tenants.read_text(encoding="utf-8"))
    raw["tenants"]["demo-xero"]["mapping"]["kinds"]["vendor_refund"]["strict_reasons"] = True
    tenants.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    case = make_case(4, tenant="demo-xero", prefix="RFU-", reason_code="CUSTOMS_HOLD", payment=None,
                     original_document=None)
    path = tmp_path / "one.json"
    path.write_text(json.dumps([case]))
    url = env["REFUNDSYNC_DATABASE_URL"]
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "1")
    try:
        worker.wait_ready()
        assert run_cli(["enqueue", str(path)], env).returncode == 0
        wait_until(lambda: _states(url) == Counter({"failed": 1}), timeout=60, what="the case failed")
        groups = json.loads(run_cli(["failed", "--json"], env).stdout)
        assert [(g["tenant"], g["code"], g["case_ids"]) for g in groups] == [
            ("demo-xero", "REASON_NOT_MAPPED", ["RFU-000004"])]
        assert "add it under mapping.kinds.vendor_refund.reasons" in groups[0]["reason"]
        table = run_cli(["failed"], env).stdout
        assert "REASON_NOT_MAPPED" in table and "RFU-000004" in table
        story = json.loads(run_cli(["show", "RFU-000004", "--json"], env).stdout)
        [posting] = story["revisions"][0]["postings"]
        assert posting["state"] == "failed" and posting["attempts"][0]["operation"] == "map"
        assert sandbox.admin.documents("demo-xero", entity="CreditNote", origin="api") == []

        # the operator maps the reason code, then re-runs everything that failed for that reason
        raw["tenants"]["demo-xero"]["mapping"]["kinds"]["vendor_refund"]["reasons"]["CUSTOMS_HOLD"] = {
            "account": "300"}
        tenants.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
        dry = run_cli(["retry", "--failed", "--reason", "REASON_NOT_MAPPED", "--dry-run"], env)
        assert "would re-run RFU-000004 credit" in dry.stdout and _states(url) == Counter({"failed": 1})
        done = run_cli(["retry", "--failed", "--reason", "REASON_NOT_MAPPED"], env)
        assert "1 posting(s) queued" in done.stdout, done.stderr
        wait_until(lambda: _states(url) == Counter({"posted": 1}), timeout=60, what="the case posted")
        # a second re-run finds nothing to do: never a second document
        assert "0 posting(s) queued" in run_cli(["retry", "RFU-000004"], env).stdout
    finally:
        worker.stop()
    notes = sandbox.admin.documents("demo-xero", entity="CreditNote", origin="api")
    assert [n["body"]["Reference"] for n in notes] == ["RFU-000004"]
    story = json.loads(run_cli(["show", "RFU-000004", "--json"], env).stdout)
    operations = [a["operation"] for a in story["revisions"][0]["postings"][0]["attempts"]]
    assert operations == ["map", "operator", "lookup", "create"]
    # the re-run was sent with a key of its own (generation 1): Xero cannot answer it from its replay cache
    from mapping.hashing import idempotency_key

    with session_scope(url) as s:
        rerun = s.scalars(select(Posting)).one()
        assert rerun.generation == 1 and rerun.payload_hash is not None
        assert rerun.idempotency_key == idempotency_key(rerun.id, rerun.payload_hash, "xero", 1)
        assert rerun.idempotency_key != idempotency_key(rerun.id, rerun.payload_hash, "xero")
    sent = [r for r in sandbox.admin.requests(company="demo-xero") if r.get("idempotency_key")]
    assert [r["idempotency_key"] for r in sent] == [rerun.idempotency_key]


def test_skip_sets_a_failed_case_aside_with_the_reason_and_nothing_posts_it(
        env: dict[str, str], sandbox: SandboxServer, tmp_path: Path) -> None:
    import json

    import yaml

    from tests.support.factories import make_case

    tenants = Path(env["REFUNDSYNC_TENANTS_FILE"])
    raw = yaml.safe_load(tenants.read_text(encoding="utf-8"))
    raw["tenants"]["demo-xero"]["mapping"]["kinds"]["vendor_refund"]["strict_reasons"] = True
    tenants.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    failing = make_case(5, tenant="demo-xero", prefix="RFS-", reason_code="CUSTOMS_HOLD", payment=None,
                        original_document=None)
    fine = make_case(7, tenant="demo-xero", prefix="RFS-", reason_code="DAMAGED", payment=None,
                     original_document=None)
    path = tmp_path / "two.json"
    path.write_text(json.dumps([failing, fine]))
    url = env["REFUNDSYNC_DATABASE_URL"]
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "1")
    try:
        worker.wait_ready()
        assert run_cli(["enqueue", str(path)], env).returncode == 0
        wait_until(lambda: _states(url) == Counter({"failed": 1, "posted": 1}), timeout=60, what="both settled")
        # a posted case cannot be skipped: it is in the books (unpost is the command for that)
        refused = run_cli(["skip", "RFS-000007", "--why", "test"], env)
        assert refused.returncode == 1 and "no posting that could be skipped" in refused.stderr
        done = run_cli(["skip", "RFS-000005", "--why", "customs hold, refund reversed by the carrier"], env)
        assert done.returncode == 0 and "skipped 1 posting(s) of RFS-000005" in done.stdout, done.stderr
        assert json.loads(run_cli(["failed", "--json"], env).stdout) == []
        assert "0 posting(s) queued" in run_cli(["retry", "--failed"], env).stdout
        assert "0 posting(s) queued" in run_cli(["retry", "RFS-000005"], env).stdout
        story = json.loads(run_cli(["show", "RFS-000005", "--json", "--offline"], env).stdout)
        [posting] = story["revisions"][0]["postings"]
        assert posting["state"] == "skipped" and "customs hold" in posting["reason"]
        assert [(a["operation"], a["outcome"]) for a in posting["attempts"]] == [("map", "failed"),
                                                                                 ("operator", "skip")]
    finally:
        worker.stop()
    assert _states(url) == Counter({"skipped": 1, "posted": 1})
    notes = sandbox.admin.documents("demo-xero", entity="CreditNote", origin="api")
    assert [n["body"]["Reference"] for n in notes] == ["RFS-000007"]
