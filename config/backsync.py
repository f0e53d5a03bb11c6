"""The ``backsync:`` block of a tenant: how often its books are read back, and what counts as a difference.

```yaml
tenants:
  demo-qbo:
    backsync:
      interval_minutes: 15        # how often beat pulls the tenant's changes (real minutes)
      amount_tolerance: "0.00"    # an amount differing by no more than this is not a mismatch
      date_tolerance_days: 0      # a date moved by no more than this many days is not a mismatch
      auto_repost_removed: false  # re-post an entry someone removed from the books (off: report only)
```

Defaults are strict (exact amount, same day) because finance signs off on what the books say; a tenant
whose bookkeepers routinely round or re-date entries can loosen them here rather than in code.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class BacksyncSettings(BaseModel):
    """Per-tenant back-sync schedule and tolerances."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Include the tenant in scheduled back-syncs.")
    interval_minutes: float = Field(default=15.0, gt=0, le=1440,
                                    description="Minutes between scheduled back-syncs of this tenant.")
    amount_tolerance: Decimal = Field(default=Decimal("0"), ge=0,
                                      description="Largest amount difference still reported as confirmed.")
    date_tolerance_days: int = Field(default=0, ge=0, le=366,
                                     description="Largest date difference (days) still reported as confirmed.")
    auto_repost_removed: bool = Field(default=False,
                                      description="Put an entry removed in the books back in line to post.")

    @field_validator("amount_tolerance", mode="before")
    @classmethod
    def _exact_amount(cls, value: Any) -> Any:
        """YAML reads ``0.01`` as a float: take its shortest text (``'0.01'``), never its binary value."""
        if isinstance(value, bool):
            raise ValueError("must be an amount such as \"0.01\"")
        if isinstance(value, float | int):
            try:
                return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            except InvalidOperation:
                raise ValueError("must be an amount such as \"0.01\"") from None
        return value
