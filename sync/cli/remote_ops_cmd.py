"""Operator commands that touch the books: `link`, `unpost`, `repost`. Each has `--json`.

The ledger decisions are in :mod:`sync.ops`, the remote calls in :mod:`sync.remote_ops`; this module only
sequences them (read the ledger, close the transaction, call the provider, record the answer) and prints.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from config.errors import ConfigError
from config.settings import get_settings
from config.tenants import TenantConfig
from connectors.protocol import TenantClient
from sync.cli.app import app, console, fail, fail_config, print_json
from sync.cli.ops_cmd import _session


def _client(tenant: str) -> tuple[TenantConfig, TenantClient]:
    from sync.remote_ops import tenant_client, tenant_config

    try:
        config = tenant_config(tenant)
    except ConfigError as exc:
        fail_config(exc)
    return config, tenant_client(config)


@app.command()
def link(
    case_id: str = typer.Argument(..., help="The case's log reference."),
    remote_id: str = typer.Argument(..., help="The id of the document someone keyed by hand."),
    party: str | None = typer.Option(None, "--party", help="Which party's credit (when the case has several)."),
    force: bool = typer.Option(False, "--force", help="Adopt it although amount, currency or party differ."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Adopt a document someone keyed by hand as the case's credit: it is never posted a second time."""
    from sync.ledger.models import CaseRevision
    from sync.ops import Refused, link_target, linked_elsewhere, mark_linked
    from sync.remote_ops import describe, differences, expected_credit, find_expected, unusable

    with _session() as session:
        try:
            posting = link_target(session, case_id, party)
        except Refused as exc:
            fail(str(exc), code=1)
        other = linked_elsewhere(session, posting, remote_id)
        if other is not None:
            fail(f"{other.document_type} {remote_id} already stands for case {other.case_id} ({other.state})", code=1)
        revision = session.get(CaseRevision, posting.case_revision_id)
        assert revision is not None
        posting_id, was, tenant, before = posting.id, posting.state, posting.tenant, posting.remote_id
        party_key, party_name, payload = posting.party_key, posting.party_name, revision.payload
    config, client = _client(tenant)
    expected = expected_credit(payload, config, party_key, party_name)
    remote, problem = find_expected(client, expected, remote_id)
    if problem is not None:
        fail(f"could not read {remote_id} from tenant {tenant}: {problem.reason}", code=1)
    why_not = unusable(remote, remote_id, expected, tenant)
    if why_not is not None:
        fail(f"not linked: {why_not}", code=1)
    assert remote is not None
    diffs = differences(expected, remote)
    if diffs and not force:
        fail("not linked: the document is not what the case says\n  " + "\n  ".join(diffs)
             + "\nlink it anyway with --force (recorded with the case)", code=1)
    detail = f"{remote.type} {remote.remote_id} ({remote.number or '-'}), {remote.amount} {remote.currency or ''}, " \
             f"{remote.party_name}" + (f"; forced despite: {'; '.join(diffs)}" if diffs else "") \
             + (f"; replaces {before}, which the books no longer have" if before else "")
    with _session() as session:
        done = mark_linked(session, posting_id, was, document_type=remote.type, remote_id=remote.remote_id,
                           number=remote.number, version=remote.version, detail=detail)
    if not done:
        fail(f"the posting of {case_id} changed while the document was read (a worker picked it up); "
             f"look at `refundsync show {case_id}` and try again", code=1)
    result = {"case_id": case_id, "party": party_name, "was": was, "state": "linked", "forced": bool(diffs),
              "differences": diffs, "document": describe(remote)}
    if as_json:
        print_json(result)
        return
    console.print(f"linked {case_id} ({party_name}, was {was}) to {remote.type} {remote.remote_id} "
                  f"number {remote.number or '-'}" + (" [bold yellow]forced[/]" if diffs else ""), highlight=False)
    for line in diffs:
        console.print(f"  {line}", highlight=False)


@app.command()
def unpost(
    case_id: str = typer.Argument(..., help="The case's log reference."),
    why: str = typer.Option(..., "--why", help="Recorded with the case."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Void the case's documents in the books (follow-ups first) and keep its whole history."""
    from sync.ledger.models import Posting
    from sync.ledger.states import PostingState
    from sync.ops import mark_voided, record_operator_call, unpost_order
    from sync.remote_ops import Failure, describe, void

    with _session() as session:
        targets = [(p.id, p.state, p.tenant, p.role, p.party_name, p.document_type, p.remote_id)
                   for p in unpost_order(session, case_id)]
    if not targets:
        fail(f"case {case_id} has nothing in the books to unpost (`refundsync skip` sets aside what was "
             "never posted)", code=1)
    client = _client(targets[0][2])[1]
    rows: list[dict[str, Any]] = []
    failed = False
    for posting_id, state, _tenant, role, party_name, type_, remote_id in targets:
        row: dict[str, Any] = {"role": role, "party": party_name, "type": type_, "remote_id": remote_id, "was": state}
        if state == PostingState.VOIDED.value or not type_ or not remote_id:
            rows.append({**row, "state": state, "outcome": "already voided, nothing sent"})
            continue
        if failed:  # never void a credit whose follow-up is still in the books
            rows.append({**row, "state": state, "outcome": "not tried: an earlier void failed"})
            continue
        answer = void(client, type_, remote_id)
        with _session() as session:
            posting = session.get(Posting, posting_id)
            assert posting is not None
            if isinstance(answer, Failure):
                failed = True
                record_operator_call(session, posting, f"void {type_} {remote_id}", "failed",
                                     http_status=answer.http_status, provider_code=answer.provider_code,
                                     message=answer.message or answer.reason, classification=answer.classification)
                rows.append({**row, "state": state, "outcome": "failed", **answer.as_dict()})
            else:
                record_operator_call(session, posting, f"void {type_} {remote_id}", "voided",
                                     message=f"{answer.type} {answer.remote_id} is {answer.status.value}: {why}",
                                     classification="ok")
                mark_voided(session, posting, why)
                rows.append({**row, "state": PostingState.VOIDED.value, "outcome": answer.status.value,
                             "document": describe(answer)})
            session.commit()
    if as_json:
        print_json({"case_id": case_id, "why": why, "postings": rows})
    else:
        table = Table(title=f"unpost {case_id}")
        for col in ("role", "party", "document", "was", "now", "answer"):
            table.add_column(col, overflow="fold")
        for r in rows:
            answer_text = r["outcome"] + (f": {r['reason']}" if r.get("reason") else "")
            table.add_row(r["role"], r["party"], f"{r['type'] or '?'} {r['remote_id'] or '-'}", r["was"], r["state"],
                          answer_text)
        console.print(table)
    if failed:
        raise typer.Exit(1)


@app.command()
def repost(
    case_id: str = typer.Argument(..., help="The case's log reference."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Send a new document for a case whose document was deleted or voided in the books.

    The books are read first: a document the ledger still has as posted but the books have deleted or
    voided is reposted too (back-sync may not have run yet), and one the books still have is never reposted.
    """
    from connectors.protocol import RemoteStatus
    from sync.ops import Refused, repost_candidates
    from sync.ops import repost as do_repost
    from sync.remote_ops import Failure, fetch

    with _session() as session:
        candidates = [(p.id, p.tenant, p.document_type, p.remote_id) for p in repost_candidates(session, case_id)]
    gone: dict[str, str] = {}
    live: set[str] = set()
    client: TenantClient | None = None
    for posting_id, tenant, type_, remote_id in candidates:
        if not type_ or not remote_id:
            continue
        client = client or _client(tenant)[1]
        found = fetch(client, type_, remote_id)
        if isinstance(found, Failure):
            fail(f"could not read {type_} {remote_id} from tenant {tenant}, so nothing was reposted: {found.reason}",
                 code=1)
        if found is None or found.status is not RemoteStatus.ACTIVE:
            gone[posting_id] = f"{type_} {remote_id} is {found.status.value if found else 'not found (deleted)'}"
        else:
            live.add(posting_id)
    with _session() as session:
        try:
            postings = do_repost(session, case_id, gone, live)
        except Refused as exc:
            fail(str(exc), code=1)
        items: list[dict[str, Any]] = [{"role": p.role, "party": p.party_name, "state": p.state,
                                        "generation": p.generation, "reason": p.reason} for p in postings]
        tenants = sorted({p.tenant for p in postings})
    if get_settings().auto_post:
        from sync.tasks import schedule_flush

        for name in tenants:
            schedule_flush(name, 0)
    if as_json:
        print_json({"case_id": case_id, "postings": items})
        return
    table = Table(title=f"repost {case_id}")
    for col in ("role", "party", "generation", "now", "why"):
        table.add_column(col, overflow="fold")
    for item in items:
        table.add_row(item["role"], item["party"], str(item["generation"]), item["state"], item["reason"] or "")
    console.print(table)
    console.print(f"{len(items)} posting(s) queued", highlight=False)
