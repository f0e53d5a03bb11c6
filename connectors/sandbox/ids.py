"""Deterministic identifiers: the same seed and the same requests give the same ids in every run.

Tests compare ids and bodies across runs, and a demo should show stable numbers, so neither provider's
ids come from ``uuid4()``: Xero-style UUIDs are drawn from the sandbox's seeded generator and QBO ids
are per-company counters.
"""

from __future__ import annotations

import random
import uuid


class IdSource:
    """A seeded source of version-4-shaped UUIDs and opaque codes."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def code(self, length: int = 24) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self._random.choice(alphabet) for _ in range(length))

    def getstate(self) -> object:
        return self._random.getstate()

    def setstate(self, state: object) -> None:
        self._random.setstate(state)  # type: ignore[arg-type]
