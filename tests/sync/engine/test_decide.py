"""Every provider answer leads to a state a person can read; retries are bounded and jittered."""

from __future__ import annotations

import random
from datetime import date

import pytest

from connectors.errors import Action, Classification, ProviderError
from connectors.protocol import PostOutcome, RemoteDocument, RemoteStatus
from sync.engine.backoff import backoff_seconds
from sync.engine.decide import RetryPolicy, after_lookup, after_post
from sync.ledger.states import PostingState

DOC = RemoteDocument("VendorCredit", "146", "RF-1", None, None, "USD", "56", "Acme", date(2026, 11, 20),
                     RemoteStatus.ACTIVE, "0", None)


def _failed(action: Action, reason: str = "why", retry_after: float | None = None) -> PostOutcome:
    return PostOutcome("p1", None, ProviderError("xero", 400, "X", "msg"),
                       Classification(action, "rule", reason, retry_after))


@pytest.mark.parametrize(("action", "state", "outcome"), [
    (Action.PERMANENT, PostingState.FAILED, "failed"),
    (Action.UNCERTAIN, PostingState.UNKNOWN, "uncertain"),
    (Action.RECONNECT, PostingState.WAITING_RECONNECT, "waiting"),
    (Action.RETRY, PostingState.PENDING, "retry"),
    (Action.RATE_LIMITED, PostingState.PENDING, "retry"),
    (Action.REFRESH_THEN_RETRY, PostingState.PENDING, "retry"),
])
def test_each_action_has_its_state(action: Action, state: PostingState, outcome: str) -> None:
    t = after_post(_failed(action, "account 4010 is archived in Xero"), 1, RetryPolicy(), random.Random(1))
    assert (t.state, t.attempt_outcome, t.reason) == (state, outcome, "account 4010 is archived in Xero")
    assert (t.retry_in is not None) == (state is PostingState.PENDING)


def test_success_is_posted_with_the_remote_document() -> None:
    t = after_post(PostOutcome("p1", DOC), 1, RetryPolicy())
    assert t.state is PostingState.POSTED and t.remote == DOC


def test_rate_limit_waits_exactly_as_long_as_the_provider_says() -> None:
    t = after_post(_failed(Action.RATE_LIMITED, retry_after=17), 2, RetryPolicy())
    assert t.retry_in == 17


def test_retries_run_out_into_failed_with_the_last_reason() -> None:
    t = after_post(_failed(Action.RETRY, "Xero had an internal error"), 8, RetryPolicy(max_attempts=8))
    assert t.state is PostingState.FAILED
    assert t.reason == "gave up after 8 attempts; last answer: Xero had an internal error"


def test_no_classification_is_treated_as_uncertain() -> None:
    assert after_post(PostOutcome("p1", None), 1, RetryPolicy()).state is PostingState.UNKNOWN


def test_lookup_adopts_the_active_document_and_reports_extra_ones() -> None:
    assert after_lookup([]) is None
    voided = RemoteDocument(**{**DOC.__dict__, "remote_id": "100", "status": RemoteStatus.VOIDED})
    assert after_lookup([voided]) is None
    second = RemoteDocument(**{**DOC.__dict__, "remote_id": "150"})
    t = after_lookup([second, DOC])
    assert t is not None and t.state is PostingState.POSTED and t.remote == DOC
    assert t.reason is not None and "2 documents carry this tag" in t.reason


def test_backoff_grows_is_capped_and_never_zero() -> None:
    rng = random.Random(3)
    waits = [backoff_seconds(n, base=2, cap=60, rng=rng) for n in range(1, 12)]
    assert all(1 <= w <= 60 for w in waits)
    assert max(waits[:2]) <= 4 and max(waits[6:]) <= 60
    assert len(set(waits)) > 5  # jittered
