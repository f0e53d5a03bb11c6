"""Everything about the sandbox that a test, a benchmark or the demo may want to change.

Durations are written in *sandbox minutes*. ``minute_seconds`` says how many real seconds one sandbox
minute lasts, so a test can compress an hour of token lifetime or a minute of rate-limit window into
a second without changing any other number (time compression).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class OAuthClient:
    """An app registered with a provider: the credentials a connector is configured with."""

    client_id: str
    client_secret: str
    provider: str  # "quickbooks" | "xero"
    redirect_uris: tuple[str, ...] = ()  # empty: any redirect URI is accepted


@dataclass(frozen=True)
class QuickBooksLimits:
    """Per-realm limits as Intuit documents them (production)."""

    per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 120


@dataclass(frozen=True)
class XeroLimits:
    """Per-tenant limits (and the app-wide minute limit) as Xero documents them."""

    per_minute: int = 60
    per_day: int = 5000
    concurrent: int = 5
    app_per_minute: int = 10_000


DEFAULT_CLIENTS = (
    OAuthClient("sandbox-qbo-client", "sandbox-qbo-secret", "quickbooks"),
    OAuthClient("sandbox-xero-client", "sandbox-xero-secret", "xero"),
)


@dataclass(frozen=True)
class SandboxSettings:
    """Settings of one sandbox process. Immutable: build a changed copy with ``with_changes``."""

    minute_seconds: float = 60.0
    qbo_access_token_minutes: float = 60.0
    qbo_refresh_token_days: float = 100.0
    # Intuit hands out a new refresh token value about once a day; within that period a refresh returns
    # the same value. 0 rotates on every refresh.
    qbo_refresh_rotation_minutes: float = 24 * 60.0
    xero_access_token_minutes: float = 30.0
    xero_refresh_token_days: float = 60.0
    xero_refresh_grace_minutes: float = 30.0
    xero_idempotency_minutes: float = 6.0
    # How long a QBO requestid is remembered; None = for the life of the state (Intuit does not say).
    qbo_requestid_minutes: float | None = None
    qbo_cdc_days: float = 30.0
    qbo_limits: QuickBooksLimits = field(default_factory=QuickBooksLimits)
    xero_limits: XeroLimits = field(default_factory=XeroLimits)
    clients: tuple[OAuthClient, ...] = DEFAULT_CLIENTS
    rng_seed: int = 20261122
    request_log_size: int = 50_000
    # Persist at most this often (real seconds) when a state file is configured.
    save_interval_seconds: float = 0.5
    # Keep every API response body in the request log (conformance tests read them back).
    record_bodies: bool = False

    def with_changes(self, **changes: Any) -> SandboxSettings:
        """A copy with some fields changed; nested limits may be given as dicts."""
        if isinstance(changes.get("qbo_limits"), dict):
            changes["qbo_limits"] = replace(self.qbo_limits, **changes["qbo_limits"])
        if isinstance(changes.get("xero_limits"), dict):
            changes["xero_limits"] = replace(self.xero_limits, **changes["xero_limits"])
        return replace(self, **changes)

    def client(self, client_id: str) -> OAuthClient | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary; client secrets are masked (they are fixed test values, still not logged)."""
        data = asdict(self)
        data["clients"] = [
            {"client_id": c.client_id, "provider": c.provider, "client_secret": "***"} for c in self.clients
        ]
        return data
