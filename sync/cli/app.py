"""The Typer application and the helpers every command shares (console, error exit)."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console

from config.errors import ConfigError

app = typer.Typer(
    name="refundsync",
    help="Post closed refund cases to QuickBooks Online and Xero exactly once, and confirm them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
schema_app = typer.Typer(help="Print JSON Schemas of refundsync's inputs.", no_args_is_help=True)
config_app = typer.Typer(help="Check settings and the tenants file.", no_args_is_help=True)
db_app = typer.Typer(help="Ledger database maintenance.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-paragraph error for a person and exit; no traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def fail_config(exc: ConfigError) -> NoReturn:
    err_console.print(f"[bold red]configuration error[/] {exc.render()}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def migrated_ledger_url() -> str:
    """The ledger URL, after checking it is migrated; otherwise exit saying which command to run."""
    from config.settings import get_settings
    from sync.ledger.db import LedgerNotMigrated, require_migrated

    url = get_settings().database_url
    try:
        require_migrated(url)
    except LedgerNotMigrated as exc:
        fail(str(exc))
    return url


def print_json(data: object) -> None:
    """JSON for scripts: plain stdout, no Rich markup or wrapping."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
