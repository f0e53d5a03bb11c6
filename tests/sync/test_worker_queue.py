"""A real redis-server, a real Celery worker (not eager), the real `refundsync enqueue`, and kill -9."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select

from sync import outbox
from sync.ledger.db import session_scope, upgrade
from sync.ledger.models import CaseRevision, Posting, RejectedInput
from tests.support.factories import make_cases, write_csv
from tests.support.processes import WorkerProcess, refundsync_env, run_cli, wait_until
from tests.support.servers import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path, redis_srv: RedisServer) -> Iterator[dict[str, str]]:
    import redis

    redis.Redis.from_url(redis_srv.url).flushall()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    # Short timeouts so a message orphaned by kill -9 comes back within seconds, not an hour.
    yield refundsync_env(broker_url=redis_srv.url, database_url=url, visibility_timeout=10, task_time_limit=4,
                         max_retry_countdown=4, auto_post="false")


def _count_cases(url: str) -> tuple[int, int, int, int]:
    with session_scope(url) as s:
        revisions = s.scalar(select(func.count()).select_from(CaseRevision)) or 0
        distinct = s.scalar(select(func.count(func.distinct(CaseRevision.case_id)))) or 0
        postings = s.scalar(select(func.count()).select_from(Posting)) or 0
        rejected = s.scalar(select(func.count()).select_from(RejectedInput)) or 0
    return revisions, distinct, postings, rejected


def test_enqueue_1000_then_kill9_midway_through_the_next_1000(env: dict[str, str], tmp_path: Path) -> None:
    url = env["REFUNDSYNC_DATABASE_URL"]
    first = write_csv(tmp_path / "first.csv", list(make_cases(1000, start=1)))
    second = write_csv(tmp_path / "second.csv", list(make_cases(1000, start=1001)))

    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "1")
    try:
        worker.wait_ready()
        result = run_cli(["enqueue", str(first), "--quiet"], env)
        assert result.returncode == 0, result.stderr
        assert "1000 record(s): 1000 queued, 0 invalid" in result.stdout
        wait_until(lambda: _count_cases(url)[0] >= 1000, timeout=120, what="first batch stored")
        assert _count_cases(url) == (1000, 1000, 1000, 0)
        with session_scope(url) as s:
            assert set(s.scalars(select(Posting.state))) == {"pending"}

        result = run_cli(["enqueue", str(second), "--quiet"], env)
        assert result.returncode == 0, result.stderr
        wait_until(lambda: _count_cases(url)[0] >= 1150, timeout=120, interval=0.02, what="second batch started")
        worker.kill9()
    finally:
        worker.stop()
    at_kill = _count_cases(url)[0]
    assert 1150 <= at_kill < 2000, f"the kill did not land midway ({at_kill} stored)"

    restarted = WorkerProcess(env, tmp_path / "worker2.log", "--concurrency", "2")
    try:
        restarted.wait_ready()
        wait_until(lambda: _count_cases(url)[0] >= 2000, timeout=180, what="every case stored after restart")
    finally:
        restarted.stop()
    revisions, distinct, postings, rejected = _count_cases(url)
    assert (revisions, distinct, postings, rejected) == (2000, 2000, 2000, 0)
    wait_until(lambda: outbox.outstanding(Redis.from_url(env["REFUNDSYNC_BROKER_URL"])) == 0, timeout=30,
               what="outbox empty")
    with session_scope(url) as s:
        ids = set(s.scalars(select(CaseRevision.case_id)))
    assert ids == {f"RF-2026-{i:06d}" for i in range(1, 2001)}


def test_bad_rows_and_python_producers_reach_the_ledger(env: dict[str, str], tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    url = env["REFUNDSYNC_DATABASE_URL"]
    cases = list(make_cases(5, start=1))
    cases[2]["amount"] = "12.345"  # 3 decimals in USD
    path = write_csv(tmp_path / "mixed.csv", cases)
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "1")
    try:
        worker.wait_ready()
        result = run_cli(["enqueue", str(path)], env)
        assert result.returncode == 1
        assert "invalid row 4 (RF-2026-000003): amount: amount 12.345 has more decimals than USD allows (2)" in (
            result.stderr)
        assert "5 record(s): 4 queued, 1 invalid (kept in the ledger as rejected)" in result.stdout
        producer = (
            "import json, sys, sync\n"
            "from mapping.case import RefundCase\n"
            "case = RefundCase.model_validate(json.loads(sys.argv[1]))\n"
            "print(sync.submit_case(case))\n"
            "print(sync.submit_case({'case_id': 'RF-BAD', 'amount': 1}))\n"
        )
        from tests.support.factories import make_case

        done = subprocess.run([sys.executable, "-c", producer, json.dumps(make_case(77))], env=env, text=True,
                              capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        wait_until(lambda: _count_cases(url)[0] == 5 and _count_cases(url)[3] == 2, timeout=60,
                   what="4 + 1 cases stored and 2 rejections")
    finally:
        worker.stop()
    with session_scope(url) as s:
        rejected = {r.case_id: r for r in s.scalars(select(RejectedInput))}
    assert rejected["RF-2026-000003"].source == f"enqueue {path} row 4"
    assert json.loads(rejected["RF-2026-000003"].raw_payload)["amount"] == "12.345"
    assert "kind: is required" in rejected["RF-BAD"].reason


def test_a_message_the_broker_lost_is_resent_from_the_outbox(env: dict[str, str], tmp_path: Path) -> None:
    """The kill -9 window of Redis's BRPOP: a message recorded by the producer but gone from Redis."""
    from tests.support.factories import make_case

    url = env["REFUNDSYNC_DATABASE_URL"]
    client = Redis.from_url(env["REFUNDSYNC_BROKER_URL"])
    # What a producer records before publishing; the publish itself "was lost".
    outbox.record(client, [("lost-1", "refundsync.case_closed", [make_case(501)])])
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "1")
    try:
        worker.wait_ready()
        # visibility timeout 10 s + task limit 4 s + margin: re-sent within ~20 s, not before 14 s
        wait_until(lambda: _count_cases(url)[0] == 1, timeout=60, what="lost case re-sent and stored")
        # the entry is cleared right after the commit, by the same task
        wait_until(lambda: outbox.outstanding(client) == 0, timeout=30, what="outbox entry cleared")
    finally:
        worker.stop()
    assert "re-published intake messages lost in transit" in (tmp_path / "worker.log").read_text()
