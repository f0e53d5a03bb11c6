"""Xero's error bodies and rate-limit headers.

- 400 ValidationException: ``{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation
  exception occurred","Elements":[{...the item..., "ValidationErrors":[{"Message": ...}]}]}``
- 400 QueryParseException (ErrorNumber 16) for a bad ``where``/``order``.
- 401/403 as problem JSON: ``{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"TokenExpired:
  token expired at ...","Instance":"<id>","Extensions":{}}``.
- 429 with ``X-Rate-Limit-Problem`` (minute | day | concurrent | appminute) and ``Retry-After`` (not
  for concurrent).
- 503 "Organisation offline" as plain text.

Wording: lock-date, account-code ("not a valid code", "has been archived, or has been deleted"),
allocation ("greater than amount outstanding", "incorrect invoice type", "already been paid off"),
"A Contact must be specified", "must be unique" and "not of valid status for modification" follow
published Xero responses. The archived-contact, unknown-ContactID, currency, tax type, tracking,
payment-account and Idempotency-Key-reuse messages, and the 429/5xx problem bodies, are the sandbox's
wording (status codes and headers are Xero's).
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.reply import Reply

VALIDATION_MESSAGE = "A validation exception occurred"


def validation_body(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": VALIDATION_MESSAGE,
        "Elements": elements,
    }


def validation_reply(elements: list[dict[str, Any]]) -> Reply:
    return Reply.json(400, validation_body(elements))


def query_parse_reply(message: str) -> Reply:
    return Reply.json(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message})


def post_data_invalid(message: str) -> Reply:
    return Reply.json(400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message})


def problem(status: int, title: str, detail: str, instance: str, headers: dict[str, str] | None = None) -> Reply:
    body: dict[str, Any] = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": instance,
        "Extensions": {},
    }
    return Reply.json(status, body, headers)


def not_found() -> Reply:
    return Reply.text(404, "The resource you're looking for cannot be found")


def offline() -> Reply:
    return Reply.text(503, "Organisation offline")


def limit_detail(problem_word: str) -> str:
    return {
        "minute": "You have exceeded the per minute rate limit",
        "day": "You have exceeded the daily rate limit",
        "concurrent": "You have exceeded the concurrent request limit",
        "appminute": "You have exceeded the app per minute rate limit",
    }.get(problem_word, "Rate limit exceeded")
