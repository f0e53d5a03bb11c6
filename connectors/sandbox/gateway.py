"""The request pipeline every QuickBooks and Xero API call goes through, in the providers' order.

1. authenticate the bearer token (401), 2. resolve the company and check the token covers it (403),
3. organisation offline (503), 4. forced 429 burst, then the real limits (429; refused requests do not
count), 5. take a concurrency slot, 6. injected latency, 7. injected 500/503 (before any write),
8. replay of a remembered ``requestid`` / ``Idempotency-Key``, 9. the handler, 10. remember the reply
for replay, 11. lose the response of a committed write if a fault says so.

The provider modules supply the wire shapes (``ProviderRules``); the handlers are plain synchronous
functions of an ``ApiContext``, so no other request can run between a check and the write it guards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from connectors.sandbox import wire
from connectors.sandbox.connection import DroppedResponse, drop_connection
from connectors.sandbox.limits import Refusal
from connectors.sandbox.replay import StoredReply, fingerprint
from connectors.sandbox.reply import Reply
from connectors.sandbox.requestlog import RequestRecord
from connectors.sandbox.state import SandboxState
from connectors.sandbox.store import Company
from connectors.sandbox.tokens import AccessCheck, AccessToken

log = logging.getLogger("refundsync.sandbox")


@dataclass
class ApiContext:
    """One API request as a handler sees it."""

    state: SandboxState
    company: Company
    token: AccessToken
    method: str
    path: str
    path_params: dict[str, str]
    query: dict[str, str]
    query_string: str
    headers: dict[str, str]
    body: bytes
    record: RequestRecord

    def json(self) -> Any:
        return wire.loads(self.body)

    def param(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, matched case-insensitively as both providers do."""
        lowered = name.lower()
        for key, value in self.query.items():
            if key.lower() == lowered:
                return value
        return default


Handler = Callable[[ApiContext], Reply]


class ProviderRules(Protocol):
    """Wire shapes and rules that differ between QuickBooks and Xero."""

    provider: str

    def company_ref(self, request: Request) -> str | None: ...

    def unauthorized(self, check: AccessCheck, state: SandboxState) -> Reply: ...

    def forbidden(self, state: SandboxState) -> Reply: ...

    def offline(self, state: SandboxState) -> Reply: ...

    def throttled(self, refusal: Refusal, state: SandboxState) -> Reply: ...

    def server_error(self, status: int, state: SandboxState) -> Reply: ...

    def replay_key(self, request: Request) -> str | None: ...

    def replay_conflict(self, stored: StoredReply, request_fingerprint: str, state: SandboxState) -> Reply | None: ...

    def uses_app_limit(self) -> bool: ...

    def decorate(
        self, reply: Reply, company: Company | None, token: AccessToken | None, state: SandboxState
    ) -> None: ...


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def serve(request: Request, rules: ProviderRules, handler: Handler, *, batch: bool = False) -> Response:
    """Run one API request through the pipeline and answer it (or drop it)."""
    state: SandboxState = request.app.state.sandbox
    record = state.requests.start(
        rules.provider, request.method, request.url.path, request.url.query, state.clock.now()
    )
    body = await request.body()
    check = state.tokens.check_access(bearer_token(request), rules.provider)
    if check.problem is not None or check.token is None:
        return _finish(state, record, rules.unauthorized(check, state), "unauthorized", rules, None, None)
    token = check.token
    record.client_id = token.client_id
    ref = rules.company_ref(request)
    company = state.find(ref) if ref else None
    if company is None or company.provider != rules.provider or company.key not in token.companies:
        return _finish(state, record, rules.forbidden(state), "forbidden", rules, None, token)
    record.company = company.key
    key = rules.replay_key(request)
    if key is not None:
        if rules.provider == "xero":
            record.idempotency_key = key
        else:
            record.request_id = key
    faults = company.faults
    if faults.offline:
        return _finish(state, record, rules.offline(state), "offline", rules, company, token)
    now = state.clock.now()
    if faults.take_throttle():
        forced = Refusal("minute", max(1, int(company.limiter.minute.seconds_left(now) + 0.999)))
        record.limit_problem = "minute"
        return _finish(state, record, rules.throttled(forced, state), "throttled", rules, company, token)
    refusal = company.limiter.check(now, batch=batch)
    if refusal is None and rules.uses_app_limit():
        refusal = state.app_limiter.check(token.client_id, now)
    if refusal is not None:
        record.limit_problem = refusal.problem
        return _finish(state, record, rules.throttled(refusal, state), "throttled", rules, company, token)

    company.limiter.admit(now, batch=batch)
    if rules.uses_app_limit():
        state.app_limiter.admit(token.client_id, now)
    record.admitted = True
    record.admitted_at = now
    record.served_started = time.monotonic()
    dropped = False
    try:
        delay = faults.latency_seconds()
        if delay:
            await asyncio.sleep(delay)
        injected = faults.take_error()
        if injected is not None:
            reply, outcome = rules.server_error(injected, state), "injected_error"
        else:
            reply, outcome = _run(state, request, rules, handler, company, token, record, body, key)
            if reply.written:
                state.dirty = True
                record.written = [{"entity": e, "id": i} for e, i in reply.written]
                dropped = faults.take_drop()
    finally:
        company.limiter.release()
        record.released = time.monotonic()
    if dropped:
        state.requests.finish(record, None, "dropped")
        await drop_connection(request.scope)
        return DroppedResponse()  # type: ignore[return-value]
    return _finish(state, record, reply, outcome, rules, company, token)


def _run(
    state: SandboxState,
    request: Request,
    rules: ProviderRules,
    handler: Handler,
    company: Company,
    token: AccessToken,
    record: RequestRecord,
    body: bytes,
    key: str | None,
) -> tuple[Reply, str]:
    """Replay or handle. Synchronous on purpose: nothing else runs between lookup and write."""
    now = state.clock.now()
    print_ = fingerprint(request.method, request.url.path, _query_without_key(request.url.query), body)
    if key is not None:
        stored = company.replay.get(key, now)
        if stored is not None:
            conflict = rules.replay_conflict(stored, print_, state)
            if conflict is not None:
                return conflict, "error"
            replayed = Reply(stored.status, stored.body, stored.content_type, dict(stored.headers))
            return replayed, "replayed"
    ctx = ApiContext(
        state=state,
        company=company,
        token=token,
        method=request.method,
        path=request.url.path,
        path_params={k: str(v) for k, v in request.path_params.items()},
        query=dict(parse_qsl(request.url.query, keep_blank_values=True)),
        query_string=request.url.query,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        record=record,
    )
    try:
        reply = handler(ctx)
    except Exception:  # a sandbox bug must still look like the provider's own 500, and be visible
        log.exception("sandbox handler failed for %s %s", request.method, request.url.path)
        return rules.server_error(500, state), "error"
    if key is not None:
        company.replay.put(
            key, StoredReply(reply.status, reply.body, reply.content_type, print_, now, dict(reply.headers))
        )
        state.dirty = True
    return reply, "ok" if reply.status < 400 else "error"


def _query_without_key(query: str) -> str:
    """The query string minus ``requestid``: the key itself is not part of the request's identity."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() != "requestid"]
    return "&".join(f"{k}={v}" for k, v in pairs)


def _finish(
    state: SandboxState,
    record: RequestRecord,
    reply: Reply,
    outcome: str,
    rules: ProviderRules,
    company: Company | None,
    token: AccessToken | None,
) -> Response:
    rules.decorate(reply, company, token, state)
    if state.settings.record_bodies:
        record.response_body = reply.body
        record.content_type = reply.content_type
    state.requests.finish(record, reply.status, outcome)
    return reply.response()
