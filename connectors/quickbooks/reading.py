"""QBO entity JSON -> the protocol's :class:`RemoteDocument` / :class:`RemoteParty`, in back-sync's terms.

python-quickbooks parses JSON numbers with a fraction as Decimal (``use_decimal=True``) but whole
numbers stay ``int`` and a numeric string stays ``str``; every amount is therefore read through
:func:`money`, which never goes through ``float``.

A voided QBO transaction is not marked by a status field: Intuit zeroes every amount and prefixes the
memo with "Voided". Both must hold before a document is read as voided, so a memo that happens to begin
with that word does not void anything.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.protocol import RemoteDocument, RemoteParty, RemoteStatus
from connectors.quickbooks.provider import QUICKBOOKS, DocumentKind, QuickBooksProvider


def money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):  # never produced by our parser; refuse rather than round
        raise TypeError("a float amount reached the QuickBooks reader; parse JSON with Decimal")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def timestamp(value: Any) -> datetime | None:
    """``2026-11-22T10:33:39-08:00`` -> an aware datetime (None if absent or unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _ref(body: dict[str, Any], name: str | None) -> tuple[str | None, str | None]:
    ref = body.get(name) if name else None
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"]), (str(ref["name"]) if ref.get("name") else None)
    return None, None


def _line_party(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """A Deposit names its payer on the lines (DepositLineDetail.Entity)."""
    for line in body.get("Line") or []:
        entity = (line.get("DepositLineDetail") or {}).get("Entity")
        if isinstance(entity, dict) and entity.get("value"):
            return str(entity["value"]), (str(entity["name"]) if entity.get("name") else None)
    return None, None


def is_voided(body: dict[str, Any]) -> bool:
    note = str(body.get("PrivateNote") or "")
    if not note.startswith("Voided"):
        return False
    amounts = [money(body.get("TotalAmt"))] + [money(line.get("Amount")) for line in body.get("Line") or []
                                                if line.get("DetailType") != "SubTotalLineDetail"]
    return all(a is None or a == 0 for a in amounts)


def _amount(kind: DocumentKind, body: dict[str, Any]) -> Decimal | None:
    """TotalAmt; for a zero-total payment that applies a credit, the amount applied from the credit."""
    total = money(body.get("TotalAmt"))
    if kind.applies and (total is None or total == 0):
        applied = Decimal(0)
        found = False
        for line in body.get("Line") or []:
            if any(link.get("TxnType") in kind.applies for link in line.get("LinkedTxn") or []):
                applied += money(line.get("Amount")) or Decimal(0)
                found = True
        if found:
            return applied
    return total


def remaining(type_: str, body: dict[str, Any]) -> Decimal | None:
    value = body.get("RemainingCredit") if type_ == "CreditMemo" and "RemainingCredit" in body else body.get(
        "Balance")
    return money(value)


def remote_document(type_: str, body: dict[str, Any], provider: QuickBooksProvider = QUICKBOOKS
                    ) -> RemoteDocument:
    kind = provider.document(type_)
    party_id, party_name = _line_party(body) if kind.party_ref is None else _ref(body, kind.party_ref)
    currency, _ = _ref(body, "CurrencyRef")
    number = body.get(kind.lookup_field)
    return RemoteDocument(
        type=type_,
        remote_id=str(body["Id"]),
        number=str(number) if number not in (None, "") else None,
        reference=None,
        amount=_amount(kind, body),
        currency=currency,
        party_id=party_id,
        party_name=party_name,
        date=_date(body.get("TxnDate")),
        status=RemoteStatus.VOIDED if is_voided(body) else RemoteStatus.ACTIVE,
        version=str(body["SyncToken"]) if body.get("SyncToken") is not None else None,
        updated_at=timestamp((body.get("MetaData") or {}).get("LastUpdatedTime")),
        remaining=remaining(type_, body),
        raw=body,
    )


def deleted_document(type_: str, body: dict[str, Any], before: RemoteDocument | None = None) -> RemoteDocument:
    """A CDC ``"status": "Deleted"`` stub (only Id and MetaData), or a delete's answer; ``before`` is what
    was read just before deleting, when there is one."""
    updated = timestamp((body.get("MetaData") or {}).get("LastUpdatedTime"))
    if before is not None:
        return RemoteDocument(before.type, before.remote_id, before.number, before.reference, before.amount,
                              before.currency, before.party_id, before.party_name, before.date, RemoteStatus.DELETED,
                              before.version, updated or before.updated_at, before.remaining, raw=body)
    return RemoteDocument(type_, str(body["Id"]), None, None, None, None, None, None, None, RemoteStatus.DELETED,
                          None, updated, raw=body)


def remote_party(body: dict[str, Any], provider: QuickBooksProvider = QUICKBOOKS) -> RemoteParty:
    external = body.get(provider.party_external_id_field)
    return RemoteParty(
        id=str(body["Id"]),
        name=str(body.get("DisplayName") or body.get("FullyQualifiedName") or body.get("CompanyName") or ""),
        external_id=str(external) if external not in (None, "") else None,
        active=body.get("Active") is not False,
    )
