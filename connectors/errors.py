"""One error taxonomy, as data: (provider, HTTP status, provider code or message) -> what to do.

Every answer a provider can give is read into a :class:`ProviderError` by the provider's parser, then
:func:`classify` walks :data:`RULES` top to bottom and the first match decides. The last rows are
explicit catch-alls, so an error nobody foresaw is still classified on purpose (and says so in its
reason), never by accident.

Actions:
- ``retry``: transient; try again after a capped, jittered backoff.
- ``rate_limited``: the provider said slow down; wait exactly as long as it says (Retry-After).
- ``refresh_then_retry``: the access token expired; refresh it (single-flight) and try again.
- ``reconnect``: the connection itself is broken (revoked, refresh token dead): wait for an operator to
  run `refundsync connect`; postings wait, they do not fail.
- ``permanent``: resending will fail the same way; an operator must fix something. The reason says what.
- ``uncertain``: the request may have landed (timeout after sending, lost response, 5xx on a write,
  a duplicate-number answer): look the document up by its tag before anything is sent again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    REFRESH_THEN_RETRY = "refresh_then_retry"
    RECONNECT = "reconnect"
    PERMANENT = "permanent"
    UNCERTAIN = "uncertain"


class Transport(StrEnum):
    """What went wrong below HTTP, when no (complete) response arrived."""

    CONNECT = "connect"  # the request never left: safe to retry
    TIMEOUT = "timeout"  # sent, no answer in time: it may have landed
    DROPPED = "dropped"  # the connection closed before a response: it may have landed


@dataclass(frozen=True)
class ProviderError:
    """A provider's answer (or its absence), in one shape for both providers."""

    provider: str  # "quickbooks" | "xero" | "quickbooks-oauth" | "xero-oauth"
    status: int | None  # HTTP status; None when no response arrived
    code: str | None = None  # QBO Error.code, Xero ErrorNumber / Type, OAuth error
    message: str = ""  # the provider's own words, first error
    detail: str = ""  # more words (QBO Detail, all Xero validation messages joined)
    transport: Transport | None = None
    retry_after: float | None = None  # seconds, from Retry-After
    write: bool = True  # did the request create or change something?
    raw: str = ""  # the body as received (for the attempt row)

    @property
    def text(self) -> str:
        return f"{self.message} {self.detail}".strip()


def oauth_error(provider: str, status: int, body: bytes | str) -> ProviderError:
    """A token endpoint's refusal. Intuit and Xero both answer in RFC 6749's shape
    (``{"error": ..., "error_description": ...}``); a body that is not a JSON object (a proxy's 502 page) is kept
    as the message."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return ProviderError(provider, status, None, text[:500], write=False, raw=text[:2000])
    code = str(data["error"]) if data.get("error") else None
    return ProviderError(provider, status, code, str(data.get("error_description", "")), write=False,
                         raw=text[:2000])


@dataclass(frozen=True)
class Rule:
    """One row of the taxonomy. ``None`` in a column matches anything."""

    name: str
    action: Action
    reason: str  # for the operator; may use {message}, {detail}, {code}, {status} and regex groups
    provider: str | None = None
    status: tuple[int, ...] | None = None
    code: tuple[str, ...] | None = None
    pattern: str | None = None  # regex searched in message + detail
    transport: Transport | None = None
    writes_only: bool | None = None  # True: only for writes; False: only for reads
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.pattern is not None:
            object.__setattr__(self, "_regex", re.compile(self.pattern, re.IGNORECASE))

    def match(self, err: ProviderError) -> re.Match[str] | bool:
        if self.provider is not None and err.provider != self.provider:
            return False
        if self.transport is not None and err.transport is not self.transport:
            return False
        if self.transport is None and err.transport is not None:
            return False
        if self.status is not None and err.status not in self.status:
            return False
        if self.code is not None and (err.code or "") not in self.code:
            return False
        if self.writes_only is not None and err.write is not self.writes_only:
            return False
        if self._regex is not None:
            return self._regex.search(err.text) or False
        return True


@dataclass(frozen=True)
class Classification:
    action: Action
    rule: str
    reason: str
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.action in {Action.RETRY, Action.RATE_LIMITED, Action.REFRESH_THEN_RETRY}


QBO, XERO = "quickbooks", "xero"
QBO_OAUTH, XERO_OAUTH = "quickbooks-oauth", "xero-oauth"
SERVER_ERRORS = (500, 502, 504)

RULES: tuple[Rule, ...] = (
    # --- our own fleet limiter (both providers): nothing was sent -------------------------------
    Rule("limiter.no_slot", Action.RATE_LIMITED,
         "no request slot for this {provider_name} company within refundsync's own limits ({message}); "
         "nothing was sent", code=("limiter",)),
    # --- below HTTP (both providers) -----------------------------------------------------------
    Rule("transport.connect", Action.RETRY, "could not connect to {provider_name}; the request was not sent",
         transport=Transport.CONNECT),
    Rule("transport.timeout.write", Action.UNCERTAIN,
         "no answer in time; the document may have been created, so it is looked up before any resend",
         transport=Transport.TIMEOUT, writes_only=True),
    Rule("transport.timeout.read", Action.RETRY, "no answer in time", transport=Transport.TIMEOUT),
    Rule("transport.dropped.write", Action.UNCERTAIN,
         "the connection closed before the answer; the document may have been created, so it is looked up "
         "before any resend", transport=Transport.DROPPED, writes_only=True),
    Rule("transport.dropped.read", Action.RETRY, "the connection closed before the answer",
         transport=Transport.DROPPED),
    # --- OAuth token endpoints ----------------------------------------------------------------
    Rule("oauth.invalid_grant", Action.RECONNECT,
         "the connection to {provider_name} was revoked or has expired; run `refundsync connect` again",
         code=("invalid_grant",)),
    Rule("oauth.invalid_client", Action.RECONNECT,
         "{provider_name} does not accept this app's client id or secret; check them and run "
         "`refundsync connect`", code=("invalid_client", "unauthorized_client")),
    Rule("oauth.server", Action.RETRY, "the token service had a temporary error", status=(500, 502, 503, 504),
         provider=QBO_OAUTH),
    Rule("oauth.server.xero", Action.RETRY, "the token service had a temporary error",
         status=(500, 502, 503, 504), provider=XERO_OAUTH),
    # --- QuickBooks Online --------------------------------------------------------------------
    Rule("qbo.auth_expired", Action.REFRESH_THEN_RETRY, "the access token expired", provider=QBO, status=(401,)),
    Rule("qbo.forbidden", Action.RECONNECT,
         "QuickBooks refused access to this company ({message}); reconnect with an admin user",
         provider=QBO, status=(403,)),
    Rule("qbo.throttled", Action.RATE_LIMITED, "QuickBooks asked us to slow down", provider=QBO, status=(429,)),
    Rule("qbo.throttled_in_body", Action.RATE_LIMITED, "QuickBooks asked us to slow down", provider=QBO,
         code=("3001",)),
    Rule("qbo.duplicate_doc_number", Action.UNCERTAIN,
         "QuickBooks already has a document numbered like ours; it is looked up and adopted, never re-sent",
         provider=QBO, code=("6140",)),
    Rule("qbo.stale_object", Action.RETRY, "the document changed in QuickBooks meanwhile; re-read and retry",
         provider=QBO, code=("5010",)),
    Rule("qbo.closed_period", Action.PERMANENT,
         "the books are closed for the refund date in QuickBooks ({detail}); reopen the period or change "
         "the closing date", provider=QBO, code=("6210",)),
    Rule("qbo.inactive_reference", Action.PERMANENT,
         "an account, vendor, customer or item we referenced is inactive in QuickBooks ({detail}); make it "
         "active or change the mapping", provider=QBO, code=("2500",), pattern=r"made inactive"),
    Rule("qbo.invalid_reference", Action.PERMANENT,
         "QuickBooks does not know an account, vendor, customer or item we referenced ({detail}); fix the "
         "tenant's mapping", provider=QBO, code=("2500",)),
    Rule("qbo.required_field", Action.PERMANENT, "QuickBooks needs a field we did not send ({detail})",
         provider=QBO, code=("2020",)),
    Rule("qbo.string_too_long", Action.PERMANENT, "a text is longer than QuickBooks allows ({detail})",
         provider=QBO, code=("2050",)),
    Rule("qbo.deleted_meanwhile", Action.PERMANENT,
         "the document was deleted in QuickBooks by someone else ({detail})", provider=QBO, code=("610",),
         pattern=r"has deleted"),
    Rule("qbo.inactive", Action.PERMANENT,
         "an account, vendor or customer we used is inactive in QuickBooks ({detail}); make it active or "
         "change the mapping", provider=QBO, pattern=r"inactive|made inactive|deleted"),
    Rule("qbo.duplicate_name", Action.PERMANENT,
         "a vendor or customer with this name already exists in QuickBooks, possibly inactive ({detail})",
         provider=QBO, code=("6240",)),
    Rule("qbo.company_status", Action.RECONNECT,
         "the QuickBooks company cannot take changes (subscription or status: {detail})",
         provider=QBO, code=("6190",)),
    Rule("qbo.deposited", Action.PERMANENT,
         "the transaction is already deposited in QuickBooks and cannot change ({detail})",
         provider=QBO, code=("6540",)),
    Rule("qbo.not_found", Action.PERMANENT, "QuickBooks has no such object ({detail})", provider=QBO,
         code=("610",)),
    Rule("qbo.business_rule", Action.PERMANENT, "QuickBooks rejected the document: {message} ({detail})",
         provider=QBO, code=("6000",)),
    Rule("qbo.validation", Action.PERMANENT, "QuickBooks rejected the document: {message} ({detail})",
         provider=QBO, status=(400,)),
    Rule("qbo.unavailable", Action.RETRY, "QuickBooks is temporarily unavailable", provider=QBO,
         status=(503,)),
    Rule("qbo.server.write", Action.UNCERTAIN,
         "QuickBooks had an internal error while saving; the document may exist, so it is looked up first",
         provider=QBO, status=SERVER_ERRORS, writes_only=True),
    Rule("qbo.server.read", Action.RETRY, "QuickBooks had an internal error", provider=QBO,
         status=SERVER_ERRORS),
    # --- Xero ----------------------------------------------------------------------------------
    Rule("xero.token_expired", Action.REFRESH_THEN_RETRY, "the access token expired", provider=XERO,
         status=(401,)),
    Rule("xero.forbidden", Action.RECONNECT,
         "Xero refused access to this organisation ({message}); reconnect it with `refundsync connect`",
         provider=XERO, status=(403,)),
    Rule("xero.rate_limited", Action.RATE_LIMITED, "Xero asked us to slow down ({code} limit)", provider=XERO,
         status=(429,)),
    Rule("xero.lock_date", Action.PERMANENT,
         "the refund date is before the lock date in Xero ({message}); move the lock date or the refund date",
         provider=XERO, pattern=r"lock date"),
    Rule("xero.account_archived", Action.PERMANENT,
         "account {1} is archived in Xero; restore it or map the reason code to another account",
         provider=XERO, pattern=r"Account code '([^']*)' has been archived"),
    Rule("xero.account_invalid", Action.PERMANENT,
         "account {1} cannot be used on this document in Xero; map the reason code to another account",
         provider=XERO, pattern=r"Account code '([^']*)' is not a valid code"),
    Rule("xero.contact_archived", Action.PERMANENT,
         "the contact is archived in Xero ({message}); restore it or map the case to another contact",
         provider=XERO, pattern=r"contact.*archived|archived contact"),
    Rule("xero.idempotency_key_reused", Action.UNCERTAIN,
         "Xero already saw a different request with this Idempotency-Key; the earlier one may have created "
         "the document, so it is looked up before any resend", provider=XERO,
         pattern=r"Idempotency-Key has already been used"),
    Rule("xero.void_settled", Action.PERMANENT,
         "Xero will not void a credit note that is paid or allocated ({message}); void its refund payment or "
         "delete its allocation first", provider=XERO,
         pattern=r"cannot be voided because it has payments or allocations|has a payment or credit note "
                 r"allocated|has been paid and cannot be edited"),
    Rule("xero.duplicate_number", Action.UNCERTAIN,
         "Xero already has a credit note with our number; it is looked up and adopted, never re-sent",
         provider=XERO, pattern=r"must be unique|already exists"),
    Rule("xero.over_allocation", Action.PERMANENT,
         "the credit is larger than what is still owed on the original document ({message})",
         provider=XERO, pattern=r"outstanding|exceed|greater than the"),
    Rule("xero.validation", Action.PERMANENT, "Xero rejected the document: {message}", provider=XERO,
         status=(400,)),
    Rule("xero.not_found", Action.PERMANENT, "Xero has no such object ({message})", provider=XERO,
         status=(404,)),
    Rule("xero.offline", Action.RETRY, "the Xero organisation is offline or Xero is unavailable; retrying",
         provider=XERO, status=(503,)),
    Rule("xero.server.write", Action.UNCERTAIN,
         "Xero had an internal error while saving; the document may exist, so it is looked up first",
         provider=XERO, status=SERVER_ERRORS, writes_only=True),
    Rule("xero.server.read", Action.RETRY, "Xero had an internal error", provider=XERO, status=SERVER_ERRORS),
    # --- explicit catch-alls: never classified by accident ------------------------------------
    Rule("unknown.client_error", Action.PERMANENT,
         "{provider_name} answered HTTP {status} ({code}): {message}; not retried automatically",
         status=tuple(range(400, 500))),
    Rule("unknown.server_error.write", Action.UNCERTAIN,
         "{provider_name} answered HTTP {status} while saving; looked up before any resend",
         status=tuple(range(500, 600)), writes_only=True),
    Rule("unknown.server_error.read", Action.RETRY, "{provider_name} answered HTTP {status}",
         status=tuple(range(500, 600))),
    Rule("unknown.other", Action.UNCERTAIN,
         "{provider_name} gave an answer refundsync does not understand (HTTP {status}); looked up before any "
         "resend"),
)

PROVIDER_NAMES = {QBO: "QuickBooks", XERO: "Xero", QBO_OAUTH: "Intuit's token service",
                  XERO_OAUTH: "Xero's token service"}


def classify(err: ProviderError, rules: tuple[Rule, ...] = RULES) -> Classification:
    """The first rule that matches decides; the catch-alls guarantee one always does."""
    for rule in rules:
        found = rule.match(err)
        if found:
            groups = found.groups() if isinstance(found, re.Match) else ()
            values = {"message": err.message or "no message", "detail": err.detail or err.message or "no detail",
                      "code": err.code or "no code", "status": err.status if err.status is not None else "none",
                      "provider_name": PROVIDER_NAMES.get(err.provider, err.provider)}
            reason = rule.reason.format("", *groups, **values)
            return Classification(rule.action, rule.name, reason, err.retry_after)
    raise AssertionError("the catch-all rule must match every error")  # pragma: no cover
