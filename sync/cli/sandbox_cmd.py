"""`refundsync sandbox`: run the local QuickBooks Online + Xero sandbox in the foreground.

The sandbox is imported only when the command runs, so the rest of the CLI does not pay for Starlette
and uvicorn at start-up.
"""

from __future__ import annotations

from pathlib import Path

import typer

from sync.cli.app import app, console, fail


@app.command()
def sandbox(
    port: int = typer.Option(8765, "--port", "-p", help="Port on 127.0.0.1 (0 picks a free one)."),
    seed: list[Path] = typer.Option(
        [], "--seed", help="Seed file (YAML or JSON); repeat for several. Default: the built-in demo seed."
    ),
    state: Path | None = typer.Option(
        None, "--state", help="State file: loaded at start if it exists, written after changes and at exit."
    ),
    minute_seconds: float = typer.Option(
        60.0, "--minute-seconds", help="Real seconds per sandbox minute (time compression for limits/tokens)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
) -> None:
    """Serve QuickBooks Online and Xero stand-ins (API, OAuth, admin) on one local port."""
    from connectors.sandbox.seeds import SeedError, read_seed
    from connectors.sandbox.server import serve_forever
    from connectors.sandbox.settings import SandboxSettings

    try:
        seeds = [read_seed(path) for path in seed] if seed else None
    except (OSError, SeedError) as exc:
        fail(f"cannot read the seed: {exc}")
    try:
        settings = SandboxSettings(minute_seconds=minute_seconds)
    except ValueError as exc:
        fail(str(exc))
    if port == 0:
        port = _free_port(host)
    base = f"http://{host}:{port}"
    console.print(
        f"sandbox on [bold]{base}[/]: QuickBooks /v3/company/<realm>/..., Xero /api.xro/2.0/..., "
        f"admin /_sandbox/... (tokens: POST {base}/_sandbox/companies/<name>/tokens)",
        highlight=False,
        soft_wrap=True,
    )
    if state is not None:
        console.print(f"state file: {state}", highlight=False)
    try:
        serve_forever(port, settings, seeds, state, host=host)
    except (OSError, SeedError, ValueError) as exc:
        fail(f"the sandbox could not start: {exc}")


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
