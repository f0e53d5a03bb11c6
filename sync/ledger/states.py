"""The life of a posting, as stored in ``postings.state``.

``pending -> in_flight -> posted -> confirmed`` is the happy path. Side exits: ``failed`` (permanent,
an operator is needed), ``unknown`` (the outcome is uncertain: resolve by looking the tag up),
``waiting_reconnect`` (the tenant's connection is broken), ``mismatch`` / ``removed`` / ``missing`` /
``duplicate`` (found by back-sync), ``skipped`` and ``linked`` (operator decisions), ``voided``
(`refundsync unpost`, or an amendment that had to void and repost) and ``superseded`` (a later
revision of the case replaced this one).
"""

from __future__ import annotations

from enum import StrEnum

from mapping.entries import DocumentRole

__all__ = ["HAS_REMOTE", "NEEDS_ATTENTION", "DocumentRole", "PostingState", "RejectionKind"]


class PostingState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    POSTED = "posted"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    WAITING_RECONNECT = "waiting_reconnect"
    MISMATCH = "mismatch"
    REMOVED = "removed"
    MISSING = "missing"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    LINKED = "linked"
    SUPERSEDED = "superseded"
    VOIDED = "voided"


#: States in which a remote document exists (or may exist) for the posting.
HAS_REMOTE = frozenset({PostingState.POSTED, PostingState.CONFIRMED, PostingState.MISMATCH, PostingState.LINKED,
                        PostingState.DUPLICATE})
#: States an operator must look at.
NEEDS_ATTENTION = frozenset({PostingState.FAILED, PostingState.WAITING_RECONNECT, PostingState.MISMATCH,
                             PostingState.REMOVED, PostingState.MISSING, PostingState.DUPLICATE,
                             PostingState.UNKNOWN})


class RejectionKind(StrEnum):
    INVALID = "invalid"  # the payload is not a valid closed case
    CONFLICT = "conflict"  # same case id and revision as a stored case, different content
