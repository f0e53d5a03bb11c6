"""`refundsync sandbox` runs the sandbox in the foreground and keeps its state in a file."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port, wait_for_port


def _start(port: int, state: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from sync.cli import main; main()", "sandbox", "--port", str(port),
         "--state", str(state), "--minute-seconds", "6"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    return output.decode()


def test_sandbox_command_serves_and_keeps_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    port = free_port()
    process = _start(port, state)
    try:
        wait_for_port(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            assert http.get("/_sandbox/health").json() == {"ok": True, "companies": ["demo-qbo", "demo-xero"]}
            assert http.get("/_sandbox/settings").json()["minute_seconds"] == 6
            edited = http.patch("/_sandbox/companies/demo-xero/documents/Contact/7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b04",
                                json={"EmailAddress": "refunds@acme-supplies.example"})
            assert edited.status_code == 200
    finally:
        output = _stop(process)
    assert "Application shutdown complete" in output  # uvicorn then re-raises SIGINT (exit status 130)
    assert f"sandbox on http://127.0.0.1:{port}" in output
    port = free_port()
    process = _start(port, state)
    try:
        wait_for_port(port)
        time.sleep(0.1)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            contact = http.get("/_sandbox/companies/demo-xero/documents/Contact/7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b04")
            assert contact.json()["body"]["EmailAddress"] == "refunds@acme-supplies.example"
    finally:
        _stop(process)


def test_bad_seed_file_is_a_clear_error(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("companies: [{name: x, provider: sage}]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", "from sync.cli import main; main()", "sandbox", "--port", str(free_port()),
         "--seed", str(seed)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "provider must be 'quickbooks' or 'xero'" in result.stderr
