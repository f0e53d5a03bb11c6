"""`refundsync demo`: the whole pipeline on this machine, from the sample case log to the books."""

from __future__ import annotations

from pathlib import Path

import typer

from sync.cli.app import app, console, fail


@app.command()
def demo(
    keep_running: bool = typer.Option(False, "--keep-running",
                                      help="Leave the worker, beat, sandbox and Redis up after the table."),
    timeout: float = typer.Option(150.0, "--timeout", help="Seconds to wait for every sample case to settle."),
) -> None:
    """Run the sample case log through a real worker into the local sandbox and show where each case ended.

    Needs nothing but Python: an embedded redis-server is started unless REFUNDSYNC_BROKER_URL is set, the
    ledger is SQLite under ./var/demo/ (reset on every run), and the sandbox plays QuickBooks and Xero.
    """
    from config.errors import ConfigError
    from config.settings import load_settings
    from sync.demo.redis_server import RedisNotFound
    from sync.demo.run import DemoOptions, run_demo

    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(exc.render())
    # Only a broker the user set is used; the default (a Redis on 127.0.0.1:6379) is not assumed to exist.
    broker = settings.broker_url if "broker_url" in settings.model_fields_set else None
    if broker is not None and not broker.startswith(("redis://", "rediss://")):
        broker = None  # e.g. RabbitMQ: the demo runs its own Redis for both roles rather than need two servers
    options = DemoOptions(workdir=Path.cwd(), timeout=timeout, keep_running=keep_running, broker_url=broker)
    try:
        result = run_demo(options, console)
    except RedisNotFound as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        console.print("interrupted; everything the demo started is stopped", highlight=False)
        raise typer.Exit(130) from None
    except (RuntimeError, TimeoutError, OSError) as exc:
        fail(f"the demo could not finish: {exc}")
    if not result.as_expected:
        raise typer.Exit(1)
