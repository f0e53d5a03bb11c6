"""Queue-facing commands: `enqueue` cases, run a `worker`, and show the ledger's `status`."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import typer
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import func, select

from config.errors import ConfigError
from config.settings import get_settings
from sync.cli.app import app, console, err_console, fail, fail_config, migrated_ledger_url, print_json
from sync.cli.cases import check_record
from sync.readers import ReaderError, read_path

PROGRESS_THRESHOLD = 200


@app.command()
def enqueue(
    path: str = typer.Argument(..., help="CSV, JSON or JSONL case log; '-' for standard input."),
    fmt: str | None = typer.Option(None, "--format", help="json, jsonl or csv (default: from the extension)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only invalid records and the summary."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of {row, case_id, queued, errors}."),
) -> None:
    """Put every case of a file on the intake queue; invalid records are reported and kept as rejected."""
    settings = get_settings()
    try:
        records = list(read_path(path, fmt))
    except ReaderError as exc:
        fail(str(exc))
    from sync.producer import publisher

    results: list[dict[str, Any]] = []
    show_progress = len(records) >= PROGRESS_THRESHOLD and console.is_terminal and not as_json
    progress = Progress(TextColumn("enqueue"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=console, disable=not show_progress, transient=True)
    try:
        with progress, publisher() as pub:
            bar = progress.add_task("enqueue", total=len(records))
            for record in records:
                case_id, errors, case = check_record(record, settings.max_case_bytes)
                if case is None:
                    pub.rejection(record.payload, errors, source=f"enqueue {path} {record.row}")
                else:
                    pub.case(case)
                results.append({"row": record.row, "case_id": case_id, "queued": not errors,
                                "errors": [e.as_dict() for e in errors]})
                _report(results[-1], quiet or as_json or show_progress)
                progress.advance(bar)
    except (OSError, KombuOperationalError, RedisError) as exc:
        fail(f"cannot reach the broker ({type(exc).__name__}: {exc}); is Redis running at REFUNDSYNC_BROKER_URL?")
    queued = sum(1 for r in results if r["queued"])
    if as_json:
        print_json(results)
    else:
        console.print(f"{len(results)} record(s): {queued} queued, {len(results) - queued} invalid "
                      "(kept in the ledger as rejected)", highlight=False)
    if queued != len(results):
        raise typer.Exit(1)


def _report(item: dict[str, Any], quiet: bool) -> None:
    if item["queued"]:
        if not quiet:
            console.print(f"queued {item['case_id']}", highlight=False)
        return
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in item["errors"])
    label = f"{item['row']} ({item['case_id']})" if item["case_id"] else item["row"]
    err_console.print(f"[red]invalid[/] {label}: {detail}", highlight=False, soft_wrap=True)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(2, "--concurrency", "-c", help="Worker processes."),
    queues: str = typer.Option("intake,post,backsync,ops", "--queues", "-Q", help="Queues to consume."),
    loglevel: str = typer.Option("INFO", "--loglevel", "-l"),
) -> None:
    """Start a Celery worker (extra options are passed to celery worker)."""
    from sync.celery_app import check_timeouts
    from sync.ledger.db import LedgerNotMigrated, require_migrated

    settings = get_settings()
    try:
        check_timeouts(settings)
        require_migrated(settings.database_url)
    except ConfigError as exc:
        fail_config(exc)
    except LedgerNotMigrated as exc:
        fail(str(exc))
    from sync import metrics  # before the Celery app: prometheus_client must see its multiprocess folder
    from sync.celery_app import app as celery_app
    from sync.logs import configure_logging

    metrics.prepare(settings)
    configure_logging(settings.log_level, settings.log_format)
    argv = ["worker", f"--concurrency={concurrency}", f"--queues={queues}", f"--loglevel={loglevel}",
            "--without-gossip", "--without-mingle", *ctx.args]
    celery_app.worker_main(argv)


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print counts as JSON.")) -> None:
    """Counts of postings per state, case revisions and rejected inputs."""
    from sync.ledger.db import session_scope
    from sync.ledger.models import CaseRevision, Posting, RejectedInput
    from sync.ledger.states import PostingState

    with session_scope(migrated_ledger_url()) as session:
        states = Counter({s: n for s, n in session.execute(
            select(Posting.state, func.count()).group_by(Posting.state)).all()})
        cases = session.scalar(select(func.count(func.distinct(CaseRevision.case_id)))) or 0
        revisions = session.scalar(select(func.count()).select_from(CaseRevision)) or 0
        rejected = Counter({k: n for k, n in session.execute(
            select(RejectedInput.kind, func.count()).group_by(RejectedInput.kind)).all()})
    by_state = {s.value: states.get(s.value, 0) for s in PostingState}
    by_kind = {"invalid": rejected.get("invalid", 0), "conflict": rejected.get("conflict", 0)}
    data = {"cases": cases, "case_revisions": revisions, "postings": by_state, "rejected": by_kind}
    if as_json:
        print_json(data)
        return
    table = Table(title="postings by state")
    table.add_column("state")
    table.add_column("count", justify="right")
    for state, count in by_state.items():
        if count:
            table.add_row(state, str(count))
    console.print(table)
    console.print(f"{cases} case(s), {revisions} revision(s); rejected inputs: "
                  f"{by_kind['invalid']} invalid, {by_kind['conflict']} conflicting",
                  highlight=False)
    sys.stdout.flush()
