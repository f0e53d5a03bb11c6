"""Check every body a sandbox returned against the providers' schemas, from its own request log.

The sandbox runs with ``record_bodies=True`` in these tests, so the request log holds each response
exactly as sent. After a test, every JSON body of that test is checked: Xero bodies against the
OpenAPI component named by their top-level key (``Error`` for 400 validation bodies), QBO entity
bodies (plain, in QueryResponse, CDC and batch) and Fault bodies against Intuit's XSD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox import wire
from connectors.sandbox.server import SandboxServer
from tests.support.conformance import qbo_unknown_elements, xero_schema_errors

XERO_COLLECTIONS = {
    "CreditNotes", "Invoices", "Payments", "Contacts", "Accounts", "TaxRates", "TrackingCategories",
    "Organisations", "Allocations",
}


@dataclass
class ConformanceReport:
    checked_xero: int = 0
    checked_qbo: int = 0
    problems: list[str] = field(default_factory=list)


TOTALS = ConformanceReport()


def check_bodies(server: SandboxServer, since: int = 0) -> ConformanceReport:
    report = ConformanceReport()
    for record in server.admin.requests(since=since):
        text = record.get("response_body")
        if not text or not str(record.get("content_type", "")).startswith("application/json"):
            continue
        body = wire.loads(text)
        where = f"{record['method']} {record['path']} -> {record['status']}"
        if record["provider"] == "xero":
            for problem in _xero(record["status"], body):
                report.problems.append(f"{where}: {problem}")
            report.checked_xero += 1
        elif record["provider"] == "quickbooks":
            for problem in _qbo(body):
                report.problems.append(f"{where}: {problem}")
            report.checked_qbo += 1
    TOTALS.checked_xero += report.checked_xero
    TOTALS.checked_qbo += report.checked_qbo
    return report


def _xero(status: int, body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [f"not an object: {body!r}"]
    if status == 400 and "ErrorNumber" in body:
        return xero_schema_errors("Error", body)
    if status >= 300:
        return []  # problem JSON (401/403/429/5xx): no component in the accounting spec; tests assert it exactly
    keys = [k for k in body if k in XERO_COLLECTIONS]
    if not keys and "AllocationID" in body:  # DELETE .../Allocations/{id} answers a bare Allocation (spec)
        return xero_schema_errors("Allocation", body)
    if len(keys) != 1:
        return [f"no single collection key in {sorted(body)}"]
    return xero_schema_errors(keys[0], body)


def _qbo(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [f"not an object: {body!r}"]
    problems: list[str] = []
    for key, value in body.items():
        if key == "time":
            continue
        if key == "fault":
            continue  # Intuit's lowercase 401/403 envelope is not an XSD type; asserted exactly elsewhere
        if key in ("warnings", "intuitObject", "report", "queryResponse", "batchItemResponse",
                   "attachableResponse", "syncErrorResponse", "requestId", "status", "cdcresponse"):
            continue
        if key == "Fault":
            problems += qbo_unknown_elements("Fault", value)
        elif key == "QueryResponse":
            problems += _query_response(value)
        elif key == "CDCResponse":
            for entry in value:
                for response in entry["QueryResponse"]:
                    problems += _query_response(response)
        elif key == "BatchItemResponse":
            for item in value:
                for name, inner in item.items():
                    if name == "bId":
                        continue
                    if name == "QueryResponse":
                        problems += _query_response(inner)
                    else:
                        problems += qbo_unknown_elements(name, inner)
        else:
            problems += qbo_unknown_elements(key, value)
    return problems


def _query_response(response: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for name, value in response.items():
        if isinstance(value, list):
            for item in value:
                problems += qbo_unknown_elements(name, item)
    return problems
