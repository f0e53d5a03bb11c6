"""Connect the sandbox's demo companies without a browser: the sandbox's admin token shortcut, stored
through the ledger token store exactly where `refundsync connect` would put the tokens.

Used by `refundsync demo` and, as ``python -m sync.demo.connect_sandbox SANDBOX_URL [TENANT...]``, by the
compose file's one-shot ``connect`` service (settings from the environment: ``REFUNDSYNC_DATABASE_URL``
and ``REFUNDSYNC_TOKEN_KEY``). Only for the local sandbox: real companies connect with `refundsync connect`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

DEMO_TENANTS = ("demo-qbo", "demo-xero")


def connect_sandbox(base_url: str, database_url: str, token_key: str, tenants: Iterable[str] = DEMO_TENANTS) -> None:
    from connectors.auth import TokenSet
    from connectors.sandbox.client import SandboxAdmin
    from sync.ledger.db import session_factory
    from sync.ledger.token_store import LedgerTokenStore

    store = LedgerTokenStore(session_factory(database_url), token_key)
    with SandboxAdmin(base_url) as admin:
        for tenant in tenants:
            issued = admin.issue_tokens(tenant)
            tokens = TokenSet.from_response({
                "access_token": issued.access_token, "refresh_token": issued.refresh_token,
                "expires_in": issued.expires_in, "x_refresh_token_expires_in": issued.refresh_expires_in})
            store.save(tenant, issued.provider, tokens, expected_version=None)


def main(argv: list[str] | None = None) -> int:
    from config.settings import load_settings

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m sync.demo.connect_sandbox SANDBOX_URL [TENANT...]", file=sys.stderr)
        return 2
    settings = load_settings()
    if settings.token_key is None:
        print("REFUNDSYNC_TOKEN_KEY is not set: tokens are only ever stored encrypted", file=sys.stderr)
        return 2
    tenants = args[1:] or list(DEMO_TENANTS)
    connect_sandbox(args[0], settings.database_url, settings.token_key.get_secret_value(), tenants)
    print(f"connected {', '.join(tenants)} to the sandbox at {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
