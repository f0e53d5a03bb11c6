"""Back-sync commands: `backsync`, `reconcile`, `report`, and `beat` (the scheduler)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer
from redis.exceptions import RedisError
from rich.table import Table

from config.errors import ConfigError
from config.settings import get_settings
from sync.cli.app import app, console, err_console, fail, fail_config, migrated_ledger_url, print_json


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date such as 2026-11-01")


def _tenants(tenant: str | None) -> list[str]:
    from sync.engine.runtime import engine_deps

    try:
        tenants = engine_deps().tenants()
        if tenant:
            tenants.get(tenant)  # an unknown name fails here, with the known ones listed
            return [tenant]
    except ConfigError as exc:
        fail_config(exc)
    return sorted(tenants.tenants)


def _run_all(tenants: list[str], kind: str, as_json: bool, **kwargs: object) -> None:
    from sync.backsync.run import BacksyncFailed, backsync_tenant, reconcile_tenant
    from sync.engine.runtime import engine_deps
    from sync.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)  # to stderr: stdout is the answer
    migrated_ledger_url()
    deps = engine_deps()
    results, failed = [], False
    for name in tenants:
        try:
            if kind == "backsync":
                result = backsync_tenant(deps, name, **kwargs)  # type: ignore[arg-type]
            else:
                result = reconcile_tenant(deps, name, **kwargs)  # type: ignore[arg-type]
        except RedisError as exc:
            fail(f"cannot reach Redis ({type(exc).__name__}); back-sync needs it for the tenant lock and the "
                 "rate limiter: is it running at REFUNDSYNC_REDIS_URL / REFUNDSYNC_BROKER_URL?")
        except BacksyncFailed as exc:
            failed = True
            results.append({"tenant": name, "kind": kind, "error": exc.reason})
            if not as_json:
                err_console.print(f"[red]{name}[/]: {exc.reason}", highlight=False, soft_wrap=True)
            continue
        if result.reposted and get_settings().auto_post:
            from sync.tasks import schedule_flush

            schedule_flush(name, 0)
        results.append(result.as_dict())
        if as_json:
            continue
        if result.locked_out:
            console.print(f"{name}: a back-sync of this tenant is already running; nothing done", highlight=False)
            continue
        counts = ", ".join(f"{n} {state}" for state, n in sorted(result.counts.items())) or "nothing to check"
        console.print(f"{name}: {kind} run {result.run_id}: {result.documents_seen} document(s) read; {counts}",
                      highlight=False)
    if as_json:
        print_json(results)
    if failed:
        raise typer.Exit(1)


@app.command()
def backsync(
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant (default: every tenant)."),
    since: str | None = typer.Option(None, "--since", help="Read changes since this date (YYYY-MM-DD) instead of "
                                     "the tenant's cursor."),
    as_json: bool = typer.Option(False, "--json", help="Print each run as JSON."),
) -> None:
    """Read the books' changes back and confirm every posted entry, or report its drift. Changes nothing."""
    day = _day(since, "--since")
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) if day else None
    _run_all(_tenants(tenant), "backsync", as_json, since=start)


@app.command()
def reconcile(
    first: str = typer.Option(..., "--from", help="First posting day (YYYY-MM-DD, UTC)."),
    last: str = typer.Option(..., "--to", help="Last posting day, inclusive."),
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant (default: every tenant)."),
    as_json: bool = typer.Option(False, "--json", help="Print each run as JSON."),
) -> None:
    """Read every entry posted in a date range by its id: finds what vanished without a change event."""
    start, end = _day(first, "--from"), _day(last, "--to")
    assert start is not None and end is not None
    if end < start:
        fail("--to is before --from")
    _run_all(_tenants(tenant), "reconcile", as_json, first=start, last=end)


@app.command()
def report(
    first: str | None = typer.Option(None, "--from", help="First posting day (YYYY-MM-DD, UTC)."),
    last: str | None = typer.Option(None, "--to", help="Last posting day, inclusive."),
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
) -> None:
    """The reconciliation report: totals per vendor/customer, reason and state; what is not confirmed, and why.

    Totals are sums of the entry rows (one per credit), per currency. `--format csv` is one sheet whose
    `section` column says what each row is (entry, total_party, total_reason, total_state, not_confirmed).
    """
    from sync.backsync.report import build_report
    from sync.ledger.db import session_scope

    if fmt not in ("table", "csv", "json"):
        fail(f"--format {fmt!r}: use table, csv or json")
    with session_scope(migrated_ledger_url()) as session:
        built = build_report(session, first=_day(first, "--from"), last=_day(last, "--to"), tenant=tenant)
    if fmt == "json":
        print_json(built.as_dict())
        return
    if fmt == "csv":
        import sys

        sys.stdout.write(built.csv_text())
        return
    for title, by in (("by state", "state"), ("by vendor or customer", "party"), ("by reason code", "reason_code")):
        table = Table(title=f"entries {title}")
        for col in (by.replace("_", " "), "currency", "entries", "amount"):
            table.add_column(col, justify="right" if col in ("entries", "amount") else "left")
        for total in built.totals(by):
            table.add_row(total.key, total.currency, str(total.count), format(total.amount, "f"))
        console.print(table)
    if built.not_confirmed:
        table = Table(title="not confirmed", show_lines=True)
        for col in ("tenant", "case", "role", "party", "state", "amount", "reason"):
            table.add_column(col, overflow="fold")
        for row in built.not_confirmed:
            table.add_row(row.tenant, row.case_id, row.role, row.party, row.state,
                          f"{format(row.amount, 'f')} {row.currency}", row.detail)
        console.print(table)
    elif built.rows:
        console.print("every entry is confirmed", highlight=False)
    else:
        console.print("no entries posted in this range", highlight=False)
    console.print(f"{len(built.rows)} entr(ies), {len(built.not_confirmed)} posting(s) not confirmed, "
                  f"{len(built.runs)} run(s)", highlight=False)


@app.command()
def beat(
    loglevel: str = typer.Option("INFO", "--loglevel", "-l"),
    schedule_file: Path = typer.Option(Path("var/celerybeat-schedule"), "--schedule-file",
                                       help="Where beat keeps its own last-run times."),
) -> None:
    """Run the scheduler (Celery beat): flush safety net and each tenant's back-sync. Run exactly one."""
    from sync.celery_app import app as celery_app
    from sync.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    schedule_file.parent.mkdir(parents=True, exist_ok=True)
    celery_app.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule_file}"])
