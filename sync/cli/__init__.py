"""The `refundsync` command. Each group of commands lives in its own module and registers itself here."""

from __future__ import annotations

from sync.cli.app import app

# Registration by import: each module adds its commands to `app`. One line per module.
from sync.cli import cases  # noqa: F401, E402
from sync.cli import config_cmd  # noqa: F401, E402
from sync.cli import preview_cmd  # noqa: F401, E402


def main() -> None:
    app()


__all__ = ["app", "main"]
