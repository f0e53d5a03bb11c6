"""Every HTTP exchange with one QuickBooks company: limits, token, timeout, and Intuit's answer read.

python-quickbooks sends through requests-oauthlib with no timeout (a stalled connection hangs the worker
for good), reads Intuit's XML 429 as "Error reading json response" (code 10000), raises the bare
``QuickbooksException`` for 5010/6000/6140/6210, never refreshes a token, and hides the HTTP status and
``Retry-After``. So the SDK builds the requests (URLs, ``minorversion``, ``requestid``, batch and CDC
endpoints) and this transport carries them, over httpx, because httpx gives:

- timeouts per phase, and exception types that tell "never sent" (connect) from "sent, no answer"
  (read timeout, connection dropped), which decides ``retry`` versus ``uncertain`` for a write;
- the status, headers and raw body of every answer, read here by :mod:`connectors.quickbooks.faults`
  before the SDK's JSON parser can misread them.

One exchange = one limiter slot (the fleet-wide per-realm minute budget and concurrency, plus the batch
budget for ``/batch``), the access token from the :class:`~connectors.auth.TokenKeeper` as a plain bearer
token, and on a 401 one single-flight refresh and one resend (a 401 means nothing was written). A 429
blocks the whole fleet for this realm for Retry-After (Intuit sends none: one provider minute).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from typing import Any

import httpx
from redis.exceptions import RedisError

from config.tenants import TenantConfig
from connectors import metrics, oauth
from connectors.auth import ConnectionBroken, OAuthError, TokenSet
from connectors.errors import QBO, Action, Classification, ProviderError, Transport, classify
from connectors.limits import LimiterTimeout, LimitScope, request_budgets
from connectors.quickbooks import faults
from connectors.quickbooks.provider import QUICKBOOKS, QuickBooksProvider
from connectors.registry import ConnectorRuntime

#: Seconds to open a connection; the whole-request budget is ``Settings.http_timeout``.
CONNECT_TIMEOUT = 10.0

#: httpx errors raised before any byte of the request can have reached Intuit.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
             httpx.LocalProtocolError, httpx.ProxyError)


class QboCallError(Exception):
    """One call that did not work: Intuit's answer (or its absence) read and classified."""

    def __init__(self, error: ProviderError, classification: Classification | None = None):
        self.error = error
        self.classification = classification or classify(error)
        super().__init__(self.classification.reason)


class QboTransport:
    """The HTTP side of one tenant's client (one httpx connection pool, sized to the realm's concurrency)."""

    def __init__(self, tenant: TenantConfig, runtime: ConnectorRuntime, scope: LimitScope,
                 provider: QuickBooksProvider = QUICKBOOKS):
        self.tenant = tenant
        self.runtime = runtime
        self.scope = scope
        self.provider = provider
        settings = runtime.settings
        self.timeout = settings.http_timeout
        self.minute_seconds = settings.limit_minute_seconds
        #: How long to wait for a limiter slot before answering ``rate_limited`` (nothing sent): a full
        #: minute budget, or the one-minute block after a 429, frees up within one provider minute.
        # Waiting longer inside a task would hold claimed postings past the task's time limit: the engine
        # reschedules instead (see REFUNDSYNC_LIMITER_MAX_WAIT).
        self.slot_timeout = min(1.5 * self.minute_seconds, runtime.settings.limiter_max_wait)
        #: The access token in use and its expiry, kept in memory until it is due for refresh: reading and
        #: decrypting it from the ledger on every call would cost more than the call itself. If another
        #: process refreshed meanwhile, the old token still works until it expires, and a 401 goes back
        #: through the keeper (which then hands out the stored, newer one without refreshing again).
        self._cached: TokenSet | None = None
        self.http = httpx.Client(
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT)),
            limits=httpx.Limits(max_connections=scope.concurrency, max_keepalive_connections=scope.concurrency),
            event_hooks=metrics.httpx_hooks("quickbooks"),
        )

    def close(self) -> None:
        self.http.close()

    # --- one call -------------------------------------------------------------------------------

    def request(self, method: str, url: str, *, params: dict[str, Any], headers: dict[str, str],
                content: bytes | None, write: bool, batch: bool = False) -> httpx.Response:
        """Send, refreshing once on 401; return a 200 answer or raise :class:`QboCallError`."""
        budgets = request_budgets(self.scope, batch=batch)
        token = self._token(write, None)
        response = self._exchange(method, url, params, headers, content, token, budgets, write)
        if response.status_code == 401:
            token = self._token(write, token)
            response = self._exchange(method, url, params, headers, content, token, budgets, write)
        if response.status_code == 200 and not _has_top_level_fault(response.content):
            return response
        error = faults.parse_fault(response.status_code, response.content, response.headers, write=write)
        if response.status_code == 429 or error.code == "3001":
            wait = error.retry_after if error.retry_after is not None else (
                self.provider.throttle_wait_minutes * self.minute_seconds)
            with contextlib.suppress(RedisError):  # best effort: the answer itself says rate_limited
                self.runtime.limiter.block_for(self.scope, wait)
            error = replace(error, retry_after=wait)
        raise QboCallError(error)

    def _exchange(self, method: str, url: str, params: dict[str, Any], headers: dict[str, str],
                  content: bytes | None, token: str, budgets: list[str], write: bool) -> httpx.Response:
        sent_headers = {**headers, "Authorization": f"Bearer {token}"}
        limiter = self.runtime.limiter
        try:
            slot = limiter.acquire(self.scope, budgets, timeout=self.slot_timeout)
        except LimiterTimeout as exc:
            wait = exc.wait or self.minute_seconds
            error = ProviderError(QBO, None, None, f"no request slot for this company within {self.slot_timeout:g} s",
                                  write=write, retry_after=wait)
            raise QboCallError(error, Classification(
                Action.RATE_LIMITED, "limiter.wait",
                "refundsync's own request budget for this QuickBooks company stayed full; nothing was sent",
                wait)) from None
        except RedisError as exc:
            error = ProviderError(QBO, None, None, f"fleet limiter unavailable: {_describe(exc)}", write=write)
            raise QboCallError(error, Classification(
                Action.RETRY, "limiter.unavailable",
                "the fleet-wide request limiter (Redis) could not be reached; nothing was sent")) from None
        try:
            return self.http.request(method, url, params=params, headers=sent_headers, content=content)
        except _NOT_SENT as exc:
            raise QboCallError(faults.transport_error(Transport.CONNECT, _describe(exc), write=write)) from None
        except httpx.TimeoutException as exc:  # read/write timeout: the request may have been processed
            raise QboCallError(faults.transport_error(Transport.TIMEOUT, _describe(exc), write=write)) from None
        except httpx.TransportError as exc:  # connection closed or reset mid-exchange: it may have landed
            raise QboCallError(faults.transport_error(Transport.DROPPED, _describe(exc), write=write)) from None
        finally:
            # Never let a failed release hide Intuit's answer (a created document): the slot's lease and the
            # budget entry expire by themselves in Redis.
            with contextlib.suppress(RedisError):
                limiter.release(slot)

    # --- tokens ---------------------------------------------------------------------------------

    def _token(self, write: bool, rejected: str | None) -> str:
        """A valid access token; after a 401 (``rejected`` set) a refreshed one, single-flight fleet-wide."""
        keeper = self.runtime.keeper
        cached = self._cached
        if rejected is None and cached is not None and not cached.stale(keeper.clock()):
            return cached.access_token
        self._cached = None
        try:
            if rejected is None:
                token = keeper.access_token(self.tenant.name, QBO, self._refresh)
            else:
                token = keeper.after_unauthorized(self.tenant.name, QBO, self._refresh, rejected)
        except OAuthError as exc:  # the token endpoint failed; nothing was sent to the company
            raise QboCallError(exc.error) from None
        except TimeoutError:
            raise QboCallError(faults.transport_error(
                Transport.TIMEOUT, "another process held the token refresh lock too long", write=False)) from None
        except RedisError as exc:  # the refresh lock lives in Redis; nothing was sent
            raise QboCallError(faults.transport_error(Transport.CONNECT, f"token refresh lock: {_describe(exc)}",
                                                      write=False)) from None
        stored = keeper.store.load(self.tenant.name)
        if stored is not None and stored.tokens.access_token == token:
            self._cached = stored.tokens
        return token

    def _refresh(self, tokens: TokenSet) -> TokenSet:
        try:
            client_id, secret = oauth.credentials_for(self.tenant, self.runtime.settings)
        except oauth.MissingCredentials as exc:
            raise ConnectionBroken(self.tenant.name, str(exc)) from None
        return oauth.refresh(self.tenant, client_id, secret, tokens, timeout=self.timeout)


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _has_top_level_fault(body: bytes) -> bool:
    """A 200 whose body is a Fault (batch item faults sit inside BatchItemResponse and do not count)."""
    if b'"Fault"' not in body:
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and "Fault" in data
