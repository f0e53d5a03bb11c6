"""Ledger tables. Columns are plain types (states as short strings) so SQLite and PostgreSQL agree."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back time-zone aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class CaseRevision(Base):
    """A case as received: its canonical payload and hash. (case_id, revision) is unique."""

    __tablename__ = "case_revisions"
    __table_args__ = (UniqueConstraint("case_id", "revision", name="uq_case_revisions_case_revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    postings: Mapped[list[Posting]] = relationship(back_populates="case_revision")


class Posting(Base):
    """One remote document we owe for one case revision (one per party, plus follow-ups)."""

    __tablename__ = "postings"
    __table_args__ = (Index("ix_postings_tenant_state", "tenant", "state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_revision_id: Mapped[int] = mapped_column(ForeignKey("case_revisions.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    tenant: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    party_key: Mapped[str] = mapped_column(String(300))
    party_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(24), index=True)
    document_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tag: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    payload_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remote_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    remote_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remote_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    supersedes_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    depends_on_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: Bumped by an operator re-run or repost: a fresh idempotency key (and, for a repost, a fresh tag).
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When back-sync last compared this posting with the books, and what differed (JSON), if anything.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    drift: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    case_revision: Mapped[CaseRevision] = relationship(back_populates="postings")
    attempts: Mapped[list[Attempt]] = relationship(back_populates="posting", order_by="Attempt.id")


class Attempt(Base):
    """One call to a provider on behalf of a posting: what was asked, what came back, how we read it."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    posting_id: Mapped[str] = mapped_column(ForeignKey("postings.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    operation: Mapped[str] = mapped_column(String(40))
    request_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provider_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    classification: Mapped[str | None] = mapped_column(String(24), nullable=True)
    outcome: Mapped[str] = mapped_column(String(24))

    posting: Mapped[Posting] = relationship(back_populates="attempts")


class RejectedInput(Base):
    """An input that could not become a case revision, kept whole with the reason (nothing is dropped)."""

    __tablename__ = "rejected_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    raw_payload: Mapped[str] = mapped_column(Text)
    payload_bytes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    errors: Mapped[str] = mapped_column(Text)  # JSON list of {"field", "message"}


class OAuthToken(Base):
    """A tenant's OAuth tokens, encrypted at rest (Fernet); ``version`` guards concurrent refreshes."""

    __tablename__ = "oauth_tokens"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="active")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BacksyncCursor(Base):
    """Where a tenant's back-sync stopped; advanced only after the pulled batch is recorded."""

    __tablename__ = "backsync_cursors"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReconciliationRun(Base):
    """One back-sync (change feed since a cursor) or reconcile (a full date range) of one tenant."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (Index("ix_reconciliation_runs_tenant_started", "tenant", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # backsync | reconcile
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    range_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    range_to: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cursor_before: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cursor_after: Mapped[str | None] = mapped_column(String(100), nullable=True)
    documents_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    counts: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")  # JSON {state: n}
    outcome: Mapped[str] = mapped_column(String(20), default="running", server_default="running")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
