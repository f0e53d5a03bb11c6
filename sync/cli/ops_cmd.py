"""Operator commands: `failed`, `show`, `retry`, `skip` (`link`, `unpost`, `repost`: remote_ops_cmd). `--json`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from config.errors import ConfigError
from config.settings import get_settings
from sync.cli.app import app, console, fail, migrated_ledger_url, print_json


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        fail(f"--since {value!r} is not a date such as 2026-11-16")


def _session() -> Session:
    from sync.ledger.db import session_factory

    return session_factory(migrated_ledger_url())()


@app.command()
def failed(
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant."),
    reason: str | None = typer.Option(None, "--reason", help="Error code (e.g. REASON_NOT_MAPPED) or words."),
    since: str | None = typer.Option(None, "--since", help="Changed on or after this date (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """What needs attention, grouped by reason, with the fix when it is known."""
    from sync.ops import failures

    with _session() as session:
        groups = failures(session, tenant=tenant, reason=reason, since=_since(since))
    if as_json:
        print_json([g.as_dict() for g in groups])
        return
    if not groups:
        console.print("nothing needs attention", highlight=False)
        return
    table = Table(title="needs attention", show_lines=True)
    for col in ("tenant", "code", "cases", "reason and fix", "case ids"):
        table.add_column(col, overflow="fold")
    for g in groups:
        shown = ", ".join(g.case_ids[:5]) + (f" (+{len(g.case_ids) - 5} more)" if len(g.case_ids) > 5 else "")
        table.add_row(g.tenant, g.code or "-", str(len(g.case_ids)), g.reason, shown)
    console.print(table)
    console.print("re-run after fixing: refundsync retry --failed [--reason CODE] [--tenant T]"
                  + ("; DRIFT is decided case by case (repost, link, unpost, skip), never re-run"
                     if any(g.code == "DRIFT" for g in groups) else ""), highlight=False)


@app.command()
def show(case_id: str = typer.Argument(..., help="The case's log reference."),
         offline: bool = typer.Option(False, "--offline", help="Do not read the documents from the books."),
         as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """The case, its postings, every attempt, and each remote document as the books have it now."""
    from sync.ops import case_story

    with _session() as session:
        story = case_story(session, case_id)
    if story is None:
        fail(f"no case {case_id} in the ledger (neither stored nor rejected)", code=1)
    if not offline:
        _add_remote_documents(story)
    if as_json:
        print_json(story)
        return
    for rev in story["revisions"]:
        case = rev["case"]
        console.print(f"[bold]{case_id}[/] revision {rev['revision']} ({rev['kind']}, tenant {rev['tenant']})"
                      f"{' [dim]superseded[/]' if rev['superseded'] else ''}: {case['amount']} {case['currency']} "
                      f"{case['party']['name']}, order {case.get('order_number') or '-'}, reason "
                      f"{case['reason_code']}, received {rev['received_at'][:19]}", highlight=False)
        for p in rev["postings"]:
            remote = f"{p['document_type'] or '?'} {p['remote_id']} ({p['remote_number']})" if p["remote_id"] else "-"
            console.print(f"  {p['role']} for {p['party']}: [bold]{p['state']}[/] tag {p['tag'] or '-'}, "
                          f"remote {remote}" + (f"\n    reason: {p['reason']}" if p["reason"] else ""),
                          highlight=False, soft_wrap=True)
            if "books" in p:
                console.print(f"    in the books now: {_books_line(p['books'])}", highlight=False, soft_wrap=True)
            table = Table(show_header=True, box=None, padding=(0, 1))
            for col in ("when", "operation", "request", "http", "code", "classification", "outcome"):
                table.add_column(col, overflow="fold")
            for a in p["attempts"]:
                table.add_row(a["at"][:19], a["operation"], a["request"] or "", str(a["http_status"] or ""),
                              a["provider_code"] or "", a["classification"] or "", a["outcome"])
            if p["attempts"]:
                console.print(table)
    for r in story["rejected"]:
        console.print(f"rejected ({r['kind']}) {r['received_at'][:19]} from {r['source']}: {r['reason']}",
                      highlight=False, soft_wrap=True)


def _add_remote_documents(story: dict[str, Any]) -> None:
    """Each posting with a remote id gets ``books``: the document as read now, ``{"found": false}``, or
    ``{"error": reason}`` (a failed read is shown, never fatal: the ledger's story still prints)."""
    from connectors.protocol import TenantClient
    from sync.remote_ops import Failure, describe, fetch, tenant_client, tenant_config

    clients: dict[str, TenantClient | str] = {}
    for rev in story["revisions"]:
        for p in rev["postings"]:
            if not p["remote_id"] or not p["document_type"]:
                continue
            tenant = rev["tenant"]
            if tenant not in clients:
                try:
                    clients[tenant] = tenant_client(tenant_config(tenant))
                except ConfigError as exc:
                    clients[tenant] = f"tenant {tenant} cannot be read: {exc.render()}"
            client = clients[tenant]
            if isinstance(client, str):
                p["books"] = {"error": client}
                continue
            try:
                found = fetch(client, p["document_type"], p["remote_id"])
            except Exception as exc:  # e.g. Redis (the shared limiter) unreachable: the ledger's story still prints
                p["books"] = {"error": f"the books could not be read ({type(exc).__name__})"}
                continue
            if isinstance(found, Failure):
                p["books"] = {"error": found.reason, "classification": found.classification}
            elif found is None:
                p["books"] = {"found": False}
            else:
                p["books"] = {"found": True, **describe(found)}


def _books_line(books: dict[str, Any]) -> str:
    if "error" in books:
        return f"[red]could not read it[/]: {books['error']}"
    if not books.get("found"):
        return "[yellow]not found[/] (deleted)"
    return (f"{books['type']} {books['remote_id']} number {books['number'] or '-'}, [bold]{books['status']}[/], "
            f"{books['amount']} {books['currency'] or ''} {books['party'] or ''}, date {books['date'] or '-'}, "
            f"version {books['version'] or '-'}")


@app.command()
def retry(
    case_ids: list[str] = typer.Argument(None, help="Case ids to re-run."),
    failed_: bool = typer.Option(False, "--failed", help="Every posting that needs attention (with the filters)."),
    reason: str | None = typer.Option(None, "--reason", help="With --failed: error code or words."),
    since: str | None = typer.Option(None, "--since", help="With --failed: changed on or after (YYYY-MM-DD)."),
    tenant: str | None = typer.Option(None, "--tenant", help="With --failed: only this tenant."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be re-run; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Re-run failed postings. Each is looked up by its tag first, so a re-run never creates a duplicate."""
    from sync.ops import retry as do_retry
    from sync.ops import select_for_retry

    if not case_ids and not failed_:
        fail("name case ids, or use --failed")
    with _session() as session:
        postings = select_for_retry(session, case_ids or [], failed=failed_, tenant=tenant, reason=reason,
                                    since=_since(since))
        items = [{"case_id": p.case_id, "tenant": p.tenant, "role": p.role, "party": p.party_name,
                  "was": p.state, "reason": p.reason} for p in postings]
        tenants = [] if dry_run else do_retry(session, postings)
    if not dry_run and tenants and get_settings().auto_post:
        from sync.tasks import schedule_flush

        for name in tenants:
            schedule_flush(name, 0)
    if as_json:
        print_json({"dry_run": dry_run, "postings": items})
        return
    verb = "would re-run" if dry_run else "re-running"
    for item in items:
        console.print(f"{verb} {item['case_id']} {item['role']} for {item['party']} (was {item['was']})",
                      highlight=False)
    console.print(f"{len(items)} posting(s) {'selected' if dry_run else 'queued'}", highlight=False)


@app.command()
def skip(case_id: str = typer.Argument(...), why: str = typer.Option(..., "--why", help="Recorded with the case.")
         ) -> None:
    """Set aside a case's postings that are not in the books, with the reason."""
    from sync.ops import skip as do_skip

    with _session() as session:
        skipped = do_skip(session, case_id, why)
    if not skipped:
        fail(f"case {case_id} has no posting that could be skipped (posted ones are unposted instead)", code=1)
    console.print(f"skipped {len(skipped)} posting(s) of {case_id}: {why}", highlight=False)
