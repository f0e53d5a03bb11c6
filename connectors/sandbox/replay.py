"""Remembered responses for request replay: QBO ``requestid`` and Xero ``Idempotency-Key``.

The first response to a keyed write is stored with a fingerprint of the request. A later request with
the same key gets the stored response back and writes nothing. Xero refuses a reused key whose request
differs (400); Intuit returns the first response whatever the second request says.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class StoredReply:
    """A response as the client saw it (or would have, had it not been dropped)."""

    status: int
    body: str
    content_type: str
    fingerprint: str
    stored_at: float
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Identity of a request for reuse checks: method, path, query and exact body bytes."""
    digest = hashlib.sha256()
    for part in (method.upper(), path, query):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


@dataclass
class ReplayCache:
    """Keyed replies of one company, each kept for ``window`` real seconds (None: forever)."""

    window: float | None
    replies: dict[str, StoredReply] = field(default_factory=dict)

    def get(self, key: str, now: float) -> StoredReply | None:
        reply = self.replies.get(key)
        if reply is None:
            return None
        if self.window is not None and now - reply.stored_at >= self.window:
            del self.replies[key]
            return None
        return reply

    def put(self, key: str, reply: StoredReply) -> None:
        self.replies[key] = reply

    def purge(self, now: float) -> None:
        if self.window is not None:
            window = self.window
            self.replies = {k: r for k, r in self.replies.items() if now - r.stored_at < window}

    def to_dict(self) -> dict[str, Any]:
        return {key: asdict(reply) for key, reply in self.replies.items()}

    def load_dict(self, data: dict[str, Any]) -> None:
        self.replies = {key: StoredReply(**reply) for key, reply in data.items()}
