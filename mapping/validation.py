"""Payload -> case, or a list of (field, message) a person can act on. Pure: no I/O, no clock."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from mapping.case import CaseFieldError, RefundCase

DEFAULT_MAX_BYTES = 65536


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class CaseCheck:
    """The outcome of validating one payload."""

    case: RefundCase | None
    errors: list[FieldError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.case is not None and not self.errors

    @property
    def reason(self) -> str:
        """All errors in one line, as stored with a rejected input."""
        return "; ".join(str(e) for e in self.errors)


def payload_size(payload: Any) -> int:
    if isinstance(payload, str | bytes):
        return len(payload.encode("utf-8") if isinstance(payload, str) else payload)
    return len(json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8"))


def validate_payload(payload: Any, max_bytes: int = DEFAULT_MAX_BYTES) -> CaseCheck:
    """Validate a case as it arrives (a dict, or JSON text) and say exactly what is wrong."""
    size = payload_size(payload)
    if size > max_bytes:
        return CaseCheck(None, [FieldError("(payload)", f"is {size} bytes; the limit is {max_bytes} bytes")])
    if isinstance(payload, str | bytes):
        try:
            from decimal import Decimal

            payload = json.loads(payload, parse_float=Decimal)
        except ValueError as exc:
            return CaseCheck(None, [FieldError("(payload)", f"is not valid JSON: {exc}")])
    if not isinstance(payload, dict):
        return CaseCheck(
            None, [FieldError("(payload)", f"must be a JSON object, not {type(payload).__name__}")]
        )
    try:
        return CaseCheck(RefundCase.model_validate(payload))
    except ValidationError as exc:
        return CaseCheck(None, errors_of(exc))


def errors_of(exc: ValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(".[", "[")
        message = err["msg"].removeprefix("Value error, ")
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, CaseFieldError):
            loc = cause.field
        if err["type"] == "extra_forbidden":
            message = "is not a field of a refund case (unknown fields are rejected)"
        elif err["type"] == "missing":
            message = "is required"
        out.append(FieldError(loc or "(case)", message))
    return out
