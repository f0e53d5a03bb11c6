"""The reconciliation report finance signs off on, built from the ledger (no provider call).

Rows are the credits (one per party of a case: the money refunded); their follow-ups (refund payment,
application) move the same money, so counting them too would double it. Totals per vendor or customer,
per reason code and per state are sums of those rows, per currency (amounts in different currencies are
never added together). Separately, every posting of the range that is not ``confirmed`` (credits and
follow-ups) is listed with its reason, and the runs of the range with their counts.

The range selects postings by the day they were posted (UTC), which is when they entered the books.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mapping.case import RefundCase
from sync.backsync.expected import party_share
from sync.backsync.run import CHECKED
from sync.ledger.models import CaseRevision, Posting, ReconciliationRun
from sync.ledger.states import DocumentRole, PostingState

CSV_COLUMNS = ["section", "tenant", "case_id", "role", "document_type", "remote_id", "party", "reason_code", "state",
               "currency", "amount", "count", "detail"]


@dataclass
class Row:
    tenant: str
    case_id: str
    role: str
    document_type: str | None
    remote_id: str | None
    party: str
    reason_code: str
    state: str
    currency: str
    amount: Decimal
    detail: str


@dataclass
class Total:
    key: str
    currency: str
    count: int = 0
    amount: Decimal = Decimal(0)


@dataclass
class Report:
    first: date | None
    last: date | None
    tenant: str | None
    rows: list[Row] = field(default_factory=list)
    not_confirmed: list[Row] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def totals(self, by: str) -> list[Total]:
        """Sums of the rows per ``party`` | ``reason_code`` | ``state`` and currency, largest count first."""
        found: dict[tuple[str, str], Total] = {}
        for row in self.rows:
            key = (str(getattr(row, by)), row.currency)
            total = found.setdefault(key, Total(*key))
            total.count += 1
            total.amount += row.amount
        return sorted(found.values(), key=lambda t: (-t.count, t.key, t.currency))

    def as_dict(self) -> dict[str, Any]:
        def money(row: dict[str, Any]) -> dict[str, Any]:
            return {**row, "amount": format(row["amount"], "f")}

        return {
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            "tenant": self.tenant,
            "totals": {name: [money(asdict(t)) for t in self.totals(by)]
                       for name, by in (("by_party", "party"), ("by_reason", "reason_code"), ("by_state", "state"))},
            "rows": [money(asdict(r)) for r in self.rows],
            "not_confirmed": [money(asdict(r)) for r in self.not_confirmed],
            "runs": self.runs,
        }

    def csv_text(self) -> str:
        """One sheet: ``entry`` rows, then ``total_*`` rows that sum them, then ``not_confirmed`` rows."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in self.rows:
            writer.writerow(_csv_row("entry", row))
        for section, by in (("total_party", "party"), ("total_reason", "reason_code"), ("total_state", "state")):
            for total in self.totals(by):
                cells = {"section": section, by if by != "party" else "party": total.key, "currency": total.currency,
                         "amount": format(total.amount, "f"), "count": total.count}
                writer.writerow([cells.get(c, "") for c in CSV_COLUMNS])
        for row in self.not_confirmed:
            writer.writerow(_csv_row("not_confirmed", row))
        return out.getvalue()


def _csv_row(section: str, row: Row) -> list[Any]:
    cells = {**asdict(row), "section": section, "amount": format(row.amount, "f"), "count": 1}
    return [cells.get(c, "") for c in CSV_COLUMNS]


def build_report(session: Session, *, first: date | None = None, last: date | None = None,
                 tenant: str | None = None) -> Report:
    report = Report(first, last, tenant)
    start = datetime.combine(first, time.min, tzinfo=UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC) if last else None
    cases: dict[int, RefundCase] = {}
    for posting, payload in _postings(session, tenant, start, end):
        case = cases.get(posting.case_revision_id)
        if case is None:
            case = cases[posting.case_revision_id] = RefundCase.model_validate_json(payload)
        party, amount = party_share(case, posting.party_key)
        row = Row(tenant=posting.tenant, case_id=posting.case_id, role=posting.role,
                  document_type=posting.document_type, remote_id=posting.remote_id,
                  party=party.name if party else posting.party_name, reason_code=case.reason_code,
                  state=posting.state, currency=case.currency, amount=amount if amount is not None else Decimal(0),
                  detail=_detail(posting))
        if posting.role == DocumentRole.CREDIT.value:
            report.rows.append(row)
        if posting.state != PostingState.CONFIRMED.value:
            report.not_confirmed.append(row)
    report.runs = _runs(session, tenant, start, end)
    return report


def _postings(session: Session, tenant: str | None, start: datetime | None, end: datetime | None
              ) -> Iterator[tuple[Posting, str]]:
    query = _within(select(Posting, CaseRevision.payload)
                    .join(CaseRevision, CaseRevision.id == Posting.case_revision_id).where(Posting.state.in_(CHECKED)),
                    Posting.tenant, Posting.posted_at, tenant, start, end)
    rows = session.execute(query.order_by(Posting.tenant, Posting.case_id, Posting.id))
    yield from ((posting, payload) for posting, payload in rows)


_Query = TypeVar("_Query", bound=Select)


def _within(query: _Query, tenant_column: Any, time_column: Any, tenant: str | None, start: datetime | None,
            end: datetime | None) -> _Query:
    """The report's filters: one tenant, and a [start, end) range of ``time_column``."""
    if tenant:
        query = query.where(tenant_column == tenant)
    if start:
        query = query.where(time_column >= start)
    if end:
        query = query.where(time_column < end)
    return query


def _detail(posting: Posting) -> str:
    if posting.state == PostingState.CONFIRMED.value:
        return ""
    if posting.state == PostingState.POSTED.value:
        return "not yet checked by back-sync"
    return posting.reason or posting.state


def _runs(session: Session, tenant: str | None, start: datetime | None, end: datetime | None
          ) -> list[dict[str, Any]]:
    query = _within(select(ReconciliationRun), ReconciliationRun.tenant, ReconciliationRun.started_at, tenant, start,
                    end)
    runs: list[dict[str, Any]] = []
    for run in session.scalars(query.order_by(ReconciliationRun.started_at)):
        runs.append({"id": run.id, "tenant": run.tenant, "kind": run.kind, "started_at": run.started_at.isoformat(),
                        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                        "range_from": run.range_from.isoformat() if run.range_from else None,
                        "range_to": run.range_to.isoformat() if run.range_to else None,
                        "documents_seen": run.documents_seen, "counts": json.loads(run.counts or "{}"),
                        "outcome": run.outcome, "error": run.error})
    return runs
