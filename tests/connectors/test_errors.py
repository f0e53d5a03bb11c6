"""One parametrized walk of the whole error taxonomy, with bodies as the providers really send them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from connectors.errors import RULES, Action, ProviderError, Transport, classify
from connectors.quickbooks import faults as qbo
from connectors.xero import faults as xero


def qbo_fault(code: str, message: str, detail: str, kind: str = "ValidationFault") -> str:
    return json.dumps({"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code, "element": ""}],
                                 "type": kind}, "time": "2026-11-21T09:14:00.000-08:00"})


QBO_401 = json.dumps({"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                           "detail": "Token expired: 1763716440000", "code": "3200"}],
                                "type": "AUTHENTICATION"}, "time": "2026-11-21T09:14:00.000-08:00"})
QBO_429_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2026-11-21T09:14:00.000-08:00">'
               '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
               'statusCode=429</Message><Detail>The request limit was reached.</Detail></Error></Fault>'
               '</IntuitResponse>')


def xero_validation(*messages: str) -> str:
    return json.dumps({"ErrorNumber": 10, "Type": "ValidationException",
                       "Message": "A validation exception occurred",
                       "Elements": [{"CreditNoteID": "00000000-0000-0000-0000-000000000000",
                                     "ValidationErrors": [{"Message": m} for m in messages]}]})


def xero_problem(status: int, title: str, detail: str) -> str:
    return json.dumps({"Type": None, "Title": title, "Status": status, "Detail": detail,
                       "Instance": "8c0b5ad5-0f5c-4d1e-9f8a-3f4d0c1e2b3a", "Extensions": {}})


Parse = Callable[[], ProviderError]

# (label, how the answer is read, expected action, expected rule, words in the operator's reason)
CASES: list[tuple[str, Parse, Action, str, str]] = [
    ("fleet limiter has no slot", lambda: ProviderError("xero", None, "limiter",
                                                        "no request slot for xero:6f1c within 4.0 s", write=False),
     Action.RATE_LIMITED, "limiter.no_slot", "nothing was sent"),
    ("connect refused", lambda: qbo.transport_error(Transport.CONNECT, "refused", write=True),
     Action.RETRY, "transport.connect", "the request was not sent"),
    ("timeout on create", lambda: xero.transport_error(Transport.TIMEOUT, "read timeout", write=True),
     Action.UNCERTAIN, "transport.timeout.write", "looked up before any resend"),
    ("timeout on query", lambda: qbo.transport_error(Transport.TIMEOUT, "read timeout", write=False),
     Action.RETRY, "transport.timeout.read", "no answer in time"),
    ("lost response on create", lambda: qbo.transport_error(Transport.DROPPED, "closed", write=True),
     Action.UNCERTAIN, "transport.dropped.write", "may have been created"),
    ("lost response on read", lambda: xero.transport_error(Transport.DROPPED, "closed", write=False),
     Action.RETRY, "transport.dropped.read", "closed before the answer"),
    ("QBO refresh token superseded", lambda: qbo.parse_oauth_error(400, '{"error":"invalid_grant"}'),
     Action.RECONNECT, "oauth.invalid_grant", "run `refundsync connect` again"),
    ("Xero bad client", lambda: xero.parse_oauth_error(400, '{"error":"invalid_client"}'),
     Action.RECONNECT, "oauth.invalid_client", "client id or secret"),
    ("Intuit token service 503", lambda: qbo.parse_oauth_error(503, "Service Unavailable"),
     Action.RETRY, "oauth.server", "temporary"),
    ("Xero token service 502", lambda: xero.parse_oauth_error(502, "Bad Gateway"),
     Action.RETRY, "oauth.server.xero", "temporary"),
    ("QBO 401 lower-case fault", lambda: qbo.parse_fault(401, QBO_401),
     Action.REFRESH_THEN_RETRY, "qbo.auth_expired", "expired"),
    ("QBO 403", lambda: qbo.parse_fault(403, qbo_fault("120", "Authorization Failure", "AuthorizationFailure",
                                                        "AuthorizationFault")),
     Action.RECONNECT, "qbo.forbidden", "Authorization Failure"),
    ("QBO XML 429", lambda: qbo.parse_fault(429, QBO_429_XML, {"Retry-After": "60"}),
     Action.RATE_LIMITED, "qbo.throttled", "slow down"),
    ("QBO 3001 read by the SDK as a 400", lambda: qbo.parse_fault(400, QBO_429_XML),
     Action.RATE_LIMITED, "qbo.throttled_in_body", "slow down"),
    ("QBO duplicate DocNumber", lambda: qbo.parse_fault(400, qbo_fault(
        "6140", "Duplicate Document Number Error", "Duplicate Document Number Error : You must specify a "
        "different number. This number has already been used. DocNumber=RF-1 is assigned to TxnType=Vendor "
        "Credit with TxnId=146")), Action.UNCERTAIN, "qbo.duplicate_doc_number", "never re-sent"),
    ("QBO stale SyncToken", lambda: qbo.parse_fault(400, qbo_fault(
        "5010", "Stale Object Error", "Stale Object Error : You and root were working on this at the same "
        "time. root finished before you did, so your work was not saved.")),
     Action.RETRY, "qbo.stale_object", "re-read"),
    ("QBO closed books", lambda: qbo.parse_fault(400, qbo_fault(
        "6210", "Account Period Closed, Cannot Update Through Services API",
        "The account period has closed and the account books cannot be updated through through the QBO "
        "Services API. Please use the QBO website to make these changes.")),
     Action.PERMANENT, "qbo.closed_period", "the books are closed"),
    ("QBO invalid reference", lambda: qbo.parse_fault(400, qbo_fault(
        "2500", "Invalid Reference Id", "Invalid Reference Id : Accounts element id 9999 not found")),
     Action.PERMANENT, "qbo.invalid_reference", "Accounts element id 9999 not found"),
    ("QBO inactive reference (2500, as the sandbox and Intuit send it)", lambda: qbo.parse_fault(400, qbo_fault(
        "2500", "Invalid Reference Id", "Invalid Reference Id : Something you're trying to use has been made "
        "inactive. Check the fields with accounts, customers, items, vendors or employees.")),
     Action.PERMANENT, "qbo.inactive_reference", "is inactive in QuickBooks"),
    ("QBO required field", lambda: qbo.parse_fault(400, qbo_fault(
        "2020", "Required param missing, need to supply the required value for the API",
        "Required parameter Line.Amount is missing in the request")),
     Action.PERMANENT, "qbo.required_field", "Line.Amount"),
    ("QBO string too long", lambda: qbo.parse_fault(400, qbo_fault(
        "2050", "String length is either shorter or longer than supported by specification",
        "String length specified does not match the supported length. Min:0 Max:21 supplied length:25")),
     Action.PERMANENT, "qbo.string_too_long", "Max:21"),
    ("QBO inactive vendor", lambda: qbo.parse_fault(400, qbo_fault(
        "6000", "A business validation error has occurred while processing your request",
        "Business Validation Error: The vendor Acme has been made inactive. Make it active to use it.")),
     Action.PERMANENT, "qbo.inactive", "inactive"),
    ("QBO duplicate name", lambda: qbo.parse_fault(400, qbo_fault(
        "6240", "Duplicate Name Exists Error", "The name supplied already exists. : Another vendor is already "
        "using this name.")), Action.PERMANENT, "qbo.duplicate_name", "already exists"),
    ("QBO company status", lambda: qbo.parse_fault(400, qbo_fault(
        "6190", "Invalid Company Status", "Subscription period has ended or canceled or there was a billing "
        "problem")), Action.RECONNECT, "qbo.company_status", "Subscription"),
    ("QBO deposited", lambda: qbo.parse_fault(400, qbo_fault(
        "6540", "Deposited Transaction cannot be changed", "This transaction has been deposited.")),
     Action.PERMANENT, "qbo.deposited", "already deposited"),
    ("QBO not found", lambda: qbo.parse_fault(400, qbo_fault(
        "610", "Object Not Found", "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.")),
     Action.PERMANENT, "qbo.inactive", "inactive"),
    ("QBO document deleted by someone else", lambda: qbo.parse_fault(400, qbo_fault(
        "610", "Object Not Found", "Another user has deleted this transaction.")),
     Action.PERMANENT, "qbo.deleted_meanwhile", "deleted in QuickBooks by someone else"),
    ("QBO not found, plain", lambda: qbo.parse_fault(400, qbo_fault(
        "610", "Object Not Found", "Object Not Found : VendorCredit 9999")),
     Action.PERMANENT, "qbo.not_found", "VendorCredit 9999"),
    ("QBO business rule", lambda: qbo.parse_fault(400, qbo_fault(
        "6000", "A business validation error has occurred while processing your request",
        "Business Validation Error: Transaction amount must be positive.")),
     Action.PERMANENT, "qbo.business_rule", "must be positive"),
    ("QBO bad enum", lambda: qbo.parse_fault(400, qbo_fault(
        "2170", "Invalid Enumeration", "Invalid Enumeration : Foo")),
     Action.PERMANENT, "qbo.validation", "Invalid Enumeration"),
    ("QBO 503", lambda: qbo.parse_fault(503, "<html>Service Unavailable</html>"),
     Action.RETRY, "qbo.unavailable", "temporarily"),
    ("QBO 500 on create", lambda: qbo.parse_fault(500, qbo_fault("10000", "An application error has occurred",
                                                                  "Internal Server Error", "SystemFault")),
     Action.UNCERTAIN, "qbo.server.write", "looked up first"),
    ("QBO 502 on query", lambda: qbo.parse_fault(502, "Bad Gateway", write=False),
     Action.RETRY, "qbo.server.read", "internal error"),
    ("Xero token expired", lambda: xero.parse_error(401, xero_problem(
        401, "Unauthorized", "TokenExpired: token expired at 11/22/2026 10:00:00"), write=False),
     Action.REFRESH_THEN_RETRY, "xero.token_expired", "expired"),
    ("Xero 403", lambda: xero.parse_error(403, xero_problem(403, "Forbidden", "AuthenticationUnsuccessful")),
     Action.RECONNECT, "xero.forbidden", "AuthenticationUnsuccessful"),
    ("Xero 429 minute", lambda: xero.parse_error(429, "", {"X-Rate-Limit-Problem": "minute", "Retry-After": "17"}),
     Action.RATE_LIMITED, "xero.rate_limited", "(minute limit)"),
    ("Xero lock date", lambda: xero.parse_error(400, xero_validation(
        "The document date cannot be before the end of year lock date, currently set at 31-Jul-2013")),
     Action.PERMANENT, "xero.lock_date", "31-Jul-2013"),
    ("Xero archived account", lambda: xero.parse_error(400, xero_validation(
        "Account code '4010' has been archived, or has been deleted. Each line item must reference a valid "
        "account.")), Action.PERMANENT, "xero.account_archived", "account 4010 is archived in Xero"),
    ("Xero invalid account", lambda: xero.parse_error(400, xero_validation(
        "Account code '200' is not a valid code for this document.")),
     Action.PERMANENT, "xero.account_invalid", "account 200 cannot be used"),
    ("Xero archived contact", lambda: xero.parse_error(400, xero_validation(
        "The contact 'Acme Supplies Ltd' is archived and cannot be used.")),
     Action.PERMANENT, "xero.contact_archived", "archived"),
    ("Xero Idempotency-Key reused for another body (sandbox)", lambda: xero.parse_error(400, xero_problem(
        400, "Bad Request", "The Idempotency-Key has already been used for a different request. Use a new key "
        "for a new request.")), Action.UNCERTAIN, "xero.idempotency_key_reused", "looked up before any resend"),
    ("Xero void of an allocated credit note (sandbox)", lambda: xero.parse_error(400, xero_validation(
        "This credit note cannot be voided because it has payments or allocations.")),
     Action.PERMANENT, "xero.void_settled", "delete its allocation first"),
    ("Xero edit of a document with a payment", lambda: xero.parse_error(400, xero_validation(
        "This document cannot be edited as it has a payment or credit note allocated to it.")),
     Action.PERMANENT, "xero.void_settled", "void its refund payment"),
    ("Xero duplicate number", lambda: xero.parse_error(400, xero_validation(
        "Credit Note # must be unique.")), Action.UNCERTAIN, "xero.duplicate_number", "never re-sent"),
    ("Xero over-allocation", lambda: xero.parse_error(400, xero_validation(
        "The amount being allocated exceeds the outstanding amount on the invoice.")),
     Action.PERMANENT, "xero.over_allocation", "still owed"),
    ("Xero per-item error in a 200", lambda: xero.item_error({
        "CreditNoteID": "00000000-0000-0000-0000-000000000000", "HasErrors": True,
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": "Account code '999' is not a valid code for this document."}]}) or
     ProviderError("xero", 200),
     Action.PERMANENT, "xero.account_invalid", "account 999"),
    ("Xero other validation, every message kept", lambda: xero.parse_error(400, xero_validation(
        "Date must be a valid date", "Reference is too long")),
     Action.PERMANENT, "xero.validation", "Date must be a valid date"),
    ("Xero 404", lambda: xero.parse_error(404, "The resource you're looking for cannot be found", write=False),
     Action.PERMANENT, "xero.not_found", "cannot be found"),
    ("Xero organisation offline", lambda: xero.parse_error(503, "Organisation offline"),
     Action.RETRY, "xero.offline", "offline"),
    ("Xero 500 on create", lambda: xero.parse_error(500, '{"Message":"An error occurred"}'),
     Action.UNCERTAIN, "xero.server.write", "looked up first"),
    ("Xero 504 on read", lambda: xero.parse_error(504, "Gateway Timeout", write=False),
     Action.RETRY, "xero.server.read", "internal error"),
    ("unknown 418", lambda: ProviderError("quickbooks-oauth", 418, None, "I'm a teapot"),
     Action.PERMANENT, "unknown.client_error", "HTTP 418"),
    ("unknown 507 on write", lambda: ProviderError("quickbooks-oauth", 507, None, "Insufficient Storage"),
     Action.UNCERTAIN, "unknown.server_error.write", "HTTP 507"),
    ("unknown 599 on read", lambda: ProviderError("xero-oauth", 599, None, "?", write=False),
     Action.RETRY, "unknown.server_error.read", "HTTP 599"),
    ("unknown 3xx", lambda: ProviderError("xero", 302, None, "Found"),
     Action.UNCERTAIN, "unknown.other", "does not understand"),
]


@pytest.mark.parametrize(("label", "parse", "action", "rule", "words"), CASES, ids=[c[0] for c in CASES])
def test_classification(label: str, parse: Parse, action: Action, rule: str, words: str) -> None:
    result = classify(parse())
    assert (result.action, result.rule) == (action, rule), result
    assert words in result.reason, result.reason
    assert "{" not in result.reason, result.reason


def test_every_rule_of_the_table_is_walked() -> None:
    walked = {classify(parse()).rule for _, parse, _, _, _ in CASES}
    assert walked == {rule.name for rule in RULES}


def test_qbo_xml_429_is_read_not_misreported_as_json_error() -> None:
    err = qbo.parse_fault(429, QBO_429_XML, {"Retry-After": "60"})
    assert (err.code, err.message, err.retry_after) == (
        "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429", 60.0)


def test_xero_keeps_every_validation_message_not_only_the_first() -> None:
    err = xero.parse_error(400, xero_validation("first problem", "second problem", "third problem"))
    assert err.message == "first problem" and err.detail == "second problem; third problem"


def test_xero_item_without_errors_is_none() -> None:
    item: dict[str, Any] = {"CreditNoteID": "9d5c4a4e-2a8b-4f61-9a55-6c1f0d0f8a11", "HasErrors": False}
    assert xero.item_error(item) is None
