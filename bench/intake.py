"""Intake throughput: cases per second through the real queue, and for validate + ledger write alone.

Starts its own redis-server and PostgreSQL (never the machine's), a real `refundsync worker` with one
worker process, and prints figures beside the targets (500 cases/s through the queue, 2,000 cases/s
without it). Usage: .venv/bin/python bench/intake.py [--cases N] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from tests.support.factories import make_cases
from tests.support.processes import WorkerProcess, refundsync_env, run_cli, wait_until
from tests.support.servers import postgres_server, redis_server

QUEUE_TARGET = 500.0
DIRECT_TARGET = 2000.0


def direct(url: str, n: int) -> float:
    """validate + store, one transaction per case, as the task does it."""
    from sync.intake import receive
    from sync.ledger.db import session_factory

    cases = list(make_cases(n, prefix=f"BD-{uuid.uuid4().hex[:6]}-"))
    factory = session_factory(url)
    started = time.perf_counter()
    with factory() as session:
        for case in cases:
            receive(session, case)
    return n / (time.perf_counter() - started)


def through_queue(url: str, broker: str, n: int, workdir: Path) -> tuple[float, float]:
    """Cases/s published by `refundsync enqueue`, then cases/s stored by one worker process draining them.

    The two are measured apart so that neither hides the other on a 2-core machine.
    """
    import json

    from sync.ledger.db import session_scope
    from sync.ledger.models import CaseRevision

    env = refundsync_env(broker_url=broker, database_url=url, auto_post="false")
    prefix = f"BQ-{uuid.uuid4().hex[:6]}-"
    jsonl = workdir / f"{prefix}cases.jsonl"
    jsonl.write_text("\n".join(json.dumps(c) for c in make_cases(n, prefix=prefix)) + "\n")

    def stored() -> int:
        with session_scope(url) as s:
            return int(s.scalar(select(func.count()).select_from(CaseRevision)
                                .where(CaseRevision.case_id.like(f"{prefix}%"))) or 0)

    started = time.perf_counter()
    result = run_cli(["enqueue", str(jsonl), "--quiet"], env, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    enqueue_rate = n / (time.perf_counter() - started)
    worker = WorkerProcess(env, workdir / f"{prefix}worker.log", "--concurrency", "1", "--loglevel", "WARNING")
    try:
        worker.wait_ready()
        started = time.perf_counter()
        wait_until(lambda: stored() >= n, timeout=600, interval=0.05, what="all cases stored")
        drain_rate = n / (time.perf_counter() - started)
    finally:
        worker.stop()
    return enqueue_rate, drain_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()

    from sync.ledger.db import upgrade

    rows: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="refundsync-bench-") as tmp, redis_server() as redis:
        workdir = Path(tmp)
        backends: list[tuple[str, str]] = []
        pg_ctx = postgres_server() if args.backend in {"postgresql", "both"} else None
        pg = pg_ctx.__enter__() if pg_ctx else None
        try:
            if args.backend in {"sqlite", "both"}:
                backends.append(("sqlite", f"sqlite:///{workdir / 'ledger.db'}"))
            if pg is not None:
                backends.append(("postgresql", pg.create_database("bench")))
            for name, url in backends:
                upgrade(url)
                rate = direct(url, args.cases)
                rows.append((name, "validate + ledger write", rate, DIRECT_TARGET))
                published, drained = through_queue(url, redis.url, args.cases, workdir)
                rows.append((name, "through the queue, 1 worker process", drained, QUEUE_TARGET))
                rows.append((name, "refundsync enqueue (CLI, publish)", published, QUEUE_TARGET))
        finally:
            if pg_ctx is not None:
                pg_ctx.__exit__(None, None, None)

    print(f"intake benchmark: {args.cases} cases per run, 1 worker process, one transaction per case")
    print(f"{'ledger':<11} {'path':<38} {'cases/s':>9} {'target':>8} {'ratio':>7}")
    for name, path, rate, target in rows:
        print(f"{name:<11} {path:<38} {rate:>9.0f} {target:>8.0f} {rate / target:>6.2f}x")


if __name__ == "__main__":
    main()
