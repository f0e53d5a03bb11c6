"""The whole sandbox: companies, tokens, the request log, the app-wide limiter, and the state file.

State lives in memory. With a state file it is written (atomically: temp file + rename) shortly after
every change and at shutdown, and read back at start, so a demo survives a restart with its documents,
tokens and remembered idempotency keys.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.clock import SandboxClock
from connectors.sandbox.ids import IdSource
from connectors.sandbox.limits import AppLimiter
from connectors.sandbox.requestlog import RequestLog
from connectors.sandbox.settings import SandboxSettings
from connectors.sandbox.store import Company
from connectors.sandbox.tokens import TokenStore

STATE_VERSION = 1


class UnknownCompany(LookupError):
    pass


class SandboxState:
    """Everything one sandbox process knows. Touched only from the server's event loop thread."""

    def __init__(self, settings: SandboxSettings, state_file: Path | None = None) -> None:
        self.settings = settings
        self.clock = SandboxClock(settings.minute_seconds)
        self.state_file = state_file
        self.ids = IdSource(settings.rng_seed)
        self.companies: dict[str, Company] = {}
        self.aliases: dict[str, str] = {}
        self.tokens = TokenStore(settings, self.clock)
        self.requests = RequestLog(settings.request_log_size)
        self.app_limiter = AppLimiter(self.clock, settings.xero_limits.app_per_minute)
        self.dirty = False

    # -- companies -------------------------------------------------------------------------------

    def add_company(self, company: Company) -> None:
        """Add or replace a company (replacing drops its documents: that is what re-seeding means)."""
        old = self.companies.get(company.key)
        if old is not None:
            self.aliases.pop(old.name, None)
        if company.name in self.aliases and self.aliases[company.name] != company.key:
            raise ValueError(f"company name '{company.name}' is already used by {self.aliases[company.name]}")
        self.companies[company.key] = company
        self.aliases[company.name] = company.key
        self.dirty = True

    def company(self, ref: str) -> Company:
        """A company by its realm/tenant id or by its sandbox name (``demo-qbo``)."""
        key = ref if ref in self.companies else self.aliases.get(ref)
        if key is None:
            raise UnknownCompany(ref)
        return self.companies[key]

    def find(self, ref: str) -> Company | None:
        try:
            return self.company(ref)
        except UnknownCompany:
            return None

    def remove_company(self, ref: str) -> None:
        company = self.company(ref)
        del self.companies[company.key]
        self.aliases.pop(company.name, None)
        self.tokens.revoke_company(company.key)
        self.dirty = True

    def reset(self) -> None:
        """Forget everything: companies, tokens, request log, clock offset, generator state."""
        self.companies.clear()
        self.aliases.clear()
        self.tokens = TokenStore(self.settings, self.clock)
        self.requests.clear()
        self.app_limiter = AppLimiter(self.clock, self.settings.xero_limits.app_per_minute)
        self.ids = IdSource(self.settings.rng_seed)
        self.clock.offset = 0.0
        self.dirty = True

    # -- persistence -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "clock_offset": self.clock.offset,
            "ids": _jsonable(self.ids.getstate()),
            "companies": [c.to_dict() for c in self.companies.values()],
            "tokens": self.tokens.to_dict(),
        }

    def load_dict(self, data: dict[str, Any]) -> None:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"state file version {data.get('version')!r} is not {STATE_VERSION}")
        self.companies.clear()
        self.aliases.clear()
        self.clock.offset = float(data.get("clock_offset", 0.0))
        if "ids" in data:
            self.ids.setstate(_tupled(data["ids"]))
        for raw in data.get("companies", []):
            self.add_company(Company.from_dict(raw, self.settings, self.clock))
        self.tokens.load_dict(data.get("tokens", {}))
        self.dirty = False

    def save(self) -> None:
        """Write the state file atomically, if one is configured and something changed."""
        if self.state_file is None or not self.dirty:
            return
        self.tokens.purge()
        for company in self.companies.values():
            company.replay.purge(self.clock.now())
        text = wire.dumps(self.to_dict())
        target = self.state_file
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.dirty = False

    def load(self) -> bool:
        """Read the state file if it exists; True when state was loaded."""
        if self.state_file is None or not self.state_file.exists():
            return False
        self.load_dict(wire.loads(self.state_file.read_bytes()))
        return True


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _tupled(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    if isinstance(value, Decimal):  # the generator's cached gauss value, read back by wire.loads
        return float(value)
    return value
