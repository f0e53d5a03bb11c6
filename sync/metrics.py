"""The worker's Prometheus endpoint (``REFUNDSYNC_METRICS_PORT``; off when unset).

Two kinds of series:

- **counters the pool processes keep** (API calls by provider and status, limiter waits, token refreshes;
  see :mod:`connectors.metrics`). Celery's prefork pool runs tasks in forked children, so they use
  prometheus_client's multiprocess mode: :func:`prepare` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
  folder before the worker (and prometheus_client) starts, each child writes its own file there, and the
  endpoint adds them up at scrape time.
- **gauges read from the ledger at scrape time** (postings by tenant and state, back-sync lag per tenant
  from ``backsync_cursors.updated_at``): the ledger is the truth, so they are never kept in memory and
  agree with `refundsync status` whichever worker is scraped.

The endpoint runs in the worker's main process (a thread started when the worker is ready).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import signals
from sqlalchemy import Engine, func, select

from config.settings import Settings
from connectors.metrics import MULTIPROC_ENV
from sync.logs import get_logger

log = get_logger("refundsync.metrics")
_settings: Settings | None = None


def prepare(settings: Settings) -> None:
    """Before the worker starts: a clean multiprocess folder and the signal handlers that use it."""
    global _settings
    if not settings.metrics_port:
        return
    folder = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="refundsync-metrics-")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # counts of an earlier worker's processes would be added in
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    _settings = settings
    signals.worker_ready.connect(_serve, weak=False)
    signals.worker_process_shutdown.connect(_process_gone, weak=False)
    signals.worker_shutdown.connect(_cleanup, weak=False)


def _serve(**_: Any) -> None:
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    assert _settings is not None and _settings.metrics_port
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(LedgerCollector(_settings.database_url))
    start_http_server(_settings.metrics_port, addr=_settings.metrics_host, registry=registry)
    log.info("metrics endpoint", url=f"http://{_settings.metrics_host}:{_settings.metrics_port}/metrics")


def _process_gone(pid: int | None = None, **_: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid or os.getpid())


def _cleanup(**_: Any) -> None:
    folder = os.environ.get(MULTIPROC_ENV)
    if folder and Path(folder).name.startswith("refundsync-metrics-"):
        shutil.rmtree(folder, ignore_errors=True)


class LedgerCollector:
    """Postings by tenant and state, and back-sync lag, read from the ledger on every scrape."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        if self._engine is None:  # its own engine: the endpoint thread must not share the tasks' pool
            from sync.ledger.db import make_engine

            self._engine = make_engine(self.database_url)
        return self._engine

    def describe(self) -> list[Any]:
        return []  # series appear only once collected; describing them would query the ledger at start

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from sync.ledger.models import BacksyncCursor, Posting

        up = GaugeMetricFamily("refundsync_ledger_up", "1 when the ledger answered this scrape.")
        try:
            with self.engine().connect() as conn:
                states = conn.execute(select(Posting.tenant, Posting.state, func.count())
                                      .group_by(Posting.tenant, Posting.state)).all()
                cursors = conn.execute(select(BacksyncCursor.tenant, BacksyncCursor.updated_at)).all()
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("metrics: ledger not readable", error=type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        postings = GaugeMetricFamily("refundsync_postings", "Postings in the ledger by tenant and state.",
                                     labels=["tenant", "state"])
        for tenant, state, count in states:
            postings.add_metric([tenant, state], count)
        yield postings
        lag = GaugeMetricFamily("refundsync_backsync_lag_seconds",
                                "Seconds since each tenant's back-sync cursor last advanced.", labels=["tenant"])
        now = datetime.now(UTC)
        for tenant, updated_at in cursors:
            when = updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=UTC)
            lag.add_metric([tenant], max(0.0, (now - when).total_seconds()))
        yield lag
