"""Tokens on one client: a 401 refreshes once, a stale token is refreshed before the call, a revoked
connection parks the tenant. (A 429 held fleet-wide: test_fleet.py, with a real second process.)"""

from __future__ import annotations

import httpx
import pytest

from connectors.auth import ConnectionBroken
from connectors.errors import Action
from tests.connectors.xero.conftest import MakeEnv, XeroEnv
from tests.connectors.xero.helpers import (
    Poster,
    credits_of,
    plans,
    store_tokens,
    token_calls,
    vendor_cash_refund,
    xero_requests,
)


def test_a_token_xero_calls_expired_is_refreshed_once_and_the_call_goes_through(env: XeroEnv) -> None:
    before = env.runtime.keeper.store.load("demo-xero")
    assert before is not None
    env.sandbox.admin.advance_clock(minutes=31)  # Xero's 30 minutes are over; our stored expiry says otherwise
    plan = plans(env.tenant, [vendor_cash_refund("RF-2026-001001")])[0]
    start = env.sandbox.admin.last_request_seq()

    outcome = Poster(env.client).post(credits_of([plan]))[0]

    assert outcome.created is not None, outcome.classification
    calls = [(r["method"], r["status"]) for r in xero_requests(env.sandbox, start)]
    assert calls == [("GET", 401), ("GET", 200), ("PUT", 200)]  # the contacts read met the 401, once
    assert len(token_calls(env.sandbox, start)) == 1
    after = env.runtime.keeper.store.load("demo-xero")
    assert after is not None and after.version == before.version + 1
    assert after.tokens.refresh_token != before.tokens.refresh_token  # Xero rotated it; we kept the new one
    env.client.list_parties("Contact")
    assert len(token_calls(env.sandbox, start)) == 1  # and from now on the new token is simply used


def test_a_stale_token_is_refreshed_before_the_call(sandbox: object, make_env: MakeEnv) -> None:
    env = make_env(sandbox)
    store_tokens(env.runtime, env.sandbox, env.tenant, expires_in=-5)  # reconnected, already stale
    start = env.sandbox.admin.last_request_seq()
    assert len(env.client.list_parties("Contact")) == 9
    assert [r["status"] for r in xero_requests(env.sandbox, start)] == [200]  # no 401 first
    assert len(token_calls(env.sandbox, start)) == 1


def test_a_revoked_connection_parks_the_tenant_and_keeps_what_already_landed(env: XeroEnv) -> None:
    """Credit notes land, then the connection is revoked before the payments go: the credits are reported
    created, the payments wait for `refundsync connect` (never failed, never re-sent blind)."""
    planned = plans(env.tenant, [vendor_cash_refund("RF-2026-001002")])
    poster = Poster(env.client)
    assert poster.post(credits_of(planned))[0].created is not None
    credit_id = next(iter(poster.credit_ids.values()))
    other = Poster(env.client, credit_ids=dict(poster.credit_ids))
    extra = plans(env.tenant, [vendor_cash_refund("RF-2026-001003")])[0]
    outgoing = [other.outgoing(extra, extra.documents[0]), other.outgoing(planned[0], planned[0].documents[1])]
    assert outgoing[1].payload["CreditNote"]["CreditNoteID"] == credit_id

    def revoke_after_the_credit_notes(response: httpx.Response) -> None:
        if response.request.method == "PUT" and response.request.url.path.endswith("/CreditNotes"):
            env.sandbox.admin.revoke_tokens("demo-xero")

    env.client.session.sdk.transport.client.event_hooks["response"].append(revoke_after_the_credit_notes)
    outcomes = env.client.post(outgoing)
    assert outcomes[0].created is not None
    waiting = outcomes[1]
    assert waiting.created is None and waiting.classification is not None
    assert waiting.classification.action is Action.RECONNECT
    stored = env.runtime.keeper.store.load("demo-xero")
    assert stored is not None and stored.state == "broken"
    with pytest.raises(ConnectionBroken):  # nothing landed in this call: the engine parks the whole tenant
        env.client.post([outgoing[1]])
