"""The refund case: the contract between every case log and refundsync.

A case is validated strictly here, once, so that everything downstream (ledger, mapping, connectors)
can trust it. Each rule raises a message a person can act on, because the message is what an operator
reads in the rejected-input list.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    field_validator,
    model_validator,
)

from mapping.currency import MINOR_UNITS, decimal_places, minor_units
from mapping.money import format_amount, parse_amount

CASE_ID_MAX = 64
MAX_LINES = 500
MAX_EVIDENCE = 50


class CaseFieldError(ValueError):
    """A whole-case rule that is still about one field, so the error can name that field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class CaseKind(StrEnum):
    VENDOR_REFUND = "vendor_refund"
    CUSTOMER_REFUND = "customer_refund"


def _printable(value: Any, *, field_max: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {type(value).__name__}")
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    if not value:
        raise ValueError("must not be empty")
    if len(value) > field_max:
        raise ValueError(f"is {len(value)} characters long; at most {field_max} are allowed")
    for ch in value:
        if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} and ch != " ":
            raise ValueError(f"contains the control or unprintable character U+{ord(ch):04X}")
    return value


def _text(limit: int) -> Any:
    return BeforeValidator(lambda v: _printable(v, field_max=limit))


def _strict_date(value: Any) -> Any:
    if isinstance(value, datetime):
        raise ValueError("must be a date such as 2026-11-20, without a time")
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be a date string such as 2026-11-20, not {type(value).__name__}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a real calendar date in the form YYYY-MM-DD") from None


def _aware_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value}' is not a timestamp such as 2026-11-21T09:14:00Z") from None
    else:
        raise ValueError(
            f"must be a timestamp string such as 2026-11-21T09:14:00Z, not {type(value).__name__}"
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("must carry a time zone (end it with Z or +hh:mm)")
    return parsed


def _iso_z(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


Money = Annotated[Decimal, BeforeValidator(parse_amount), PlainSerializer(format_amount, return_type=str)]
CaseDate = Annotated[date, BeforeValidator(_strict_date)]
Timestamp = Annotated[datetime, BeforeValidator(_aware_datetime), PlainSerializer(_iso_z, return_type=str)]
Name = Annotated[str, _text(200)]
ShortCode = Annotated[str, _text(64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Party(_Strict):
    """The vendor (vendor_refund) or customer (customer_refund) the refund is with."""

    name: Name
    external_id: ShortCode | None = None


class Payment(_Strict):
    """How the money moved, when it did: maps to a bank/deposit account per method."""

    method: Annotated[str, _text(40)]
    transaction_id: ShortCode | None = None


class CaseLine(_Strict):
    """A part of the refund; lines may name their own party (a multi-vendor order)."""

    description: Annotated[str, _text(4000)] | None = None
    amount: Money
    party: Party | None = None
    account: ShortCode | None = None


class RefundCase(_Strict):
    """A closed refund case as the case log publishes it."""

    case_id: Annotated[str, _text(CASE_ID_MAX)]
    kind: CaseKind
    tenant: ShortCode
    order_number: ShortCode | None = None
    party: Party
    currency: str
    amount: Money
    refund_date: CaseDate
    closed_at: Timestamp
    reason_code: ShortCode
    status: str
    payment: Payment | None = None
    original_document: ShortCode | None = None
    lines: list[CaseLine] = Field(default_factory=list, max_length=MAX_LINES)
    evidence: list[Annotated[str, _text(2000)]] = Field(default_factory=list, max_length=MAX_EVIDENCE)
    revision: StrictInt = Field(default=1, ge=1, le=1_000_000)
    exchange_rate: Money | None = Field(
        default=None,
        description="Home-currency units per 1 unit of the case currency, when the case log fixed the rate "
        "(e.g. 1.0832 for EUR in a USD company). Without it the tenant's configured rate, or the provider's "
        "own rate of the day, is used.",
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_is_text(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in {k.value for k in CaseKind}:
            raise ValueError(f"'{value}' is not a case kind; use vendor_refund or customer_refund")
        return value

    @field_validator("currency", mode="before")
    @classmethod
    def _iso_currency(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"must be a three-letter ISO 4217 code, not {type(value).__name__}")
        if value not in MINOR_UNITS:
            raise ValueError(f"'{value}' is not an ISO 4217 currency code (upper case, e.g. USD, EUR, JPY)")
        return value

    @field_validator("status", mode="before")
    @classmethod
    def _must_be_closed(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"must be text, not {type(value).__name__}")
        if value != "closed":
            raise ValueError(f"is '{value}'; only closed cases can be posted")
        return value

    @field_validator("exchange_rate")
    @classmethod
    def _positive_rate(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value <= 0:
            raise ValueError(f"must be greater than zero (got {format_amount(value)})")
        return value

    @model_validator(mode="after")
    def _amounts_fit_currency(self) -> RefundCase:
        units = minor_units(self.currency)
        _check_amount("amount", self.amount, self.currency, units)
        for i, line in enumerate(self.lines):
            _check_amount(f"lines[{i}].amount", line.amount, self.currency, units)
        if self.lines:
            total = sum((line.amount for line in self.lines), Decimal(0))
            if total != self.amount:
                raise CaseFieldError(
                    "lines",
                    f"lines add up to {format_amount(total)} but the case amount is "
                    f"{format_amount(self.amount)} {self.currency}"
                )
        return self

    # --- derived views -----------------------------------------------------------------------
    def canonical_json(self) -> str:
        """The one text form of this case: sorted keys, amounts at the currency's precision.

        Two producers sending the same case (same fields, "42.5" or "42.50") get the same text and so
        the same hash: that is what makes redelivery a no-op and a real change a conflict.
        """
        data = self.model_dump(mode="json")
        if data.get("exchange_rate") is None:
            # Optional field added after the first cases were hashed: absent and null hash alike.
            data.pop("exchange_rate", None)
        data["amount"] = _at_precision(self.amount, self.currency)
        for raw, line in zip(data["lines"], self.lines, strict=True):
            raw["amount"] = _at_precision(line.amount, self.currency)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def payload_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def parties(self) -> list[Party]:
        """Distinct parties of the case in first-seen order: one credit document each.

        Parties are told apart by :func:`mapping.parties.party_key` (external id, else the normalised
        name), exactly as the mapping groups lines, so ``ACME Co.`` and ``Acme Co`` are one party.
        """
        from mapping.parties import party_key  # mapping.parties imports this module

        seen: dict[str, Party] = {}
        sources = [line.party or self.party for line in self.lines] if self.lines else [self.party]
        for party in sources:
            seen.setdefault(party_key(party), party)
        return list(seen.values())


def _check_amount(field: str, value: Decimal, currency: str, units: int) -> None:
    if value <= 0:
        raise CaseFieldError(field, f"{field} must be greater than zero (got {format_amount(value)})")
    if decimal_places(value.normalize()) > units:
        raise CaseFieldError(
            field,
            f"{field} {format_amount(value)} has more decimals than {currency} allows ({units})"
        )


def _at_precision(value: Decimal, currency: str) -> str:
    return format_amount(value.quantize(Decimal(1).scaleb(-minor_units(currency))))


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema of a case as producers send it (validation mode)."""
    return RefundCase.model_json_schema(mode="validation")
