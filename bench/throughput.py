"""Posting throughput per provider: the engine against the provider's ceiling and a naive script.

    .venv/bin/python bench/throughput.py [--quick] [--provider xero|quickbooks|both] [--minutes 3]
                                         [--minute-seconds 30] [--load 1.0] [--naive-minutes 2]

For each provider, one tenant: cases are published at ``--load`` x the provider's ceiling for
``--minutes`` provider minutes to a real worker (2 processes), which posts them into the local sandbox
enforcing the providers' real limits. Time is compressed: a provider "minute" lasts ``--minute-seconds``
real seconds, for the sandbox and for our limiter (REFUNDSYNC_LIMIT_MINUTE_SECONDS) alike, and every
figure is reported in provider-minute units (what it would be against the real API, where a minute is 60 s).

Printed per provider:
- sustained cases/min: credits posted per minute between the end of the first minute and the end of the
  feed (the warm-up minute is left out), and the whole run's rate (last case posted);
- API calls per case (every request the sandbox received for the tenant, reads included) and 429s;
- p50 / p95 latency from case closed (published) to posted (the ledger's posted_at), provider seconds;
- the ceiling: Xero 60 calls/min x 50 credit notes a request = 3,000 cases/min; QuickBooks: a /batch
  request holds 30 operations and counts against both the 500 requests/min and the /batch requests/min
  budget (config/limits.py: 40), so the binding limit is 40 x 30 = 1,200 cases/min;
- a naive baseline on a second company of the same provider with the same limits: one SDK call per case,
  sequential (python-quickbooks ``VendorCredit.save()``, xero-python ``create_credit_notes`` with one
  note), waiting Retry-After on a 429 (QuickBooks sends none: one minute, Intuit's advice);
- ratios engine / ceiling and engine / naive. Targets: >= 90% of the ceiling, no 429, >= 20x naive on Xero.

Every case is a single credit (no cash refund, no original document), so one case is one document and
the ceiling is comparable. Nothing is asserted: the script prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import select  # noqa: E402

from config.limits import DEFAULT_LIMITS  # noqa: E402
from connectors.quickbooks.provider import QUICKBOOKS  # noqa: E402
from connectors.sandbox.client import SandboxAdmin  # noqa: E402
from connectors.xero.provider import XERO  # noqa: E402
from sync.ledger.db import session_factory, session_scope, upgrade  # noqa: E402
from sync.ledger.models import Posting  # noqa: E402
from sync.ledger.token_store import LedgerTokenStore  # noqa: E402
from tests.support.factories import make_case  # noqa: E402
from tests.support.fleet import SECOND_COMPANIES, connect_fleet, fleet_tenants, second_companies_seed  # noqa: E402
from tests.support.processes import WorkerProcess, refundsync_env, wait_until  # noqa: E402
from tests.support.servers import free_port, redis_server  # noqa: E402

ENGINE_TENANT = {"xero": "demo-xero", "quickbooks": "demo-qbo"}
NAIVE_TENANT = {provider: next(n for n, (src, _) in SECOND_COMPANIES.items() if src == ENGINE_TENANT[provider])
                for provider in ENGINE_TENANT}
COMPANY_ID = {"demo-xero": "6f1c2a4e-8b3d-4e5f-9a7b-2c1d0e9f8a71", "demo-qbo": "9130355377389516",
              **{name: key for name, (_, key) in SECOND_COMPANIES.items()}}


def ceiling(provider: str) -> tuple[float, str]:
    """Cases (= documents) a minute the provider lets one tenant create, and how it is derived."""
    limits = DEFAULT_LIMITS[provider]
    if provider == "xero":
        size = XERO.batch_size
        return float(limits.per_minute * size), f"{limits.per_minute} calls/min x {size} credit notes"
    size = QUICKBOOKS.batch_size
    batches = min(limits.per_minute, limits.batch_per_minute or limits.per_minute)
    return float(batches * size), f"min({limits.per_minute} req, {limits.batch_per_minute} /batch)/min x {size} ops"


@dataclass
class EngineRun:
    cases: int
    sustained: float  # cases per provider minute, steady window
    overall: float  # cases per provider minute, first publish to last posted
    calls_per_case: float
    throttled: int
    p50: float  # provider seconds
    p95: float
    worker_cpu_ms: float  # the worker's CPU (intake + posting, every process) per case, real milliseconds
    calls: Counter[str] = field(default_factory=Counter)


@dataclass
class NaiveRun:
    cases: int
    rate: float  # cases per provider minute
    throttled: int


# --- the sandbox, in a process of its own so that it never competes with the feed for the GIL ---------


class SandboxProcess:
    def __init__(self, minute_seconds: float, log: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sync.cli", "sandbox", "--port", str(self.port), "--minute-seconds",
             str(minute_seconds)], cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.admin = SandboxAdmin(self.base_url)

        def healthy() -> bool:
            try:
                self.admin.health()
                return True
            except Exception:
                return False

        wait_until(healthy, timeout=30, what="sandbox up")

    def stop(self) -> None:
        self.admin.close()
        self.process.terminate()
        self.process.wait(10)
        self._log.close()


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of every live process in a process group, from /proc (Linux; 0 elsewhere)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after the command: state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.0


# --- the engine ------------------------------------------------------------------------------------


def bench_case(i: int, tenant: str, prefix: str) -> dict[str, Any]:
    """A single-credit case (no cash refund, no original document): one case, one document."""
    return make_case(i, tenant=tenant, prefix=prefix, payment=None, original_document=None)


def run_engine(provider: str, url: str, sandbox: SandboxProcess, minute: float, minutes: float, load: float,
               worker_pgid: int) -> EngineRun:
    from sync.producer import publisher

    tenant = ENGINE_TENANT[provider]
    top, _ = ceiling(provider)
    per_second = top * load / minute
    total = int(per_second * minutes * minute)
    prefix = f"TP{provider[0].upper()}-"
    cases = [bench_case(i, tenant, prefix) for i in range(1, total + 1)]
    published: dict[str, float] = {}
    first_seq = sandbox.admin.last_request_seq()

    def feed() -> None:
        """Publish on a steady schedule, a tick every 50 ms (what is due by then goes out at once)."""
        sent = 0
        with publisher() as pub:
            while sent < total:
                due = min(total, int((time.time() - started) * per_second) + 1)
                for case in cases[sent:due]:
                    pub.case(case)
                pub.flush()
                now = time.time()
                for case in cases[sent:due]:
                    published[case["case_id"]] = now
                sent = due
                time.sleep(max(0.0, 0.05 - (time.time() - now)))

    cpu_before = group_cpu_seconds(worker_pgid)
    started = time.time()
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    feeder.join()
    feed_end = time.time()

    def posted_times() -> dict[str, float]:
        with session_scope(url) as s:
            rows = s.execute(select(Posting.case_id, Posting.posted_at).where(
                Posting.tenant == tenant, Posting.role == "credit", Posting.case_id.like(f"{prefix}%"),
                Posting.posted_at.is_not(None))).all()
        return {r.case_id: r.posted_at.timestamp() for r in rows}

    wait_until(lambda: len(posted_times()) >= total, timeout=max(120.0, 6 * minute), interval=0.5,
               what=f"{total} {provider} cases posted")
    posted = posted_times()
    worker_cpu = group_cpu_seconds(worker_pgid) - cpu_before
    window_start = started + minute
    in_window = sum(1 for t in posted.values() if window_start <= t <= feed_end)
    sustained = in_window / ((feed_end - window_start) / minute)
    overall = total / ((max(posted.values()) - started) / minute)
    latencies = sorted((posted[c] - published[c]) * 60.0 / minute for c in posted)
    requests = [r for r in sandbox.admin.requests(company=COMPANY_ID[tenant], since=first_seq)
                if r["provider"] == provider]
    calls = Counter(f"{r['method']} {r['path'].rsplit('/', 1)[-1]}" for r in requests)
    throttled = sum(1 for r in requests if r.get("outcome") == "throttled")
    return EngineRun(total, sustained, overall, len(requests) / total, throttled,
                     statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))],
                     1000 * worker_cpu / total, calls)


# --- the naive script ------------------------------------------------------------------------------


def run_naive(provider: str, sandbox: SandboxProcess, minute: float, minutes: float) -> NaiveRun:
    """One SDK call per case, one after the other, for a warm-up minute and then ``minutes`` provider minutes.

    The rate is read from the sandbox's request log, between the first and the last 429 after the warm-up:
    the provider's windows are fixed minutes, and each 429 marks a window whose budget the script used up,
    so the span between two of them holds whole windows (a span chosen by the clock would catch one window's
    burst twice or not at all). Without two 429s (a script too slow to reach the limit) it is the plain rate.
    xero-python's urllib3 waits out a 429's Retry-After and retries by itself, so the script never sees
    Xero's 429s; the request log counts them."""
    tenant = NAIVE_TENANT[provider]
    tokens = sandbox.admin.issue_tokens(tenant)
    send = _naive_quickbooks(sandbox.base_url, tokens, minute) if provider == "quickbooks" else _naive_xero(
        sandbox.base_url, tokens)
    first_seq = sandbox.admin.last_request_seq()
    started = time.time()
    deadline = started + (1 + minutes) * minute
    i = 0
    while time.time() < deadline:
        i += 1
        wait = send(bench_case(i, tenant, "NV-"))
        if wait is not None:
            time.sleep(min(wait, max(0.0, deadline - time.time())))
    elapsed = time.time() - started
    requests = [r for r in sandbox.admin.requests(company=COMPANY_ID[tenant], since=first_seq)
                if r["provider"] == provider]
    ok = [float(r["started"]) for r in requests if r["outcome"] == "ok"]
    refused = [float(r["started"]) for r in requests if r["outcome"] == "throttled"]
    after_warm_up = [t for t in refused if ok and t >= ok[0] + minute]
    if len(after_warm_up) >= 2 and after_warm_up[-1] - after_warm_up[0] >= minute / 2:
        first, last = after_warm_up[0], after_warm_up[-1]
        rate = sum(1 for t in ok if first < t < last) / ((last - first) / minute)
    else:
        rate = len(ok) / (elapsed / minute)
    return NaiveRun(len(ok), rate, len(refused))


def _naive_xero(base_url: str, tokens: Any) -> Any:
    from xero_python.accounting import Contact, CreditNote, CreditNotes, LineAmountTypes, LineItem
    from xero_python.exceptions import RateLimitException

    from connectors.sandbox.sdk_clients import XeroClients

    xero = XeroClients(base_url, tokens)
    supplier = "7b1d5c3a-0e2f-4d6b-8a9c-1f2e3d4c5b01"  # a supplier of the seed: no party look-up at all

    def send(case: dict[str, Any]) -> float | None:
        note = CreditNote(type="ACCPAYCREDIT", contact=Contact(contact_id=supplier), date=date(2026, 11, 20),
                          status="AUTHORISED", reference=case["case_id"], line_amount_types=LineAmountTypes.NOTAX,
                          line_items=[LineItem(description=f"refund {case['case_id']}", quantity=Decimal("1"),
                                               unit_amount=Decimal(case["amount"]), account_code="310")])
        try:
            xero.accounting.create_credit_notes(xero.tenant_id, CreditNotes(credit_notes=[note]))
        except RateLimitException as exc:
            return float(exc.headers.get("Retry-After") or 1)
        return None

    return send


def _naive_quickbooks(base_url: str, tokens: Any, minute: float) -> Any:
    from quickbooks.exceptions import QuickbooksException
    from quickbooks.objects.base import Ref
    from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
    from quickbooks.objects.vendorcredit import VendorCredit

    from connectors.sandbox.sdk_clients import quickbooks_client

    qb = quickbooks_client(base_url, tokens)

    def ref(value: str) -> Ref:
        r = Ref()
        r.value = value
        return r

    def send(case: dict[str, Any]) -> float | None:
        credit = VendorCredit()
        credit.VendorRef = ref("56")
        credit.DocNumber = case["case_id"]
        line = AccountBasedExpenseLine()
        line.Amount = Decimal(case["amount"])
        line.Description = f"refund {case['case_id']}"
        line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
        line.AccountBasedExpenseLineDetail.AccountRef = ref("91")
        credit.Line = [line]
        try:
            credit.save(qb=qb)
        except QuickbooksException:
            # python-quickbooks reads Intuit's XML 429 as "Error reading json response": a hand-written
            # script sees an error and waits a minute, as Intuit advises.
            return minute
        return None

    return send


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=["xero", "quickbooks", "both"], default="both")
    parser.add_argument("--minutes", type=float, default=3.0, help="provider minutes of feed per provider")
    parser.add_argument("--minute-seconds", type=float, default=30.0,
                        help="real seconds per provider minute (the feed is ceiling x load / this, per second: "
                             "too short a minute makes the run CPU-bound on a small machine)")
    parser.add_argument("--load", type=float, default=1.0, help="feed rate as a fraction of the ceiling")
    parser.add_argument("--naive-minutes", type=float, default=2.0,
                        help="provider minutes of the naive run (after a warm-up minute)")
    parser.add_argument("--quick", action="store_true", help="a short run: 2 minutes of feed, 1 naive")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.naive_minutes = 2.0, 1.0
    minute = args.minute_seconds
    providers = ["xero", "quickbooks"] if args.provider == "both" else [args.provider]

    engine: dict[str, EngineRun] = {}
    naive: dict[str, NaiveRun] = {}
    with tempfile.TemporaryDirectory(prefix="refundsync-throughput-") as tmp, redis_server() as redis:
        workdir = Path(tmp)
        sandbox = SandboxProcess(minute, workdir / "sandbox.log")
        worker = None
        try:
            sandbox.admin.seed(second_companies_seed())
            url = f"sqlite:///{workdir / 'ledger.db'}"
            upgrade(url)
            key = Fernet.generate_key().decode()
            tenants = fleet_tenants(sandbox.base_url, workdir / "tenants.yaml")
            connect_fleet(sandbox, LedgerTokenStore(session_factory(url), key))
            env = refundsync_env(
                broker_url=redis.url, database_url=url, tenants_file=str(tenants), token_key=key,
                xero_client_id="sandbox-xero-client", xero_client_secret="sandbox-xero-secret",
                quickbooks_client_id="sandbox-qbo-client", quickbooks_client_secret="sandbox-qbo-secret",
                limit_minute_seconds=minute, log_level="WARNING")
            os.environ.update({k: v for k, v in env.items() if k.startswith("REFUNDSYNC_")})
            worker = WorkerProcess(env, workdir / "worker.log", "--concurrency", "2", "--loglevel", "WARNING")
            worker.wait_ready()
            for provider in providers:
                engine[provider] = run_engine(provider, url, sandbox, minute, args.minutes, args.load,
                                              worker.process.pid)
                naive[provider] = run_naive(provider, sandbox, minute, args.naive_minutes)
        finally:
            if worker is not None:
                worker.stop()
            sandbox.stop()

    print(f"posting throughput: one tenant per provider, fed at {args.load:.0%} of the ceiling for "
          f"{args.minutes:g} provider minutes; a provider minute lasted {minute:g} s (figures in provider minutes)")
    print(f"{'provider':<11} {'cases':>6} {'sustained/min':>14} {'overall/min':>12} {'ceiling/min':>12} "
          f"{'vs ceiling':>11} {'calls/case':>11} {'429s':>5} {'p50 s':>7} {'p95 s':>7} {'naive/min':>10} "
          f"{'vs naive':>9}")
    for provider in providers:
        run, base = engine[provider], naive[provider]
        top, how = ceiling(provider)
        print(f"{provider:<11} {run.cases:>6} {run.sustained:>14,.0f} {run.overall:>12,.0f} {top:>12,.0f} "
              f"{run.sustained / top:>10.0%} {run.calls_per_case:>11.3f} {run.throttled:>5} {run.p50:>7.1f} "
              f"{run.p95:>7.1f} {base.rate:>10,.0f} {run.sustained / base.rate if base.rate else 0:>8.1f}x")
    for provider in providers:
        top, how = ceiling(provider)
        run, base = engine[provider], naive[provider]
        calls = ", ".join(f"{k} {v}" for k, v in run.calls.most_common())
        print(f"  {provider}: ceiling {how} = {top:,.0f}; engine calls: {calls}; worker CPU "
              f"{run.worker_cpu_ms:.1f} ms/case; naive: {base.cases} cases, {base.throttled} x 429")


if __name__ == "__main__":
    main()
