"""`refundsync connect` (OAuth with a local callback) and `refundsync connections`."""

from __future__ import annotations

import webbrowser
from datetime import UTC, datetime
from enum import StrEnum

import typer
from rich.table import Table
from sqlalchemy import select

from config.errors import ConfigError
from config.settings import get_settings
from config.tenants import load_tenants
from sync.cli.app import app, console, fail, fail_config, migrated_ledger_url, print_json


class ProviderName(StrEnum):
    QUICKBOOKS = "quickbooks"
    XERO = "xero"


@app.command()
def connect(
    provider: ProviderName = typer.Argument(..., help="quickbooks or xero"),
    tenant: str = typer.Option(..., "--tenant", "-t", help="Tenant name from the tenants file."),
    port: int = typer.Option(8725, "--port", help="Local port for the OAuth callback (0: any free port)."),
    open_browser: bool = typer.Option(True, "--browser/--no-browser", help="Open the URL in a browser."),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait for the browser."),
) -> None:
    """Connect a company: open the printed URL, consent, and the tokens are stored encrypted."""
    from connectors import oauth
    from sync.connect import CallbackServer, ConnectFailed, check_callback, finish, new_state
    from sync.ledger.db import LedgerNotMigrated, require_migrated, session_factory
    from sync.ledger.token_store import TokenKeyMissing

    settings = get_settings()
    try:
        config = load_tenants(settings.tenants_file).get(tenant)
    except ConfigError as exc:
        fail_config(exc)
    if config.provider.value != provider.value:
        fail(f"tenant {tenant} is a {config.provider.value} tenant, not {provider.value}")
    try:
        require_migrated(settings.database_url)
        client_id, _ = oauth.credentials_for(config, settings)
        state = new_state()
        with CallbackServer(port) as callback:
            url = oauth.authorize_url(config, client_id, callback.redirect_uri, state)
            console.print(f"Open this URL to connect {tenant} ({provider.value}):\n{url}", highlight=False,
                          soft_wrap=True)
            console.print(f"(register {callback.redirect_uri} as a redirect URI of your developer app)",
                          highlight=False)
            if open_browser:
                webbrowser.open(url)
            params = callback.wait(timeout)
        code = check_callback(params, state, config)
        tokens, resumed = finish(config, settings, session_factory(settings.database_url), code,
                                 callback.redirect_uri)
    except (ConnectFailed, LedgerNotMigrated, TokenKeyMissing, oauth.MissingCredentials) as exc:
        fail(str(exc))
    except oauth.OAuthError as exc:
        fail(f"the token exchange failed: HTTP {exc.error.status} {exc.error.code or ''} {exc.error.message}")
    console.print(f"[green]connected[/] {tenant}: access token valid until "
                  f"{tokens.access_expires_at:%Y-%m-%d %H:%M} UTC; {resumed} waiting posting(s) resumed",
                  highlight=False)


@app.command()
def connections(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Every tenant with its connection state and token expiry (tokens themselves are never shown)."""
    from sync.ledger.db import session_scope
    from sync.ledger.models import OAuthToken

    settings = get_settings()
    try:
        tenants = load_tenants(settings.tenants_file)
    except ConfigError as exc:
        fail_config(exc)
    with session_scope(migrated_ledger_url()) as session:
        rows = {r.tenant: r for r in session.scalars(select(OAuthToken))}
    now = datetime.now(UTC)
    out = []
    for name, cfg in sorted(tenants.tenants.items()):
        row = rows.get(name)
        reason: str | None
        if row is None:
            state, access, refresh = "not connected", None, None
            reason = f"run `refundsync connect {cfg.provider} --tenant {name}`"
        else:
            state = row.state
            if state == "active" and row.refresh_expires_at and row.refresh_expires_at < now:
                state = "expired"
            access, refresh, reason = row.access_expires_at, row.refresh_expires_at, row.reason
        out.append({"tenant": name, "provider": cfg.provider.value, "company": cfg.company_id, "state": state,
                    "access_expires_at": access.isoformat() if access else None,
                    "refresh_expires_at": refresh.isoformat() if refresh else None, "reason": reason})
    if as_json:
        print_json(out)
        return
    table = Table(title="connections")
    for col in ("tenant", "provider", "company", "state", "access token until", "refresh token until", "note"):
        table.add_column(col)
    for item in out:
        table.add_row(item["tenant"], item["provider"], item["company"], item["state"],
                      (item["access_expires_at"] or "-")[:16], (item["refresh_expires_at"] or "-")[:16],
                      item["reason"] or "")
    console.print(table)
