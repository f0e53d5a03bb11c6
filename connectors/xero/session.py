"""One Xero API call, the way every call of a tenant client is made.

1. an access token from the :class:`TokenKeeper` (refreshed once per fleet when stale);
2. a slot from the fleet-wide limiter (minute, day, app-minute budgets and 5 at once), so the fleet as a
   whole never exceeds Xero's limits;
3. the request through xero-python (see :mod:`connectors.xero.sdk`);
4. Xero's ``X-MinLimit-Remaining`` / ``X-DayLimit-Remaining`` / ``X-AppMinLimit-Remaining`` fed back
   into the limiter (calls we did not make count too), a 429's ``Retry-After`` blocks the tenant
   fleet-wide;
5. a 401 refreshes the token (single-flight) and the call is made once more; a 401 means Xero did not
   process the request, so this is safe for writes as well;
6. any other failure becomes :class:`CallFailed` with its classification from the one error table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import httpx
from xero_python.accounting import AccountingApi
from xero_python.exceptions import HTTPStatusException

from config.tenants import TenantConfig
from connectors import oauth
from connectors.auth import OAuthError, TokenSet
from connectors.errors import XERO, ProviderError, classify
from connectors.limits import LimiterTimeout, LimitScope, request_budgets, scope_for
from connectors.protocol import CallFailed
from connectors.registry import ConnectorRuntime
from connectors.xero import faults
from connectors.xero.sdk import XeroSdk
from connectors.xero.transport import Reply, TransportFailure

#: Remaining-calls headers and the limiter budget each one describes ("app:" budgets are app-wide).
REMAINING_HEADERS = (("X-MinLimit-Remaining", "minute"), ("X-DayLimit-Remaining", "day"),
                     ("X-AppMinLimit-Remaining", "app:xero:minute"))


@dataclass(frozen=True)
class Answer:
    """A 2xx answer (or an allowed status such as 404 on a read by id)."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return Reply(self.status, "", self.body, self.headers).json()


class XeroSession:
    """Calls for one tenant: token, limiter, SDK, feedback, classification."""

    def __init__(self, tenant: TenantConfig, runtime: ConnectorRuntime):
        if not tenant.tenant_id:
            raise ValueError(f"tenant {tenant.name} has no Xero tenant_id")
        self.tenant = tenant
        self.tenant_id: str = tenant.tenant_id
        self.runtime = runtime
        settings = runtime.settings
        self.scope: LimitScope = scope_for("xero", tenant.tenant_id, tenant.effective_limits,
                                           settings.limit_minute_seconds)
        self.budgets = request_budgets(self.scope)
        # Waiting longer than two provider minutes for a slot means the tenant is blocked (Retry-After,
        # day limit): give the posting back to the engine instead of holding the flush.
        # Waiting longer inside a task would hold claimed postings past the task's time limit: the engine
        # reschedules instead (see REFUNDSYNC_LIMITER_MAX_WAIT).
        self.slot_timeout = min(2 * settings.limit_minute_seconds, settings.limiter_max_wait)
        self.sdk = XeroSdk(tenant.api_base_url, settings.http_timeout)
        self._credentials: tuple[str, str] | None = None

    @property
    def api(self) -> AccountingApi:
        return self.sdk.accounting

    def close(self) -> None:
        self.sdk.close()

    # --- tokens -----------------------------------------------------------------------------------
    def _refresh(self, tokens: TokenSet) -> TokenSet:
        if self._credentials is None:
            self._credentials = oauth.credentials_for(self.tenant, self.runtime.settings)
        client_id, secret = self._credentials
        return oauth.refresh(self.tenant, client_id, secret, tokens, timeout=self.runtime.settings.http_timeout)

    def _token(self, rejected: str | None = None) -> str:
        """A valid access token; ConnectionBroken (reconnect needed) propagates, other token-endpoint
        failures are classified like any call."""
        keeper = self.runtime.keeper
        try:
            if rejected is None:
                return keeper.access_token(self.tenant.name, "xero", self._refresh)
            return keeper.after_unauthorized(self.tenant.name, "xero", self._refresh, rejected)
        except OAuthError as exc:
            raise CallFailed(exc.error, classify(exc.error)) from None

    # --- calls --------------------------------------------------------------------------------------
    def call(self, invoke: Callable[[AccountingApi], Reply], *, write: bool,
             allow: Collection[int] = ()) -> Answer:
        """Make one call; 2xx (and ``allow``-ed statuses) come back, everything else raises CallFailed.

        ``invoke`` receives the AccountingApi and must pass ``_preload_content=False``: we read the JSON
        ourselves (Decimals exact, every validation message kept, the body kept for attempt rows)."""
        token = self._token()
        reply = self._once(invoke, token, write)
        if reply.status == 401:
            token = self._token(rejected=token)
            reply = self._once(invoke, token, write)
        if 200 <= reply.status <= 299 or reply.status in allow:
            return Answer(reply.status, reply.headers, reply.data)
        error = faults.parse_error(reply.status, reply.data, dict(reply.headers), write=write)
        raise CallFailed(error, classify(error))

    def _once(self, invoke: Callable[[AccountingApi], Reply], token: str, write: bool) -> Reply:
        limiter = self.runtime.limiter
        try:
            with limiter.slot(self.scope, self.budgets, timeout=self.slot_timeout):
                self.sdk.bearer.use(token)
                try:
                    reply = invoke(self.api)
                except HTTPStatusException as exc:
                    reply = exc.http_resp
                except TransportFailure as exc:
                    error = faults.transport_error(exc.kind, exc.detail, write=write)
                    raise CallFailed(error, classify(error)) from None
                self._feed_back(reply)
                return reply
        except LimiterTimeout as exc:
            error = ProviderError(XERO, None, "limiter", str(exc), write=False, retry_after=exc.wait or None)
            raise CallFailed(error, classify(error)) from None

    def _feed_back(self, reply: Reply) -> None:
        limiter = self.runtime.limiter
        for header, budget in REMAINING_HEADERS:
            value = reply.headers.get(header)
            if value is not None and value.strip().isdigit():
                limiter.observe_remaining(self.scope, budget, int(value))
        if reply.status == 429:
            wait = faults.retry_after(dict(reply.headers))
            if wait:
                limiter.block_for(self.scope, wait)
