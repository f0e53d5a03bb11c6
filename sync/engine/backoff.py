"""How long to wait before the next try: capped, jittered exponential backoff. Pure."""

from __future__ import annotations

import random


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 900.0, rng: random.Random | None = None) -> float:
    """Full jitter (AWS architecture blog): uniform in [base/2, min(cap, base * 2**(attempt-1))].

    The floor of base/2 keeps a retry from firing immediately; the cap must stay below the broker's
    visibility timeout (the worker checks that at start-up).
    """
    rng = rng or random.Random()
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return max(min(base / 2, ceiling), rng.uniform(base / 2, ceiling))
