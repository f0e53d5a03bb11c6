"""The worker's Prometheus endpoint and its structured logs, scraped and read from a real worker.

A real Redis, a real worker (prefork pool, so the counters go through prometheus_client's multiprocess
mode), the sandbox over HTTP. One tenant starts with an expired access token (a refresh must be counted)
and a tiny per-minute budget (limiter waits must be counted); the posting gauges must equal the ledger.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from redis import Redis
from sqlalchemy import func, select

from connectors.sandbox.testing import running_sandbox
from sync.ledger.db import session_factory, session_scope, upgrade
from sync.ledger.models import BacksyncCursor, Posting, utcnow
from sync.ledger.token_store import LedgerTokenStore
from tests.support.connectors import sandbox_tenants, sandbox_tokens
from tests.support.factories import make_cases, write_csv
from tests.support.processes import WorkerProcess, refundsync_env, run_cli, wait_until
from tests.support.servers import RedisServer, free_port

pytestmark = pytest.mark.slow

SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def _scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    samples = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
            samples[(match["name"], labels)] = float(match["value"])
    return samples


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _states(url: str) -> Counter[tuple[str, str]]:
    with session_scope(url) as s:
        return Counter({(t, st): n for t, st, n in s.execute(
            select(Posting.tenant, Posting.state, func.count()).group_by(Posting.tenant, Posting.state)).all()})


@pytest.fixture(scope="module")
def posted(tmp_path_factory: pytest.TempPathFactory, redis_srv: RedisServer) -> Iterator[dict[str, Any]]:
    """Twelve cases per tenant posted by a worker with metrics on and JSON logs; the worker keeps running."""
    tmp = tmp_path_factory.mktemp("metrics")
    Redis.from_url(redis_srv.url).flushall()
    with running_sandbox(minute_seconds=2) as sandbox:
        url = f"sqlite:///{tmp / 'ledger.db'}"
        upgrade(url)
        key = Fernet.generate_key().decode()
        tenants = tmp / "tenants.yaml"
        # 4 calls per 2-second "minute" for demo-qbo: a dozen cases must wait for the limiter
        sandbox_tenants(sandbox.base_url, tenants, **{"demo-qbo": {"limits": {"per_minute": 4}}})
        store = LedgerTokenStore(session_factory(url), key)
        store.save("demo-xero", "xero", sandbox_tokens(sandbox, "demo-xero"), expected_version=None)
        store.save("demo-qbo", "quickbooks", sandbox_tokens(sandbox, "demo-qbo", expires_in=-60),
                   expected_version=None)
        with session_scope(url) as s:  # where a back-sync of demo-xero stopped, ten minutes ago
            s.add(BacksyncCursor(tenant="demo-xero", cursor="2026-11-20T00:00:00Z",
                                 updated_at=utcnow() - timedelta(minutes=10)))
        port = free_port()
        env = refundsync_env(broker_url=redis_srv.url, database_url=url, tenants_file=tenants, token_key=key,
                             xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret",
                             quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret",
                             visibility_timeout=120, task_time_limit=60, max_retry_countdown=30,
                             limit_minute_seconds=2, metrics_port=port, log_format="json")
        cases_ = [*make_cases(12, tenant="demo-xero", prefix="RFM-X-"),
                  *make_cases(12, tenant="demo-qbo", prefix="RFM-Q-")]
        path = write_csv(tmp / "cases.csv", cases_)
        worker = WorkerProcess(env, tmp / "worker.log", "--concurrency", "2")
        try:
            worker.wait_ready()
            assert run_cli(["enqueue", str(path), "--quiet"], env).returncode == 0

            def settled() -> bool:  # a follow-up is created in the same commit that posts its credit
                with session_scope(url) as s:
                    cases = s.scalar(select(func.count(func.distinct(Posting.case_id))))
                return cases == len(cases_) and {st for _, st in _states(url)} == {"posted"}

            wait_until(settled, timeout=180, interval=0.5, what="every case posted with its follow-up")
            yield {"port": port, "url": url, "log": tmp / "worker.log", "sandbox": sandbox}
        finally:
            worker.stop()


def test_postings_by_state_equal_the_ledger(posted: dict[str, Any]) -> None:
    samples = _scrape(posted["port"])
    states = _states(posted["url"])
    assert states and set(states) == {("demo-xero", "posted"), ("demo-qbo", "posted")}
    for (tenant, state), count in states.items():
        assert _value(samples, "refundsync_postings", tenant=tenant, state=state) == count
    assert _value(samples, "refundsync_ledger_up") == 1


def test_api_calls_limiter_waits_token_refreshes_and_backsync_lag(posted: dict[str, Any]) -> None:
    samples = _scrape(posted["port"])
    requests = posted["sandbox"].admin.requests(limit=100000)
    answered = Counter(("xero" if r["path"].startswith("/api.xro") else "quickbooks", str(r["status"]))
                       for r in requests if r["path"].startswith(("/api.xro", "/v3/")))
    # every API request the sandbox answered was counted once, by provider and status, across pool processes
    for (provider, status), count in answered.items():
        assert _value(samples, "refundsync_api_calls_total", provider=provider, status=status) == count
    assert _value(samples, "refundsync_token_refreshes_total", provider="quickbooks", outcome="ok") == 1
    assert _value(samples, "refundsync_limiter_waits_total", provider="quickbooks") >= 1
    assert _value(samples, "refundsync_limiter_wait_seconds_total", provider="quickbooks") > 0
    assert 600 <= _value(samples, "refundsync_backsync_lag_seconds", tenant="demo-xero") < 900


def test_json_log_lines_name_case_tenant_and_posting(posted: dict[str, Any]) -> None:
    lines = [json.loads(line) for line in posted["log"].read_text(encoding="utf-8").splitlines()
             if line.startswith("{")]
    postings = [line for line in lines if line.get("event") == "posting posted"]
    with session_scope(posted["url"]) as s:
        ids = {pid: (case_id, tenant) for pid, case_id, tenant in s.execute(
            select(Posting.id, Posting.case_id, Posting.tenant)).all()}
    assert {line["posting_id"] for line in postings} == set(ids)
    for line in postings:
        assert (line["case_id"], line["tenant"]) == ids[line["posting_id"]]
    received = [line for line in lines if line.get("event") == "case received"]
    assert len(received) == 24 and all(line["tenant"] in {"demo-xero", "demo-qbo"} for line in received)
    flushes = [line for line in lines if line.get("event") == "flush done"]
    assert flushes and all("tenant" in line for line in flushes)
