"""The one error mapping raises: permanent, with a reason an operator can act on.

A mapping error means the provider would reject the document (or book it wrongly) whatever we retry, so
the posting engine marks the posting ``failed`` and shows ``reason`` to an operator. ``field`` points at
what to change: a case field (``reason_code``, ``lines[2].account``) or a tenant setting
(``mapping.kinds.vendor_refund.reasons``).
"""

from __future__ import annotations

from enum import StrEnum


class MappingErrorCode(StrEnum):
    TENANT_MISMATCH = "TENANT_MISMATCH"
    KIND_NOT_MAPPED = "KIND_NOT_MAPPED"
    REASON_NOT_MAPPED = "REASON_NOT_MAPPED"
    LINE_ACCOUNT_NOT_MAPPED = "LINE_ACCOUNT_NOT_MAPPED"
    PAYMENT_METHOD_NOT_MAPPED = "PAYMENT_METHOD_NOT_MAPPED"
    CURRENCY_NOT_ACCEPTED = "CURRENCY_NOT_ACCEPTED"
    EXCHANGE_RATE_INVALID = "EXCHANGE_RATE_INVALID"
    AMOUNT_PRECISION = "AMOUNT_PRECISION"
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    TAG_TOO_LONG = "TAG_TOO_LONG"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    TRACKING_NOT_MAPPED = "TRACKING_NOT_MAPPED"
    TAX_RATE_MISSING = "TAX_RATE_MISSING"
    PARTY_AMBIGUOUS = "PARTY_AMBIGUOUS"
    PARTY_INACTIVE = "PARTY_INACTIVE"
    PARTY_NOT_FOUND = "PARTY_NOT_FOUND"
    PARTY_NAME_INVALID = "PARTY_NAME_INVALID"


class MappingError(Exception):
    """A case revision that cannot become provider documents as configured. Never retried."""

    permanent = True

    def __init__(self, code: MappingErrorCode, reason: str, field: str | None = None):
        self.code = code
        self.reason = reason
        self.field = field
        super().__init__(f"{code}: {reason}")

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code.value, "reason": self.reason, "field": self.field}

    def __reduce__(self) -> tuple[type[MappingError], tuple[MappingErrorCode, str, str | None]]:
        # Picklable with its fields, so it survives a Celery result backend or a process pool.
        return (type(self), (self.code, self.reason, self.field))
