"""A thousand cases across two QuickBooks and two Xero companies (the demo seed plus a second copy of
each), posted by a real worker, all `confirmed` after one back-sync."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from redis import Redis

from connectors.sandbox.seeds import read_seed
from connectors.sandbox.testing import SandboxServer, running_sandbox
from sync.ledger.db import session_factory, upgrade
from sync.ledger.token_store import LedgerTokenStore
from tests.support.connectors import sandbox_tenants, sandbox_tokens
from tests.support.processes import WorkerProcess, refundsync_env, run_cli
from tests.support.reference import REPO_ROOT
from tests.support.servers import RedisServer
from tests.sync.backsync.support import cases_for, post_cases, postings, states

pytestmark = pytest.mark.slow

SECOND = {"demo-qbo": ("realm_id", "9130355377389517"),
          "demo-xero": ("tenant_id", "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a72")}
PER_TENANT = 250


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox(minute_seconds=2) as server:
        seed = read_seed(REPO_ROOT / "connectors" / "sandbox" / "seeds" / "demo.yaml")
        copies = copy.deepcopy(seed["companies"])
        for company in copies:
            field, value = SECOND[company["name"]]
            company["name"] += "-2"
            company[field] = value
        server.admin.seed({"companies": copies})
        yield server


def test_a_thousand_cases_in_four_companies_are_all_confirmed_by_one_backsync(
        tmp_path: Path, redis_srv: RedisServer, sandbox: SandboxServer) -> None:
    Redis.from_url(redis_srv.url).flushall()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    path = tmp_path / "tenants.yaml"
    sandbox_tenants(sandbox.base_url, path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name, (field, value) in SECOND.items():
        raw["tenants"][f"{name}-2"] = {**copy.deepcopy(raw["tenants"][name]), field: value}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    key = Fernet.generate_key().decode()
    store = LedgerTokenStore(session_factory(url), key)
    names = ["demo-qbo", "demo-qbo-2", "demo-xero", "demo-xero-2"]
    for name in names:
        store.save(name, "xero" if "xero" in name else "quickbooks", sandbox_tokens(sandbox, name),
                   expected_version=None)
    env = refundsync_env(broker_url=redis_srv.url, database_url=url, tenants_file=path, token_key=key,
                         xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret",
                         quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret",
                         visibility_timeout=200, task_time_limit=120, max_retry_countdown=30, limit_minute_seconds=2)
    cases = [c for i, name in enumerate(names) for c in cases_for(name, PER_TENANT, f"BF{i}-")]
    worker = WorkerProcess(env, tmp_path / "worker.log", "--concurrency", "2")
    try:
        worker.wait_ready()
        post_cases(env, tmp_path, cases, worker)
    finally:
        worker.stop()
    total = sum(states(url).values())
    assert sum(1 for p in postings(url) if p.role == "credit") == 4 * PER_TENANT

    result = run_cli(["backsync", "--json"], env, timeout=600)
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    assert states(url) == Counter({"confirmed": total})
    assert {r["tenant"]: r["counts"] for r in runs} == {
        name: {"confirmed": sum(1 for p in postings(url, tenant=name))} for name in names}
