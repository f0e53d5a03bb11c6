"""Operator re-runs and reposts as the engine sees them: which key and which tag a posting is sent with.

Two counters, because they protect different things:

* ``postings.generation`` is bumped by every operator re-run (`refundsync retry`) and repost. It goes
  into the idempotency key (:func:`mapping.hashing.idempotency_key`), so a re-run after a permanent
  failure is not answered from the provider's replay cache (Xero ~6 minutes, QBO longer) with the old
  failure.
* The *repost number* counts only `refundsync repost` decisions (operator attempt rows with outcome
  ``repost``; the history is append-only, so the count never goes back). It goes into the tag (``~g<n>``,
  see :mod:`mapping.tags`): the voided or deleted document may keep its number, so the new one needs its
  own. A re-run keeps the tag, because what an earlier try may have created is found by it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.ledger.models import Attempt, Posting
from sync.ledger.states import PostingState

#: The outcome of the operator attempt row a repost writes (what the repost number counts).
REPOST = "repost"
#: States a reposted follow-up waits in (remote id cleared) until its credit is in the books again.
_GONE = (PostingState.VOIDED.value, PostingState.REMOVED.value, PostingState.MISSING.value)


def repost_number(session: Session, posting: Posting) -> int:
    """How many times an operator reposted ``posting`` (0 for nearly every posting: no query then)."""
    if not posting.generation:
        return 0
    count = session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.posting_id == posting.id, Attempt.operation == "operator", Attempt.outcome == REPOST))
    return int(count or 0)


def awaits_credit(posting: Posting) -> bool:
    """A follow-up reposted together with its credit: it is sent once the credit is in the books again."""
    return posting.state in _GONE and posting.remote_id is None and posting.depends_on_id is not None
