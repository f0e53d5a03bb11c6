"""From a provider's answer to a posting's next state. Pure: no I/O, no clock (the caller passes both).

Every path ends in a state a person can read: ``posted`` with the remote id, ``unknown`` (look it up
before anything is sent again), ``pending`` with a time for the next try, ``waiting_reconnect``, or
``failed`` with a reason that says what to fix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from connectors.errors import Action, Classification
from connectors.protocol import PostOutcome, RemoteDocument
from sync.engine.backoff import backoff_seconds
from sync.ledger.states import PostingState


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 900.0


@dataclass(frozen=True)
class Transition:
    state: PostingState
    attempt_outcome: str  # created | adopted | uncertain | retry | waiting | failed
    reason: str | None = None
    error_code: str | None = None
    retry_in: float | None = None
    remote: RemoteDocument | None = None


def after_post(outcome: PostOutcome, attempts_so_far: int, policy: RetryPolicy,
               rng: random.Random | None = None) -> Transition:
    """The next state after one send; ``attempts_so_far`` includes this one."""
    if outcome.created is not None:
        return Transition(PostingState.POSTED, "created", remote=outcome.created)
    classification = outcome.classification
    if classification is None:  # a connector must always classify; treat silence as uncertainty
        return Transition(PostingState.UNKNOWN, "uncertain", "the provider's answer was not understood; "
                          "the document is looked up by its tag before anything is re-sent")
    return after_error(classification, attempts_so_far, policy, rng, code=_code(outcome))


def after_error(classification: Classification, attempts_so_far: int, policy: RetryPolicy,
                rng: random.Random | None = None, code: str | None = None) -> Transition:
    action = classification.action
    if action is Action.UNCERTAIN:
        return Transition(PostingState.UNKNOWN, "uncertain", classification.reason, code)
    if action is Action.PERMANENT:
        return Transition(PostingState.FAILED, "failed", classification.reason, code)
    if action is Action.RECONNECT:
        return Transition(PostingState.WAITING_RECONNECT, "waiting", classification.reason, code)
    # Being told to wait is not a failed try: a rate limit never uses up the retry budget.
    if action is not Action.RATE_LIMITED and attempts_so_far >= policy.max_attempts:
        return Transition(PostingState.FAILED, "failed",
                          f"gave up after {attempts_so_far} attempts; last answer: {classification.reason}", code)
    if action is Action.RATE_LIMITED and classification.retry_after is not None:
        wait = min(policy.cap_seconds, max(0.0, classification.retry_after))
    else:
        wait = backoff_seconds(attempts_so_far, base=policy.base_seconds, cap=policy.cap_seconds, rng=rng)
    return Transition(PostingState.PENDING, "retry", classification.reason, code, retry_in=wait)


def after_lookup(found: list[RemoteDocument]) -> Transition | None:
    """A lookup by tag before re-sending: adopt what is there, or None to send (with the same key)."""
    live = [d for d in found if d.status.value == "active"]
    if not live:
        return None
    first = sorted(live, key=lambda d: d.remote_id)[0]
    reason = None
    if len(live) > 1:
        reason = (f"{len(live)} documents carry this tag in the books ({', '.join(d.remote_id for d in live)}); "
                  f"adopted {first.remote_id}, the others are reported by back-sync as duplicates")
    return Transition(PostingState.POSTED, "adopted", reason, remote=first)


def _code(outcome: PostOutcome) -> str | None:
    if outcome.error is None:
        return None
    return outcome.error.code or (str(outcome.error.status) if outcome.error.status else None)
