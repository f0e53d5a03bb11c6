"""The scheduled back-sync: a real `refundsync beat` and a real worker confirm what was posted, with no
manual call, at each tenant's own interval (from the tenants file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.sandbox.testing import SandboxServer
from sync.ledger.db import session_scope
from sync.ledger.models import ReconciliationRun
from tests.support.processes import BeatProcess, WorkerProcess, run_cli, wait_until
from tests.support.servers import RedisServer
from tests.sync.backsync.support import backsync_env, cases_for, states

pytestmark = pytest.mark.slow


def test_beat_confirms_posted_cases_without_a_manual_call(tmp_path: Path, redis_srv: RedisServer,
                                                          sandbox: SandboxServer) -> None:
    fast = {"backsync": {"interval_minutes": 0.03}}  # about two seconds
    env = backsync_env(tmp_path, redis_srv, sandbox, {"demo-qbo": fast, "demo-xero": {"backsync": {"enabled": False}}},
                       backsync_check_seconds=1)
    url = env["REFUNDSYNC_DATABASE_URL"]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases_for("demo-qbo", 12, "BB-")), encoding="utf-8")
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "2")
    beat = BeatProcess(env, tmp_path / "beat.log", tmp_path / "beat-schedule")
    try:
        worker.wait_ready()
        assert run_cli(["enqueue", str(path), "--quiet"], env).returncode == 0
        wait_until(lambda: sum(states(url).values()) > 12 and set(states(url)) == {"confirmed"}, timeout=180,
                   interval=0.5, what="every posting confirmed by a scheduled back-sync")
    finally:
        beat.stop()
        worker.stop()
    with session_scope(url) as session:
        runs = list(session.scalars(select(ReconciliationRun).order_by(ReconciliationRun.id)))
    assert runs and {r.tenant for r in runs} == {"demo-qbo"}  # demo-xero has back-sync turned off
    assert {r.kind for r in runs} == {"backsync"} and all(r.outcome == "ok" for r in runs)
    assert "refundsync.backsync_due" in beat.log.read_text()
