"""`refundsync validate`, `schema case`, `config check`, `db`, `status`, `worker` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from sync.ledger.db import head_revision
from tests.support.factories import make_case
from tests.support.processes import refundsync_env, run_cli


def test_validate_reports_each_record_and_exits_1_on_any_invalid(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in [
        make_case(1), make_case(2, currency="JPY", amount="10.5"), make_case(3, status="open")]) + "\n")
    env = refundsync_env(database_url=f"sqlite:///{tmp_path}/l.db")
    result = run_cli(["validate", str(path)], env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "ok RF-2026-000001"
    assert lines[1].startswith("invalid line 2 (RF-2026-000002): amount: amount 10.5 has more decimals than JPY")
    assert lines[2] == "invalid line 3 (RF-2026-000003): status: is 'open'; only closed cases can be posted"
    assert lines[3] == "3 record(s), 1 valid, 2 invalid"

    as_json = run_cli(["validate", str(path), "--json"], env)
    data = json.loads(as_json.stdout)
    assert [(d["row"], d["case_id"], d["valid"]) for d in data] == [
        ("line 1", "RF-2026-000001", True), ("line 2", "RF-2026-000002", False), ("line 3", "RF-2026-000003", False)]
    assert data[2]["errors"] == [{"field": "status", "message": "is 'open'; only closed cases can be posted"}]


def test_validate_all_good_exits_0_and_reads_stdin(tmp_path: Path) -> None:
    env = refundsync_env()
    result = run_cli(["validate", "-"], env, input=json.dumps([make_case(1), make_case(2)]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "2 record(s), 2 valid, 0 invalid"


def test_schema_case_is_a_json_schema_that_forbids_unknown_fields() -> None:
    result = run_cli(["schema", "case"], refundsync_env())
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"case_id", "kind", "tenant", "party", "currency", "amount", "refund_date",
                                       "closed_at", "reason_code", "status"}


def test_config_check_masks_secrets(tmp_path: Path) -> None:
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text("tenants:\n  acme:\n    provider: xero\n    tenant_id: t-1\n    client_secret: topsecret\n")
    env = refundsync_env(tenants_file=tenants, broker_url="redis://:pw123@host:6379/0")
    result = run_cli(["config", "check"], env)
    assert result.returncode == 0, result.stderr
    assert "topsecret" not in result.stdout and "pw123" not in result.stdout
    assert "set (hidden)" in result.stdout and "ok: 1 tenant(s)" in result.stdout
    tenants.write_text("tenants:\n  acme:\n    provider: xero\n")
    bad = run_cli(["config", "check"], env)
    assert bad.returncode == 2
    assert f"{tenants}: 1 problem(s)" in bad.stderr and "a xero tenant needs tenant_id" in bad.stderr


def test_worker_refuses_an_unmigrated_ledger_and_says_what_to_run(tmp_path: Path) -> None:
    env = refundsync_env(database_url=f"sqlite:///{tmp_path}/l.db", broker_url="redis://127.0.0.1:1/0")
    result = run_cli(["worker"], env, timeout=60)
    assert result.returncode == 2
    assert "run `refundsync db upgrade`" in result.stderr
    upgraded = run_cli(["db", "upgrade"], env)
    head = head_revision()
    assert upgraded.returncode == 0 and f"is at schema {head} (head {head})" in upgraded.stdout
    status = run_cli(["status", "--json"], env)
    assert json.loads(status.stdout)["postings"]["pending"] == 0


def test_worker_refuses_a_visibility_timeout_shorter_than_a_task(tmp_path: Path) -> None:
    env = refundsync_env(database_url=f"sqlite:///{tmp_path}/l.db", visibility_timeout=60, task_time_limit=300,
                         max_retry_countdown=100)
    result = run_cli(["worker"], env, timeout=60)
    assert result.returncode == 2
    assert "REFUNDSYNC_VISIBILITY_TIMEOUT: must be at least 305 s: the task time limit is 300 s" in result.stderr
    assert "fix: raise REFUNDSYNC_VISIBILITY_TIMEOUT to 305 or more" in result.stderr


def test_enqueue_without_a_broker_says_so(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps([make_case(1)]))
    env = refundsync_env(broker_url="redis://127.0.0.1:1/0")
    result = run_cli(["enqueue", str(path)], env, timeout=120)
    assert result.returncode == 2
    assert "cannot reach the broker" in result.stderr
