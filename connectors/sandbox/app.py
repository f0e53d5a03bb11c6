"""The ASGI application: both providers, their OAuth endpoints and the admin API on one port.

/v3/company/{realm}/...                                 QuickBooks Online
/.well-known/openid_configuration, /connect/oauth2,
/oauth2/v1/tokens/bearer, /oauth2/v1/tokens/revoke      Intuit OAuth 2.0
/api.xro/2.0/...                                        Xero Accounting
/identity/connect/authorize, /connect/token,
/connect/revocation, /connections                       Xero identity
/_sandbox/...                                           admin (seed, faults, documents, requests, tokens)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from connectors.sandbox import admin
from connectors.sandbox.connection import keep_raw_send
from connectors.sandbox.quickbooks import oauth as qbo_oauth
from connectors.sandbox.quickbooks import routes as qbo_routes
from connectors.sandbox.seeds import default_seed_text, load_seed, parse_seed
from connectors.sandbox.settings import SandboxSettings
from connectors.sandbox.state import SandboxState
from connectors.sandbox.xero import oauth as xero_oauth
from connectors.sandbox.xero import routes as xero_routes

log = logging.getLogger("refundsync.sandbox")

DEMO = "demo"


class SandboxApp:
    """Outermost ASGI layer: keeps the server's own ``send`` so a fault can drop a response."""

    def __init__(self, app: Starlette, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            keep_raw_send(scope, send)
        await self.app(scope, receive, send)


def create_app(
    settings: SandboxSettings | None = None,
    seeds: list[dict[str, Any]] | None = None,
    state_file: Path | None = None,
) -> SandboxApp:
    """Build the sandbox. ``seeds`` are normalised seed documents (``None``: the demo seed).

    With a ``state_file`` that exists, its state is loaded instead of the seeds; the state is written
    back shortly after every change and at shutdown.
    """
    settings = settings or SandboxSettings()
    state = SandboxState(settings, state_file)
    start_seeds = [parse_seed(default_seed_text())] if seeds is None else list(seeds)
    if not state.load():
        for seed in start_seeds:
            load_seed(state, seed)
        state.save()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_save_periodically(state)) if state_file is not None else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            state.save()

    routes: list[BaseRoute] = [
        *admin.ROUTES,
        *qbo_oauth.ROUTES,
        *qbo_routes.ROUTES,
        *xero_oauth.ROUTES,
        *xero_routes.ROUTES,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = state
    app.state.start_seeds = start_seeds
    return SandboxApp(app, state)


async def _save_periodically(state: SandboxState) -> None:
    while True:
        await asyncio.sleep(state.settings.save_interval_seconds)
        try:
            state.save()
        except OSError:
            log.exception("could not write the sandbox state file %s", state.state_file)
