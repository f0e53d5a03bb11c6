"""Every request the sandbox received, with what happened to it, for tests and the demo to inspect.

Each record has real monotonic start and end times, so a test can prove from the server's own view
how many requests of a company were being served at once, and which ones were refused, replayed,
dropped after a commit, or failed by an injected fault.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RequestRecord:
    seq: int
    provider: str  # "quickbooks" | "xero" | "oauth" | "admin"
    method: str
    path: str
    query: str
    sandbox_time: float
    started: float  # time.monotonic() when received
    company: str | None = None
    client_id: str | None = None
    idempotency_key: str | None = None  # Xero Idempotency-Key header
    request_id: str | None = None  # QBO requestid query parameter
    status: int | None = None  # None when the response was dropped
    outcome: str = "pending"
    # outcome: ok | error | unauthorized | throttled | offline | injected_error | replayed | dropped
    limit_problem: str | None = None
    admitted: bool = False  # counted against the company's limits and held a concurrency slot
    finished: float | None = None
    served_started: float | None = None  # monotonic time the request got its concurrency slot
    released: float | None = None  # monotonic time it gave the slot back
    admitted_at: float | None = None  # sandbox time of the admission decision (rate windows use it)
    response_body: str | None = None  # kept only with SandboxSettings.record_bodies (tests)
    content_type: str | None = None
    written: list[dict[str, str]] = field(default_factory=list)  # [{"entity", "id"}] committed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """A bounded, ordered log (oldest records fall off once ``size`` is reached)."""

    def __init__(self, size: int) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=size)
        self._seq = 0

    def start(self, provider: str, method: str, path: str, query: str, sandbox_time: float) -> RequestRecord:
        self._seq += 1
        record = RequestRecord(
            seq=self._seq,
            provider=provider,
            method=method,
            path=path,
            query=query,
            sandbox_time=sandbox_time,
            started=time.monotonic(),
        )
        self._records.append(record)
        return record

    def finish(self, record: RequestRecord, status: int | None, outcome: str) -> None:
        record.status = status
        record.outcome = outcome
        record.finished = time.monotonic()

    def select(
        self,
        company: str | None = None,
        provider: str | None = None,
        since_seq: int = 0,
        limit: int | None = None,
    ) -> list[RequestRecord]:
        out = [
            r
            for r in self._records
            if r.seq > since_seq
            and (company is None or r.company == company)
            and (provider is None or r.provider == provider)
        ]
        return out[-limit:] if limit else out

    @property
    def last_seq(self) -> int:
        return self._seq

    def clear(self) -> None:
        self._records.clear()
