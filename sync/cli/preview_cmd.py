"""`refundsync preview PATH`: the exact payloads each case would post, or why it cannot be posted.

No network, no ledger: cases are read and validated like `refundsync validate`, then planned with the
tenant's mapping. Amounts print as JSON numbers with their exact digits (as they go on the wire).
Exit status 1 when any case cannot be posted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from config.errors import ConfigError
from config.settings import get_settings
from config.tenants import TenantsFile, load_tenants
from mapping.errors import MappingError
from mapping.plan import CasePlan, plan_case
from mapping.wire import dumps
from sync.cli.app import app, console, fail, fail_config
from sync.cli.cases import check_record
from sync.readers import ReaderError, Record, read_path


def preview_record(
    record: Record, tenants: TenantsFile, max_bytes: int
) -> tuple[dict[str, Any], CasePlan | None]:
    """One case's preview object (the `--json` shape) and its plan when it has one."""
    case_id, errors, case = check_record(record, max_bytes)
    payload = record.payload if isinstance(record.payload, dict) else {}
    tenant_name = payload.get("tenant") if isinstance(payload.get("tenant"), str) else None
    result: dict[str, Any] = {
        "case_id": case_id,
        "tenant": tenant_name,
        "provider": None,
        "ok": False,
        "error": None,
        "documents": [],
    }
    if errors:
        result["error"] = f"{record.row}: " + "; ".join(str(e) for e in errors)
        return result, None
    assert case is not None  # check_record returns the case whenever there is no error
    tenant = tenants.tenants.get(case.tenant)
    if tenant is None:
        known = ", ".join(sorted(tenants.tenants)) or "none"
        result["error"] = f"tenant '{case.tenant}' is not in {tenants.path} (known: {known})"
        return result, None
    result["provider"] = tenant.provider.value
    try:
        plan = plan_case(case, tenant)
    except MappingError as exc:
        result["error"] = str(exc)
        return result, None
    result["ok"] = True
    result["documents"] = [
        {"type": d.type, "tag": d.tag, "payload": d.payload, "payload_hash": d.payload_hash}
        for d in plan.documents
    ]
    return result, plan


@app.command()
def preview(
    path: str = typer.Argument(..., help="CSV, JSON or JSONL case log; '-' for standard input."),
    tenants: Path | None = typer.Option(
        None, "--tenants", help="Tenants file (default: REFUNDSYNC_TENANTS_FILE)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list, an object per case."),
    fmt: str | None = typer.Option(None, "--format", help="json, jsonl or csv (default: from the extension)."),
) -> None:
    """Show the exact payloads each case would post, or why it cannot be posted; no network, no ledger."""
    settings = get_settings()
    try:
        tenants_file = load_tenants(tenants or settings.tenants_file)
    except ConfigError as exc:
        fail_config(exc)
    try:
        records = list(read_path(path, fmt))
    except ReaderError as exc:
        fail(str(exc))
    results = [preview_record(record, tenants_file, settings.max_case_bytes) for record in records]
    if as_json:
        sys.stdout.write(dumps([r for r, _ in results], indent=2) + "\n")
    else:
        for result, plan in results:
            _print_text(result, plan)
        bad = sum(1 for r, _ in results if not r["ok"])
        console.print(
            f"{len(results)} case(s), {len(results) - bad} postable, {bad} not postable", highlight=False
        )
    if any(not r["ok"] for r, _ in results):
        raise typer.Exit(1)


def _print_text(result: dict[str, Any], plan: CasePlan | None) -> None:
    label = f"{result['case_id'] or '(no case id)'} -> {result['tenant'] or '?'}"
    if plan is None:
        console.print(f"[red]cannot post[/] {label}: {result['error']}", highlight=False, soft_wrap=True)
        return
    console.print(f"[green]ok[/] {label} ({plan.provider.value}): {len(plan.documents)} document(s)",
                  highlight=False, soft_wrap=True)
    for note in plan.notes:
        console.print(f"  note: {note}", highlight=False, soft_wrap=True, markup=False)
    for doc in plan.documents:
        after = f", after {doc.depends_on.value}" if doc.depends_on else ""
        console.print(f"  {doc.role.value}: {doc.type} tag={doc.tag or '-'} sha256={doc.payload_hash}{after}",
                      highlight=False, markup=False, soft_wrap=True)
        console.print(dumps(doc.payload, indent=2), highlight=False, markup=False, soft_wrap=True)
