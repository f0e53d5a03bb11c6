"""`python -m sync.cli` is `refundsync`."""

from __future__ import annotations

from sync.cli import main

main()
