"""`refundsync config check`: validate settings and the tenants file, secrets masked."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from config.errors import ConfigError
from config.settings import load_settings
from config.tenants import load_tenants
from sync.cli.app import config_app, console, fail_config, print_json


@config_app.command("check")
def config_check(
    tenants: Path | None = typer.Option(None, "--tenants", help="Tenants file (default: REFUNDSYNC_TENANTS_FILE)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Validate the settings and the tenants file and print a summary with secrets masked."""
    try:
        settings = load_settings()
        tenants_file = load_tenants(tenants or settings.tenants_file)
    except ConfigError as exc:
        fail_config(exc)
    summaries = [t.safe_summary() for t in tenants_file.tenants.values()]
    if as_json:
        print_json({"settings": settings.safe_summary(), "tenants_file": str(tenants_file.path),
                    "tenants": summaries})
        return
    table = Table(title="settings", show_header=False)
    for key, value in settings.safe_summary().items():
        table.add_row(key, value)
    console.print(table)
    tt = Table(title=f"tenants ({tenants_file.path})")
    for col in ("name", "provider", "company", "base_url", "client_id", "client_secret", "home_currency"):
        tt.add_column(col)
    for s in summaries:
        tt.add_row(*(s[c] for c in ("name", "provider", "company", "base_url", "client_id", "client_secret",
                                    "home_currency")))
    console.print(tt)
    console.print(f"[green]ok[/]: {len(summaries)} tenant(s)")
