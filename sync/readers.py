"""Reading case logs as they are exported: JSON, JSON Lines and spreadsheet CSV.

Readers yield one :class:`Record` per case with the row it came from, so every error can name the row.
They do not validate cases (that is :func:`sync.intake.validate_payload`); they only turn text into
payload dictionaries, keeping amounts exact (JSON numbers are parsed as Decimal, never float).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from mapping.money import format_amount


@dataclass
class Record:
    """One case as read from a file, before validation."""

    row: str  # "row 7" (CSV, header is row 1), "line 3" (JSONL), "item 2" (JSON list)
    payload: Any
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, message) found while reading

    @property
    def case_id(self) -> str | None:
        if isinstance(self.payload, dict):
            value = self.payload.get("case_id")
            return value if isinstance(value, str) else None
        return None


class ReaderError(ValueError):
    """The file as a whole cannot be read (unknown format, broken JSON document, no header)."""


def read_path(path: str | Path, fmt: str | None = None, stdin: IO[str] | None = None) -> Iterator[Record]:
    """Records of a file; ``-`` reads standard input. The format comes from the extension or ``fmt``."""
    if str(path) == "-":
        text = (stdin or _stdin()).read()
        return read_text(text, fmt or sniff_format(text))
    p = Path(path)
    if not p.exists():
        raise ReaderError(f"{p}: file not found")
    text = p.read_text(encoding="utf-8-sig")
    return read_text(text, fmt or format_from_suffix(p) or sniff_format(text))


def _stdin() -> IO[str]:
    import sys

    return sys.stdin


def format_from_suffix(path: Path) -> str | None:
    return {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}.get(path.suffix.lower())


def sniff_format(text: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        first = stripped.split("\n", 1)[0].strip()
        try:
            json.loads(first)
            return "jsonl"
        except ValueError:
            return "json"
    return "csv"


def read_text(text: str, fmt: str) -> Iterator[Record]:
    if fmt == "json":
        return _read_json(text)
    if fmt == "jsonl":
        return _read_jsonl(text)
    if fmt == "csv":
        return _read_csv(text)
    raise ReaderError(f"unknown format '{fmt}' (use json, jsonl or csv)")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _read_json(text: str) -> Iterator[Record]:
    try:
        data = _loads(text)
    except json.JSONDecodeError as exc:
        raise ReaderError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    items = data if isinstance(data, list) else [data]
    for i, item in enumerate(items, start=1):
        yield Record(row=f"item {i}", payload=_exact(item))


def _read_jsonl(text: str) -> Iterator[Record]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            payload = _exact(_loads(line))
        except json.JSONDecodeError as exc:
            yield Record(row=f"line {lineno}", payload=line, errors=[("(record)", f"not valid JSON: {exc.msg}")])
            continue
        yield Record(row=f"line {lineno}", payload=payload)


def _exact(value: Any) -> Any:
    """Decimals (from JSON numbers) become exact decimal strings, so payloads stay JSON-serialisable."""
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


# --- CSV ----------------------------------------------------------------------------------------

#: spreadsheet header (normalised: lower case, letters and digits only) -> case field
CSV_ALIASES: dict[str, str] = {
    "caseid": "case_id", "case": "case_id", "caseno": "case_id", "casenumber": "case_id",
    "logreference": "case_id", "caselogreference": "case_id",
    "kind": "kind", "casekind": "kind", "type": "kind", "refundtype": "kind",
    "tenant": "tenant", "company": "tenant",
    "originalorder": "order_number", "originalordernumber": "order_number", "ordernumber": "order_number",
    "order": "order_number", "orderno": "order_number", "ponumber": "order_number",
    "vendorname": "party_name", "vendor": "party_name", "party": "party_name", "partyname": "party_name",
    "customername": "party_name", "customer": "party_name", "supplier": "party_name",
    "vendorid": "party_external_id", "partyid": "party_external_id", "customerid": "party_external_id",
    "partyexternalid": "party_external_id", "externalid": "party_external_id",
    "refunddate": "refund_date", "date": "refund_date",
    "amount": "amount", "refundamount": "amount", "lineamount": "amount",
    "currency": "currency", "currencycode": "currency",
    "reasoncode": "reason_code", "reason": "reason_code",
    "status": "status", "casestatus": "status",
    "paymentmethod": "payment_method", "method": "payment_method",
    "transactionid": "transaction_id", "paymentreference": "transaction_id", "txnid": "transaction_id",
    "originaldocument": "original_document", "originalbill": "original_document",
    "originalinvoice": "original_document",
    "evidence": "evidence", "evidencelinks": "evidence",
    "closedat": "closed_at", "closed": "closed_at", "closedtime": "closed_at",
    "description": "description", "linedescription": "description", "item": "description",
    "account": "account", "lineaccount": "account",
    "revision": "revision", "rev": "revision",
}  # fmt: skip

CASE_LEVEL = (
    "kind", "tenant", "order_number", "refund_date", "currency", "reason_code", "status",
    "payment_method", "transaction_id", "original_document", "evidence", "closed_at", "revision",
)  # fmt: skip


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _read_csv(text: str) -> Iterator[Record]:
    """Rows sharing a Case ID form one case; with several rows, each row is a line of it.

    A spreadsheet cannot nest lines inside a case, so a multi-vendor refund is exported as one row per
    vendor with the same Case ID. Case-level columns must then agree across those rows.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ReaderError("the CSV file is empty (no header row)") from None
    columns: list[str | None] = []
    unknown: list[str] = []
    for name in header:
        key = CSV_ALIASES.get(normalise_header(name))
        columns.append(key)
        if key is None and name.strip():
            unknown.append(name)
    if "case_id" not in columns:
        raise ReaderError(
            f"the CSV header has no case id column (found: {', '.join(h for h in header if h)}); "
            "name one 'Case ID'"
        )
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    order: list[str] = []
    loose: list[Record] = []
    for rowno, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        values: dict[str, str] = {}
        for key, cell in zip(columns, cells, strict=False):
            if key is not None and cell.strip() != "":
                values[key] = cell.strip()
        if len(cells) > len(columns):
            loose.append(Record(row=f"row {rowno}", payload=values,
                                errors=[("(row)", f"has {len(cells)} cells but the header has {len(columns)}")]))
            continue
        case_id = values.get("case_id", "")
        if not case_id:
            loose.append(Record(row=f"row {rowno}", payload=values, errors=[("case_id", "is empty")]))
            continue
        if case_id not in groups:
            groups[case_id] = []
            order.append(case_id)
        groups[case_id].append((rowno, values))
    yield from loose
    for case_id in order:
        yield _case_from_rows(case_id, groups[case_id])


def _case_from_rows(case_id: str, rows: list[tuple[int, dict[str, str]]]) -> Record:
    first_row, first = rows[0]
    label = f"row {first_row}" if len(rows) == 1 else f"rows {', '.join(str(r) for r, _ in rows)}"
    errors: list[tuple[str, str]] = []
    for rowno, values in rows[1:]:
        for key in CASE_LEVEL:
            if values.get(key, first.get(key)) != first.get(key):
                errors.append((key, f"row {rowno} says '{values.get(key)}' but row {first_row} says "
                                    f"'{first.get(key)}'; all rows of one case must agree"))
    payload: dict[str, Any] = {"case_id": case_id}
    for key in ("kind", "tenant", "order_number", "currency", "reason_code", "status", "original_document",
                "refund_date", "closed_at"):
        if key in first:
            payload[key] = first[key]
    payload["party"] = {"name": first.get("party_name", ""), "external_id": first.get("party_external_id")}
    if "payment_method" in first:
        payload["payment"] = {"method": first["payment_method"], "transaction_id": first.get("transaction_id")}
    if "evidence" in first:
        payload["evidence"] = [e.strip() for e in re.split(r"[\s;|]+", first["evidence"]) if e.strip()]
    if "revision" in first:
        try:
            payload["revision"] = int(first["revision"])
        except ValueError:
            payload["revision"] = first["revision"]
    if len(rows) == 1:
        payload["amount"] = first.get("amount", "")
        if "description" in first or "account" in first:
            payload["lines"] = [{"description": first.get("description"), "amount": first.get("amount", ""),
                                 "party": None, "account": first.get("account")}]
    else:
        lines = []
        total = Decimal(0)
        for _rowno, values in rows:
            amount = values.get("amount", "")
            with contextlib.suppress(ArithmeticError):
                total += Decimal(amount)
            party = {"name": values.get("party_name", ""), "external_id": values.get("party_external_id")}
            lines.append({"description": values.get("description"), "amount": amount, "party": party,
                          "account": values.get("account")})
        payload["amount"] = format_amount(total)
        payload["lines"] = lines
    return Record(row=label, payload=payload, errors=errors)
