"""Reading whatever Xero answers with into a :class:`connectors.errors.ProviderError`.

Shapes: the ValidationException body (``ErrorNumber`` 10, ``Elements[].ValidationErrors[]``: xero-python
keeps only the first message, we keep them all), the 401/403 problem JSON (``Title``, ``Detail``),
429 with ``X-Rate-Limit-Problem`` and ``Retry-After``, plain-text 503 "Organisation offline", and, in a
200 answer with ``summarizeErrors=false``, per-item ``HasErrors`` / ``ValidationErrors``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.errors import XERO, XERO_OAUTH, ProviderError, Transport, oauth_error
from connectors.quickbooks.faults import retry_after


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def parse_error(status: int, body: bytes | str, headers: Mapping[str, str] | None = None, *,
                write: bool = True) -> ProviderError:
    headers = headers or {}
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    code: str | None = None
    message, detail = "", ""
    try:
        data: Any = json.loads(text) if text.strip().startswith("{") else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        if "ErrorNumber" in data or "Elements" in data:
            code = str(data.get("Type") or data.get("ErrorNumber"))
            messages = validation_messages(data)
            message = messages[0] if messages else str(data.get("Message", ""))
            detail = "; ".join(messages[1:]) if len(messages) > 1 else ""
        elif "Title" in data or "Detail" in data:
            code = str(data.get("Title") or "")
            message = str(data.get("Detail") or data.get("Title") or "")
        else:
            message = json.dumps(data)[:500]
    else:
        message = text.strip()[:500]
    if status == 429:
        code = _header(headers, "X-Rate-Limit-Problem") or code
    return ProviderError(XERO, status, code, message, detail, retry_after=retry_after(headers), write=write,
                         raw=text[:4000])


def validation_messages(data: Mapping[str, Any]) -> list[str]:
    """Every ValidationErrors message of a body or of one element, in order."""
    out: list[str] = []
    for element in data.get("Elements") or []:
        if isinstance(element, dict):
            out.extend(str(v.get("Message", "")) for v in element.get("ValidationErrors") or [])
    out.extend(str(v.get("Message", "")) for v in data.get("ValidationErrors") or [] if isinstance(v, dict))
    return out


def item_error(item: Mapping[str, Any], *, write: bool = True) -> ProviderError | None:
    """The error of one item of a ``summarizeErrors=false`` answer, or None when it went through."""
    if not item.get("HasErrors") and not item.get("ValidationErrors"):
        return None
    messages = validation_messages(item)
    return ProviderError(XERO, 400, "ValidationException", messages[0] if messages else "validation error",
                         "; ".join(messages[1:]), write=write, raw=json.dumps(item, default=str)[:4000])


def parse_oauth_error(status: int, body: bytes | str) -> ProviderError:
    return oauth_error(XERO_OAUTH, status, body)


def transport_error(kind: Transport, message: str, *, write: bool) -> ProviderError:
    return ProviderError(XERO, None, None, message, transport=kind, write=write)
