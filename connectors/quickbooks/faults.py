"""Reading whatever QuickBooks answers with into a :class:`connectors.errors.ProviderError`.

Intuit's answers come in three shapes, and the SDK reads only the first:
- ``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type": "ValidationFault"}}``
- ``{"fault": {"error": [{"message", "detail", "code"}], "type": "AUTHENTICATION"}}`` (401, lower case)
- an XML ``<IntuitResponse><Fault type="SERVICE"><Error code="3001">`` body on 429, even when JSON
  was asked for (python-quickbooks reports it as a JSON parse error, code 10000).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from connectors.errors import QBO, QBO_OAUTH, ProviderError, Transport, oauth_error

NS = "{http://schema.intuit.com/finance/v3}"


def retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def parse_fault(status: int, body: bytes | str, headers: Mapping[str, str] | None = None, *,
                write: bool = True) -> ProviderError:
    headers = headers or {}
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.lstrip()
    code, message, detail = None, "", ""
    if stripped.startswith("<"):
        code, message, detail = _from_xml(stripped)
    elif stripped.startswith("{"):
        try:
            code, message, detail = _from_json(json.loads(stripped))
        except ValueError:
            message = stripped[:500]
    else:
        message = stripped[:500]
    return ProviderError(QBO, status, code, message, detail, retry_after=retry_after(headers), write=write,
                         raw=text[:4000])


def parse_fault_body(fault: Mapping[str, Any], *, status: int = 400, write: bool = True) -> ProviderError:
    """A Fault object found inside a 200 answer (a /batch item)."""
    code, message, detail = _from_json({"Fault": fault})
    return ProviderError(QBO, status, code, message, detail, write=write, raw=json.dumps(fault)[:4000])


def _from_json(data: Any) -> tuple[str | None, str, str]:
    if not isinstance(data, dict):
        return None, str(data)[:500], ""
    fault = data.get("Fault") or data.get("fault")
    if isinstance(fault, dict):
        errors = fault.get("Error") or fault.get("error") or []
        if errors and isinstance(errors[0], dict):
            first = errors[0]
            code = first.get("code") or first.get("Code")
            message = first.get("Message") or first.get("message") or ""
            detail = first.get("Detail") or first.get("detail") or ""
            return (str(code) if code is not None else None), str(message), str(detail)
        return None, str(fault.get("type", "")), ""
    if "error" in data:  # OAuth-shaped
        return str(data["error"]), str(data.get("error_description", "")), ""
    return None, json.dumps(data)[:500], ""


def _from_xml(text: str) -> tuple[str | None, str, str]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None, text[:500], ""
    error = root.find(f".//{NS}Error")
    if error is None:
        error = root.find(".//Error")
    if error is None:
        return None, text[:500], ""

    def child(name: str) -> str:
        node = error.find(f"{NS}{name}")
        if node is None:
            node = error.find(name)
        return (node.text or "").strip() if node is not None else ""

    return error.get("code"), child("Message"), child("Detail")


def parse_oauth_error(status: int, body: bytes | str) -> ProviderError:
    return oauth_error(QBO_OAUTH, status, body)


def transport_error(kind: Transport, message: str, *, write: bool) -> ProviderError:
    return ProviderError(QBO, None, None, message, transport=kind, write=write)
