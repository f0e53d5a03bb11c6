"""`refundsync connect` drives the real authorization-code flow against the sandbox's authorize endpoint."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from connectors.sandbox.testing import SandboxServer, running_sandbox
from sync.ledger.db import upgrade
from tests.support.connectors import sandbox_tenants
from tests.support.processes import refundsync_env, run_cli
from tests.support.reference import REPO_ROOT

SEED_XERO_TENANT = "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, sandbox: SandboxServer) -> dict[str, str]:
    tenants = tmp_path / "tenants.yaml"
    sandbox_tenants(sandbox.base_url, tenants, **{"demo-xero": {"tenant_id": SEED_XERO_TENANT}})
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    return refundsync_env(database_url=url, tenants_file=tenants, token_key=Fernet.generate_key().decode(),
                          quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret",
                          xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret")


def _connect(env: dict[str, str], provider: str, tenant: str, browse: bool = True
             ) -> tuple[int, str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "sync.cli", "connect", provider, "--tenant", tenant, "--port", "0",
                             "--no-browser", "--timeout", "30"], env=env, cwd=REPO_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    url = ""
    deadline = time.monotonic() + 30
    while not url.startswith("http") and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("http"):
            url = line.strip()
    assert url, proc.stderr.read() if proc.stderr else ""
    if browse:  # the "browser": follow the sandbox's consent redirect to our callback
        answer = httpx.get(url, follow_redirects=True, timeout=10)
        assert answer.status_code == 200 and "connected" in answer.text
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


@pytest.mark.parametrize(("provider", "tenant"), [("quickbooks", "demo-qbo"), ("xero", "demo-xero")])
def test_connect_stores_encrypted_tokens_and_lists_the_connection(env: dict[str, str], provider: str,
                                                                   tenant: str) -> None:
    code, out, err = _connect(env, provider, tenant)
    assert code == 0, err
    assert f"connected {tenant}" in out
    listed = json.loads(run_cli(["connections", "--json"], env).stdout)
    states = {c["tenant"]: c["state"] for c in listed}
    assert states[tenant] == "active"
    other = "demo-xero" if tenant == "demo-qbo" else "demo-qbo"
    assert states[other] == "not connected"
    # nothing secret on screen
    assert "access_token" not in out and "refresh" not in err


def test_connecting_the_wrong_xero_organisation_is_refused(env: dict[str, str], tmp_path: Path,
                                                           sandbox: SandboxServer) -> None:
    tenants = Path(env["REFUNDSYNC_TENANTS_FILE"])
    sandbox_tenants(sandbox.base_url, tenants, **{"demo-xero": {"tenant_id": "00000000-0000-0000-0000-00000000beef"}})
    code, _, err = _connect(env, "xero", "demo-xero")
    assert code == 2
    assert "not tenant demo-xero's 00000000-0000-0000-0000-00000000beef" in err


def test_wrong_provider_for_the_tenant_is_an_error(env: dict[str, str]) -> None:
    result = run_cli(["connect", "xero", "--tenant", "demo-qbo", "--no-browser"], env)
    assert result.returncode == 2
    assert "tenant demo-qbo is a quickbooks tenant, not xero" in result.stderr
