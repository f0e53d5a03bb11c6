"""Running the sandbox: uvicorn on a free port in a background thread, or in the foreground (CLI).

    with running_sandbox() as sandbox:          # demo seed, real time
        sandbox.base_url                         # "http://127.0.0.1:54321"
        sandbox.admin.issue_tokens("demo-qbo")   # admin client (httpx)

The server binds its socket before the thread starts, so the port is known and free at once; start()
returns when uvicorn reports it is serving.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from connectors.sandbox.app import SandboxApp, create_app
from connectors.sandbox.client import SandboxAdmin
from connectors.sandbox.settings import SandboxSettings


def uvicorn_config(app: SandboxApp, log_level: str = "warning", **extra: Any) -> uvicorn.Config:
    """h11 on purpose: the dropped-response fault relies on its transport handling (see connection.py)."""
    return uvicorn.Config(
        app,
        http="h11",
        lifespan="on",
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
        **extra,
    )


class SandboxServer:
    """A sandbox serving on 127.0.0.1 in a daemon thread."""

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        seeds: list[dict[str, Any]] | None = None,
        state_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.settings = settings or SandboxSettings()
        self.app = create_app(self.settings, seeds, state_file)
        self.host = host
        self._requested_port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0
        self._admin: SandboxAdmin | None = None

    @property
    def base_url(self) -> str:
        if not self.port:
            raise RuntimeError("the sandbox is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def admin(self) -> SandboxAdmin:
        if self._admin is None:
            self._admin = SandboxAdmin(self.base_url)
        return self._admin

    @property
    def state(self) -> Any:
        """The in-process state, for debugging only: tests should use the admin API."""
        return self.app.state

    def start(self, timeout: float = 10.0) -> SandboxServer:
        # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto says
        # TCP; with proto 0 every response would wait ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self._requested_port))
        sock.listen(2048)
        self._socket = sock
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn_config(self.app, self._log_level))
        server = self._server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
        self._server = None
        self._thread = None
        self.port = 0

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_sandbox(
    settings: SandboxSettings | None = None,
    seeds: list[dict[str, Any]] | None = None,
    state_file: Path | None = None,
    **setting_changes: Any,
) -> Iterator[SandboxServer]:
    """A started sandbox for the duration of the block.

    ``seeds``: normalised seed documents (default: the demo seed; ``[]`` for no companies).
    ``setting_changes``: shortcuts for ``SandboxSettings`` fields, e.g. ``minute_seconds=1``.
    """
    base = settings or SandboxSettings()
    if setting_changes:
        base = base.with_changes(**setting_changes)
    server = SandboxServer(base, seeds, state_file)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def serve_forever(
    port: int,
    settings: SandboxSettings | None = None,
    seeds: list[dict[str, Any]] | None = None,
    state_file: Path | None = None,
    host: str = "127.0.0.1",
    log_level: str = "info",
) -> None:
    """Run in the foreground until interrupted (``refundsync sandbox``)."""
    logging.getLogger("refundsync.sandbox").setLevel(logging.INFO)
    app = create_app(settings, seeds, state_file)
    uvicorn.Server(uvicorn_config(app, log_level, host=host, port=port)).run()
