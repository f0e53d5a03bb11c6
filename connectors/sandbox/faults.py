"""Fault injection per company: what goes wrong, decided by a seeded generator so tests repeat exactly.

A fault set is plain data (``FaultConfig``); ``FaultPlan`` owns the random generator and the
countdowns and answers the questions the request pipeline asks, in order: is the company offline, must
this request be throttled, how long to stall, must it fail with a server error before doing anything,
and - after a write has been committed - must its response be lost.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class FaultConfig:
    """The faults in force for one company. All off by default."""

    latency_ms: int = 0
    latency_jitter_ms: int = 0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    error_next: int = 0
    drop_rate: float = 0.0
    drop_next: int = 0
    offline: bool = False
    throttle_next: int = 0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in ("latency_ms", "latency_jitter_ms", "error_next", "drop_next", "throttle_next"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if not self.error_statuses or any(s not in (500, 502, 503, 504) for s in self.error_statuses):
            raise ValueError("error_statuses must be a non-empty list of 500, 502, 503 or 504")

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: FaultConfig | None = None) -> FaultConfig:
        """Build from JSON; unknown keys are an error so a typo never silently disables a fault."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = dict(data)
        if "error_statuses" in values:
            values["error_statuses"] = tuple(int(s) for s in values["error_statuses"])
        return replace(base or cls(), **values)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_statuses"] = list(self.error_statuses)
        return data


class FaultPlan:
    """The live state of one company's faults: config, countdowns and the seeded generator."""

    def __init__(self, default_seed: int) -> None:
        self._default_seed = default_seed
        self.config = FaultConfig()
        self._random = random.Random(default_seed)
        self._error_next = 0
        self._drop_next = 0
        self._throttle_next = 0

    def configure(self, config: FaultConfig) -> None:
        """Replace the faults; countdowns restart from the new values and the generator is reseeded."""
        self.config = config
        self._random = random.Random(config.seed if config.seed is not None else self._default_seed)
        self._error_next = config.error_next
        self._drop_next = config.drop_next
        self._throttle_next = config.throttle_next

    def clear(self) -> None:
        self.configure(FaultConfig())

    @property
    def offline(self) -> bool:
        return self.config.offline

    def take_throttle(self) -> bool:
        """True when this request belongs to a forced 429 burst (consumes one)."""
        if self._throttle_next > 0:
            self._throttle_next -= 1
            return True
        return False

    def latency_seconds(self) -> float:
        extra = self._random.randint(0, self.config.latency_jitter_ms) if self.config.latency_jitter_ms else 0
        return (self.config.latency_ms + extra) / 1000.0

    def take_error(self) -> int | None:
        """The status of an injected server error for this request, or None."""
        if self._error_next > 0:
            self._error_next -= 1
            return self.config.error_statuses[0]
        if self.config.error_rate and self._random.random() < self.config.error_rate:
            return self._random.choice(self.config.error_statuses)
        return None

    def take_drop(self) -> bool:
        """True when the response to a committed write must be lost."""
        if self._drop_next > 0:
            self._drop_next -= 1
            return True
        return bool(self.config.drop_rate) and self._random.random() < self.config.drop_rate

    def status(self) -> dict[str, Any]:
        """Config plus what is left of each countdown, for the admin API."""
        return {
            **self.config.as_dict(),
            "remaining": {
                "error_next": self._error_next,
                "drop_next": self._drop_next,
                "throttle_next": self._throttle_next,
            },
        }
