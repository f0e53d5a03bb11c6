"""The books of one company: documents by entity and id, id sequences, preferences, limits, faults.

Documents are kept in their wire shape (the JSON object the provider would return, with ``Decimal``
money), because that is what clients read back and what conformance tests check. Deleting in QBO keeps
a tombstone so change data capture can report it; Xero never deletes, it changes a status.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.clock import SandboxClock
from connectors.sandbox.faults import FaultPlan
from connectors.sandbox.limits import CompanyLimiter
from connectors.sandbox.replay import ReplayCache
from connectors.sandbox.settings import SandboxSettings

QUICKBOOKS = "quickbooks"
XERO = "xero"


@dataclass
class Document:
    """One stored entity. ``updated`` drives CDC and If-Modified-Since; ``origin`` says who wrote it."""

    entity: str
    id: str
    body: dict[str, Any]
    created: float
    updated: float
    deleted: bool = False
    origin: str = "api"  # "seed" | "api" | "admin"

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "id": self.id,
            "body": self.body,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "origin": self.origin,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(**data)


class Company:
    """A QuickBooks realm or a Xero organisation (tenant)."""

    def __init__(
        self,
        key: str,
        name: str,
        provider: str,
        display_name: str,
        settings: SandboxSettings,
        clock: SandboxClock,
        preferences: dict[str, Any] | None = None,
        limits: dict[str, int] | None = None,
        created: float | None = None,
    ) -> None:
        if provider not in (QUICKBOOKS, XERO):
            raise ValueError(f"provider must be '{QUICKBOOKS}' or '{XERO}'")
        self.key = key
        self.name = name
        self.provider = provider
        self.display_name = display_name
        self.settings = settings
        self.clock = clock
        self.preferences: dict[str, Any] = dict(preferences or {})
        self.limit_overrides: dict[str, int] = dict(limits or {})
        self.created = created if created is not None else clock.now()
        self.documents: dict[str, dict[str, Document]] = {}
        self.sequences: dict[str, int] = {}
        seed = settings.rng_seed ^ zlib.crc32(key.encode("utf-8"))
        self.faults = FaultPlan(seed)
        self.limiter = self._build_limiter()
        if provider == QUICKBOOKS:
            window = settings.qbo_requestid_minutes
            self.replay = ReplayCache(clock.minutes(window) if window is not None else None)
        else:
            self.replay = ReplayCache(clock.minutes(settings.xero_idempotency_minutes))

    # -- limits ----------------------------------------------------------------------------------

    def _build_limiter(self) -> CompanyLimiter:
        o = self.limit_overrides
        if self.provider == QUICKBOOKS:
            q = self.settings.qbo_limits
            return CompanyLimiter(
                self.clock,
                per_minute=o.get("per_minute", q.per_minute),
                concurrent=o.get("concurrent", q.concurrent),
                batch_per_minute=o.get("batch_per_minute", q.batch_per_minute),
            )
        x = self.settings.xero_limits
        return CompanyLimiter(
            self.clock,
            per_minute=o.get("per_minute", x.per_minute),
            concurrent=o.get("concurrent", x.concurrent),
            per_day=o.get("per_day", x.per_day),
        )

    def set_limits(self, overrides: dict[str, int]) -> None:
        """Change limits at run time; counting starts afresh (requests in flight keep their slot)."""
        allowed = (
            {"per_minute", "concurrent", "batch_per_minute"}
            if self.provider == QUICKBOOKS
            else {"per_minute", "concurrent", "per_day"}
        )
        unknown = sorted(set(overrides) - allowed)
        if unknown:
            raise ValueError(f"unknown limit(s) for {self.provider}: {', '.join(unknown)}; known: {sorted(allowed)}")
        for name, value in overrides.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"limit {name} must be a non-negative integer")
        in_flight = self.limiter.in_flight
        self.limit_overrides.update(overrides)
        self.limiter = self._build_limiter()
        self.limiter.in_flight = in_flight

    # -- documents -------------------------------------------------------------------------------

    def docs(self, entity: str) -> dict[str, Document]:
        return self.documents.setdefault(entity, {})

    def get(self, entity: str, doc_id: str, include_deleted: bool = False) -> Document | None:
        doc = self.documents.get(entity, {}).get(doc_id)
        if doc is None or (doc.deleted and not include_deleted):
            return None
        return doc

    def live(self, entity: str) -> list[Document]:
        return [d for d in self.documents.get(entity, {}).values() if not d.deleted]

    def put(self, entity: str, doc_id: str, body: dict[str, Any], origin: str = "api") -> Document:
        """Store a new document or replace the body of an existing one (timestamps handled here)."""
        now = self.clock.now()
        existing = self.documents.get(entity, {}).get(doc_id)
        if existing is None:
            doc = Document(entity, doc_id, body, created=now, updated=now, origin=origin)
            self.docs(entity)[doc_id] = doc
            return doc
        existing.body = body
        existing.updated = now
        return existing

    def mark_deleted(self, entity: str, doc_id: str) -> Document | None:
        doc = self.get(entity, doc_id)
        if doc is not None:
            doc.deleted = True
            doc.updated = self.clock.now()
        return doc

    def next_id(self, sequence: str, start: int = 1) -> str:
        """Next value of a QBO id sequence, above any id already used in it (seeded ids included)."""
        current = self.sequences.get(sequence, start - 1)
        self.sequences[sequence] = current + 1
        return str(current + 1)

    def bump_sequence(self, sequence: str, used: str) -> None:
        if used.isdigit():
            self.sequences[sequence] = max(self.sequences.get(sequence, 0), int(used))

    # -- summaries and persistence ---------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        counts = {entity: sum(1 for d in docs.values() if not d.deleted) for entity, docs in self.documents.items()}
        return {
            "key": self.key,
            "name": self.name,
            "provider": self.provider,
            "display_name": self.display_name,
            "preferences": self.preferences,
            "limits": self.limiter.snapshot(self.clock.now()),
            "faults": self.faults.status(),
            "documents": counts,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "provider": self.provider,
            "display_name": self.display_name,
            "preferences": self.preferences,
            "limits": self.limit_overrides,
            "created": self.created,
            "sequences": self.sequences,
            "documents": [d.to_dict() for docs in self.documents.values() for d in docs.values()],
            "replay": self.replay.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], settings: SandboxSettings, clock: SandboxClock) -> Company:
        company = cls(
            key=data["key"],
            name=data["name"],
            provider=data["provider"],
            display_name=data["display_name"],
            settings=settings,
            clock=clock,
            preferences=data.get("preferences"),
            limits=data.get("limits"),
            created=data.get("created"),
        )
        company.sequences = {k: int(v) for k, v in data.get("sequences", {}).items()}
        for raw in data.get("documents", []):
            doc = Document.from_dict(raw)
            company.docs(doc.entity)[doc.id] = doc
        company.replay.load_dict(data.get("replay", {}))
        return company
