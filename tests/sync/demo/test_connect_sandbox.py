"""`python -m sync.demo.connect_sandbox` (the compose file's `connect` service and the demo's connection
step): tokens from the sandbox stored encrypted in the ledger, and the worker side can use them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from connectors.sandbox.testing import running_sandbox
from sync.ledger.db import session_factory, session_scope, upgrade
from sync.ledger.models import OAuthToken
from sync.ledger.token_store import LedgerTokenStore
from tests.support.connectors import sandbox_tenants
from tests.support.processes import refundsync_env, run_cli
from tests.support.reference import REPO_ROOT

XERO_TENANT = "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71"  # demo-xero in the sandbox's demo seed


def _module(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.demo.connect_sandbox", *args], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)


def test_both_demo_companies_are_connected_and_the_tokens_are_encrypted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    key = Fernet.generate_key().decode()
    with running_sandbox() as sandbox:
        sandbox_tenants(sandbox.base_url, tmp_path / "tenants.yaml")
        env = refundsync_env(database_url=url, token_key=key, tenants_file=tmp_path / "tenants.yaml")
        result = _module([sandbox.base_url], env)
        assert result.returncode == 0, result.stderr
        assert "connected demo-qbo, demo-xero" in result.stdout
        # the stored access token is one the sandbox accepts for the Xero company
        stored = LedgerTokenStore(session_factory(url), key).load("demo-xero")
        assert stored is not None
        answer = httpx.get(f"{sandbox.base_url}/api.xro/2.0/Organisation", headers={
            "Authorization": f"Bearer {stored.tokens.access_token}", "xero-tenant-id": XERO_TENANT,
            "Accept": "application/json"})
        assert answer.status_code == 200, answer.text
    listed = json.loads(run_cli(["connections", "--json"], env).stdout)
    assert {(c["tenant"], c["state"]) for c in listed} == {("demo-qbo", "active"), ("demo-xero", "active")}
    with session_scope(url) as session:
        blobs = [row.ciphertext for row in session.query(OAuthToken)]
    assert len(blobs) == 2 and all(Fernet(key.encode()).decrypt(b) for b in blobs)
    assert not any(b"access_token" in b for b in blobs)


def test_without_a_token_key_nothing_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    result = _module(["http://127.0.0.1:9"], refundsync_env(database_url=url))
    assert result.returncode == 2
    assert "REFUNDSYNC_TOKEN_KEY is not set" in result.stderr
    with session_scope(url) as session:
        assert session.query(OAuthToken).count() == 0
