"""The worker: Celery app and tasks, the ledger, the posting engine, back-sync and the operator CLI."""

from __future__ import annotations

from typing import Any

__all__ = ["submit_case"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing sync.ledger (or the CLI) does not build a Celery app.
    if name == "submit_case":
        from sync.producer import submit_case

        return submit_case
    raise AttributeError(name)
