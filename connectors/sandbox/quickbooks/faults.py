"""Intuit's error bodies, byte for byte in shape: the Fault JSON, the lowercase 401, the XML 429.

- Validation and business errors: ``{"Fault":{"Error":[{"Message","Detail","code","element"}],
  "type":"ValidationFault"},"time":"..."}`` with HTTP 400.
- Authentication (expired/unknown token): HTTP 401 with the *lowercase* envelope
  ``{"warnings":null,"intuitObject":null,"fault":{"error":[...],"type":"AUTHENTICATION"},...}``.
- Throttling: HTTP 429 with an XML ``IntuitResponse`` even when the client asked for JSON (that is
  what Intuit sends; python-quickbooks then reports "Error reading json response", code 10000).

Wording: the 401, 403 (003100), 429 XML, 2500 (both forms), 2020, 5010, 6140, 6240, 610, 500
"Unsupported Operation" and the 4000 QueryParserError texts follow bodies published in Intuit SDK issue
threads. The exact Detail texts of 2050, 6210, 6190, 6000, 10000, 1040 and the 4001 QueryValidationError
variants are the sandbox's wording (codes and Message are Intuit's).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from connectors.sandbox.reply import XML, Reply

INACTIVE_DETAIL = (
    "Something you're trying to use has been made inactive. Check the fields with accounts, customers, "
    "items, vendors or employees."
)


@dataclass(frozen=True)
class QboError:
    """One ``Error`` entry of a Fault."""

    code: str
    message: str
    detail: str
    element: str | None = None

    def as_dict(self) -> dict[str, str]:
        data = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:
            data["element"] = self.element
        return data


class QboFault(Exception):
    """Raised by entity logic; turned into a Fault body by the routes (and per item in /batch)."""

    def __init__(self, errors: list[QboError], fault_type: str = "ValidationFault", status: int = 400) -> None:
        super().__init__("; ".join(e.detail for e in errors))
        self.errors = errors
        self.fault_type = fault_type
        self.status = status

    def fault(self) -> dict[str, object]:
        return {"Error": [e.as_dict() for e in self.errors], "type": self.fault_type}


def fault_reply(fault: QboFault, time_text: str) -> Reply:
    return Reply.json(fault.status, {"Fault": fault.fault(), "time": time_text})


# -- the codes the sandbox raises -------------------------------------------------------------------


def required(element: str) -> QboFault:
    return QboFault(
        [
            QboError(
                "2020",
                "Required param missing, need to supply the required value for the API",
                f"Required parameter {element} is missing in the request",
                element,
            )
        ]
    )


def invalid_reference(element: str) -> QboFault:
    return QboFault([QboError("2500", "Invalid Reference Id", f"Invalid Reference Id : {element}", element)])


def inactive_reference(element: str) -> QboFault:
    return QboFault([QboError("2500", "Invalid Reference Id", f"Invalid Reference Id : {INACTIVE_DETAIL}", element)])


def string_too_long(element: str, maximum: int, supplied: int) -> QboFault:
    return QboFault(
        [
            QboError(
                "2050",
                "String length is either shorter or longer than supported by specification",
                f"String length specified does not match the supported length. Min:0 Max:{maximum} "
                f"supplied length:{supplied}",
                element,
            )
        ]
    )


def unsupported_property(details: list[tuple[str, str]]) -> QboFault:
    return QboFault(
        [
            QboError("2010", "Request has invalid or unsupported property", detail, element)
            for element, detail in details
        ]
    )


def invalid_enum(element: str, value: str) -> QboFault:
    return QboFault([QboError("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element)])


def stale_object(user: str = "Sandbox Admin") -> QboFault:
    return QboFault(
        [
            QboError(
                "5010",
                "Stale Object Error",
                f"Stale Object Error : You and {user} were working on this at the same time. "
                f"{user} finished before "
                "you did, so your work was not saved.",
                "SyncToken",
            )
        ]
    )


def object_not_found(entity: str, doc_id: str) -> QboFault:
    return QboFault(
        [
            QboError(
                "610",
                "Object Not Found",
                "Object Not Found : Something you're trying to use has been made inactive. "
                "Check the fields with "
                f"accounts, customers, items, vendors or employees. ({entity} Id={doc_id})",
            )
        ]
    )


def deleted_by_another_user() -> QboFault:
    return QboFault([QboError("610", "Object Not Found", "Another user has deleted this transaction.")])


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return QboFault(
        [
            QboError(
                "6140",
                "Duplicate Document Number Error",
                "Duplicate Document Number Error : You must specify a different number. "
                "This number has already "
                f"been used. DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}",
            )
        ]
    )


def duplicate_name() -> QboFault:
    return QboFault(
        [
            QboError(
                "6240",
                "Duplicate Name Exists Error",
                "The name supplied already exists. : Another customer, vendor or employee is already using "
                "this name. "
                "Please use a different name.",
            )
        ]
    )


def books_closed(closed: str) -> QboFault:
    return QboFault(
        [
            QboError(
                "6210",
                "Account Period Closed, Cannot Update Through Services API",
                "The account period has closed and the books are locked for this company. "
                "Cannot update through "
                f"services API. Closing date: {closed}",
            )
        ]
    )


def business_rule(detail: str) -> QboFault:
    return QboFault(
        [
            QboError(
                "6000",
                "A business validation error has occurred while processing your request",
                f"Business Validation Error: {detail}",
            )
        ]
    )


def unsupported_operation(detail: str) -> QboFault:
    return QboFault([QboError("500", "Unsupported Operation", f"Operation {detail} is not supported.")])


def query_parser_error(detail: str) -> QboFault:
    return QboFault([QboError("4000", "Error parsing query", f"QueryParserError: {detail}")])


def query_validation_error(detail: str) -> QboFault:
    return QboFault([QboError("4001", "Invalid query", f"QueryValidationError: {detail}")])


def request_not_json(detail: str) -> QboFault:
    return QboFault([QboError("2010", "Request has invalid or unsupported property", detail)])


def batch_too_large(count: int) -> QboFault:
    return QboFault(
        [
            QboError(
                "1040",
                "An application error has occurred while processing your request",
                f"System Failure Error: Number of items in the batch request exceeds the maximum of 30. "
                f"Items supplied: {count}",
            )
        ],
        fault_type="SystemFault",
    )


def system_failure(status: int, time_text: str) -> Reply:
    """An injected or internal server error in Intuit's SystemFault shape."""
    message = (
        "Service Unavailable" if status == 503 else "An application error has occurred while processing your request"
    )
    fault = QboFault(
        [QboError("10000", message, f"System Failure Error: An unexpected error occurred (HTTP {status})")],
        fault_type="SystemFault",
        status=status,
    )
    return fault_reply(fault, time_text)


def company_unavailable(time_text: str) -> Reply:
    """The company is offline (maintenance, subscription lapsed): 503 in SystemFault shape."""
    fault = QboFault(
        [
            QboError(
                "6190",
                "Invalid Company Status",
                "Subscription period has ended or canceled or there was a billing problem : "
                "You can't add data to "
                "QuickBooks Online because your company is unavailable.",
            )
        ],
        fault_type="SystemFault",
        status=503,
    )
    return fault_reply(fault, time_text)


def authentication_failed(epoch_ms: int, detail: str | None) -> Reply:
    """401 in Intuit's lowercase shape (the one python-quickbooks maps to AuthorizationException)."""
    body: dict[str, object] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_ms,
        "status": None,
        "cdcresponse": [],
    }
    return Reply.json(401, body, {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'})


def authorization_failed(epoch_ms: int) -> Reply:
    """403 when the token is valid but not for this realm (errorCode 003100)."""
    body: dict[str, object] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthorizationFailed; errorCode=003100; statusCode=403",
                    "detail": None,
                    "code": "3100",
                    "element": None,
                }
            ],
            "type": "SERVICE",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_ms,
        "status": None,
        "cdcresponse": [],
    }
    return Reply.json(403, body)


def throttle_exceeded(time_text: str) -> Reply:
    """HTTP 429 with the XML body Intuit sends regardless of the Accept header."""
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{escape(time_text)}" xmlns="http://schema.intuit.com/finance/v3">\n'
        '    <Fault type="SERVICE">\n'
        '        <Error code="3001">\n'
        "            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n"
        "            <Detail>The request limit was reached.  Try again later</Detail>\n"
        "        </Error>\n"
        "    </Fault>\n"
        "</IntuitResponse>"
    )
    return Reply(429, body, XML)
