"""The `refundsync` command. Each group of commands lives in its own module and registers itself here."""

from __future__ import annotations

from sync.cli.app import app
from sync.cli import cases, config_cmd  # noqa: F401  (registration by import)


def main() -> None:
    app()


__all__ = ["app", "main"]
