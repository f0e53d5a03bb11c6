"""The `refundsync` command. Each group of commands lives in its own module and registers itself on import."""

from __future__ import annotations

import importlib

from sync.cli.app import app

#: One line per command module; importing a module adds its commands to `app`.
COMMAND_MODULES = (
    "sync.cli.cases",
    "sync.cli.config_cmd",
    "sync.cli.db_cmd",
    "sync.cli.queue_cmd",
    "sync.cli.preview_cmd",
    "sync.cli.sandbox_cmd",
    "sync.cli.connect_cmd",
    "sync.cli.ops_cmd",
    "sync.cli.demo_cmd",
    "sync.cli.remote_ops_cmd",
    "sync.cli.backsync_cmd",
)
for _module in COMMAND_MODULES:
    importlib.import_module(_module)


def main() -> None:
    app()


__all__ = ["app", "main"]
