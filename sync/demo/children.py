"""Child processes that never outlive the demo.

Each child runs in its own process group (``start_new_session``), so a signal to the group reaches
everything the child forked (the worker's pool processes) and a Ctrl-C in the terminal reaches only the
demo, which then stops the children in order. Nothing here is demo specific; it is small enough to keep
beside its only user.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Children:
    """Started children, stopped in reverse order of start (the worker before the Redis it needs)."""

    env: dict[str, str]
    cwd: Path
    started: list[Child] = field(default_factory=list)

    def start(self, name: str, argv: list[str], log: Path) -> Child:
        with log.open("ab") as fh:
            process = subprocess.Popen(argv, env=self.env, cwd=self.cwd, stdout=fh, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        child = Child(name, process, log)
        self.started.append(child)
        return child

    def stop_all(self, grace: float = 15.0) -> None:
        for child in reversed(self.started):
            _stop(child.process, grace)
        self.started.clear()


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM to the whole group (a Celery worker shuts its pool down warm), SIGKILL if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    # The leader may be gone while a forked pool process still runs: the group is killed either way.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (and SIGHUP) to the demo behave like Ctrl-C, so the same ``finally`` stops the children."""

    def _raise(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
