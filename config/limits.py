"""Provider request limits, as configuration: defaults from the providers' published limits, per-tenant
overrides in the tenants file, and time compression for tests and benchmarks.

``REFUNDSYNC_LIMIT_MINUTE_SECONDS`` says how long a provider "minute" lasts (default 60). Tests and
benchmarks set it to a second or two together with the sandbox's own ``minute_seconds``, so rate-limit
behaviour is exercised in seconds; a "day" is always 1,440 such minutes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ProviderLimits(BaseModel):
    """What one tenant (company) may send."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_minute: int = Field(gt=0)
    per_day: int | None = Field(default=None, gt=0)
    concurrency: int = Field(gt=0)
    batch_per_minute: int | None = Field(default=None, gt=0, description="QuickBooks /batch requests a minute.")
    app_per_minute: int | None = Field(default=None, gt=0, description="Calls a minute for the whole app (Xero).")


class LimitOverrides(BaseModel):
    """The ``limits:`` block of a tenant: any field left out keeps the provider's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_minute: int | None = Field(default=None, gt=0)
    per_day: int | None = Field(default=None, gt=0)
    concurrency: int | None = Field(default=None, gt=0)
    batch_per_minute: int | None = Field(default=None, gt=0)
    app_per_minute: int | None = Field(default=None, gt=0)

    def apply(self, base: ProviderLimits) -> ProviderLimits:
        return base.model_copy(update={k: v for k, v in self.model_dump().items() if v is not None})


#: Intuit: 500 requests/min and 10 concurrent per realm; /batch 40/min (2023 guidance; 120/min in production
#: from 2025-10-31, the lower figure is kept as the safe default). Xero: 60/min, 5,000/day, 5 concurrent per
#: tenant, 10,000/min per app.
DEFAULT_LIMITS: dict[str, ProviderLimits] = {
    "quickbooks": ProviderLimits(per_minute=500, concurrency=10, batch_per_minute=40),
    "xero": ProviderLimits(per_minute=60, per_day=5000, concurrency=5, app_per_minute=10_000),
}
