"""Commands about case files: the JSON Schema, and validating a file without touching the queue."""

from __future__ import annotations

from typing import Any

import typer

from config.settings import get_settings
from mapping.case import RefundCase, case_json_schema
from mapping.validation import FieldError, validate_payload
from sync.cli.app import app, console, fail, print_json, schema_app
from sync.readers import ReaderError, Record, read_path


@schema_app.command("case")
def schema_case() -> None:
    """Print the JSON Schema of a refund case (the contract with every case log)."""
    print_json(case_json_schema())


def check_record(record: Record, max_bytes: int) -> tuple[str | None, list[FieldError], RefundCase | None]:
    """Validate one read record; reader errors (row shape, disagreeing rows) come first.

    Returns the case id (as far as it can be read), every error, and the case when there is none.
    """
    errors = [FieldError(f, m) for f, m in record.errors]
    check = validate_payload(record.payload, max_bytes=max_bytes)
    errors.extend(check.errors)
    case_id = check.case.case_id if check.case else record.case_id
    return case_id, errors, (check.case if not errors else None)


@app.command()
def validate(
    path: str = typer.Argument(..., help="CSV, JSON or JSONL case log; '-' for standard input."),
    fmt: str | None = typer.Option(None, "--format", help="json, jsonl or csv (default: from the extension)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of lines."),
) -> None:
    """Check a case file without touching the queue; exit status 1 if any record is invalid."""
    max_bytes = get_settings().max_case_bytes
    try:
        records = list(read_path(path, fmt))
    except ReaderError as exc:
        fail(str(exc))
    results: list[dict[str, Any]] = []
    for record in records:
        case_id, errors, _ = check_record(record, max_bytes)
        results.append({"row": record.row, "case_id": case_id, "valid": not errors,
                        "errors": [e.as_dict() for e in errors]})
    if as_json:
        print_json(results)
    else:
        for item in results:
            if item["valid"]:
                console.print(f"[green]ok[/] {item['case_id']}", highlight=False)
            else:
                detail = "; ".join(f"{e['field']}: {e['message']}" for e in item["errors"])
                label = f"{item['row']} ({item['case_id']})" if item["case_id"] else item["row"]
                console.print(f"[red]invalid[/] {label}: {detail}", highlight=False, soft_wrap=True)
        bad = sum(1 for r in results if not r["valid"])
        console.print(f"{len(results)} record(s), {len(results) - bad} valid, {bad} invalid", highlight=False)
    if any(not r["valid"] for r in results):
        raise typer.Exit(1)


