"""`refundsync db upgrade|current`: migrate the ledger and say where it stands."""

from __future__ import annotations

from config.settings import get_settings, mask_url
from sync.cli.app import console, db_app, fail


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the ledger tables to the version this code needs."""
    from sync.ledger.db import current_revision, head_revision, upgrade

    url = get_settings().database_url
    try:
        upgrade(url)
    except Exception as exc:  # the operator needs the reason, not a traceback
        fail(f"could not migrate {mask_url(url)}: {exc}")
    console.print(f"ledger {mask_url(url)} is at schema {current_revision(url)} (head {head_revision()})",
                  highlight=False)


@db_app.command("current")
def db_current() -> None:
    """Print the ledger's schema version and whether it is up to date."""
    from sync.ledger.db import current_revision, head_revision

    url = get_settings().database_url
    current, head = current_revision(url), head_revision()
    state = "up to date" if current == head else "behind: run `refundsync db upgrade`"
    console.print(f"{mask_url(url)}: schema {current or 'none'}, head {head} ({state})", highlight=False)
