"""Running refundsync's own processes (CLI, worker) as a user would, with a chosen environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.reference import REPO_ROOT


def refundsync_env(**settings: str | int) -> dict[str, str]:
    """The process environment with REFUNDSYNC_* set from keyword arguments (and nothing inherited)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFUNDSYNC_")}
    env.update({f"REFUNDSYNC_{k.upper()}": str(v) for k, v in settings.items()})
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"  # Rich wraps tables to 80 columns when not on a terminal
    return env


def run_cli(args: list[str], env: dict[str, str], *, cwd: Path | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.cli", *args], env=env, cwd=cwd or REPO_ROOT, text=True,
                          capture_output=True, timeout=timeout, input=input)


class ChildProcess:
    """A `refundsync` command in its own process group, so a stop or kill -9 takes its children with it."""

    def __init__(self, env: dict[str, str], log: Path, *args: str):
        self.log = log
        self.env = env
        self._fh = log.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "sync.cli", *args], env=env, cwd=REPO_ROOT,
                                        stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True)

    def kill9(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._fh.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._fh.close()


class WorkerProcess(ChildProcess):
    """`refundsync worker` (extra arguments go to it)."""

    def __init__(self, env: dict[str, str], log: Path, *args: str):
        super().__init__(env, log, "worker", *args)

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the worker answers a remote-control ping over the broker (whatever its log level)."""
        from celery import Celery

        probe = Celery(broker=self.env["REFUNDSYNC_BROKER_URL"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if probe.control.ping(timeout=0.5):
                probe.close()
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready after {timeout} s:\n{self.log.read_text()[-3000:]}")


class BeatProcess(ChildProcess):
    """`refundsync beat` with its schedule file."""

    def __init__(self, env: dict[str, str], log: Path, schedule_file: Path):
        super().__init__(env, log, "beat", "--schedule-file", str(schedule_file))


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached after {timeout} s")
