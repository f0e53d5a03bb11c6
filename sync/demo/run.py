"""The order of things in `refundsync demo`, and the clean-up that always follows.

1. reset ``./var/demo/`` (every run starts from nothing: a second run is the same as the first);
2. a broker: the configured ``REFUNDSYNC_BROKER_URL``, else an embedded ``redis-server``;
3. the ledger (SQLite, migrated), the sandbox (a child process) and the demo tenants file pointing at it;
4. tokens for both companies from the sandbox, stored encrypted through the ledger token store, exactly
   where `refundsync connect` would put them;
5. a worker and a beat process; the sample case log enqueued with `refundsync enqueue`;
6. progress until every sample case is settled, one back-sync per tenant (`refundsync backsync`) and the
   reconciliation totals, the table of every case, and what to try next.

Every process is a child in its own process group, stopped in a ``finally`` (Ctrl-C and SIGTERM included).
The demo's settings are written to ``var/demo/demo.env`` (mode 600: it holds the token key) so the commands
it suggests can be run against the same ledger afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.fernet import Fernet
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sync.demo.children import Child, Children, terminate_as_interrupt
from sync.demo.connect_sandbox import DEMO_TENANTS, connect_sandbox
from sync.demo.redis_server import find_redis_server, free_port, start_redis, wait_for_port
from sync.demo.sample import CaseStatus, Sample, case_statuses

TENANTS = DEMO_TENANTS
#: Real seconds per provider "minute", in the sandbox and in the limiter alike: rate windows and token
#: lifetimes run 6x faster, so a 429's wait lasts seconds, and the limits still hold in that time.
MINUTE_SECONDS = 10.0
SANDBOX_CLIENTS = {
    "QUICKBOOKS_CLIENT_ID": "sandbox-qbo-client", "QUICKBOOKS_CLIENT_SECRET": "sandbox-qbo-secret",
    "XERO_CLIENT_ID": "sandbox-xero-client", "XERO_CLIENT_SECRET": "sandbox-xero-secret",
}


@dataclass
class DemoOptions:
    workdir: Path
    timeout: float = 150.0
    keep_running: bool = False
    broker_url: str | None = None  # configured by the user; None: start an embedded Redis


@dataclass
class DemoResult:
    statuses: dict[str, CaseStatus]
    expected: dict[str, str]
    seconds: float

    @property
    def as_expected(self) -> bool:
        return all(self.statuses[c].state == state for c, state in self.expected.items())


def run_demo(options: DemoOptions, console: Console) -> DemoResult:
    started = time.monotonic()
    var = options.workdir / "var" / "demo"
    if var.exists():
        shutil.rmtree(var)
    var.mkdir(parents=True)
    sample = Sample.load()
    env = _base_env(var)
    children = Children(env, options.workdir)
    with terminate_as_interrupt():
        try:
            _start_everything(options, var, env, children, console)
            _enqueue(sample, env, options.workdir, var, console)
            _wait_settled(sample, env["REFUNDSYNC_DATABASE_URL"], children, options.timeout, console)
            _reconcile(env, options.workdir, var, console)
            statuses = case_statuses(env["REFUNDSYNC_DATABASE_URL"], list(sample.expected))
            result = DemoResult(statuses, sample.expected, time.monotonic() - started)
            print_table(result, console)
            _what_next(var, options.workdir, console, result)
            if options.keep_running:
                console.print("[bold]--keep-running:[/] the worker, beat, sandbox and Redis stay up; Ctrl-C stops "
                              "them.", highlight=False)
                _wait_forever(children)
            return result
        finally:
            children.stop_all()
            console.print("stopped the worker, beat, sandbox" + (" and Redis" if options.broker_url is None else ""),
                          highlight=False)


def _base_env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFUNDSYNC_")}
    env.update({
        "REFUNDSYNC_DATABASE_URL": f"sqlite:///{var / 'refundsync.db'}",
        "REFUNDSYNC_TENANTS_FILE": str(var / "tenants.yaml"),
        "REFUNDSYNC_TOKEN_KEY": Fernet.generate_key().decode(),
        "REFUNDSYNC_LIMIT_MINUTE_SECONDS": str(MINUTE_SECONDS),
        # short enough that a lost message comes back during the demo, long enough for every task and retry
        "REFUNDSYNC_TASK_TIME_LIMIT": "60",
        "REFUNDSYNC_MAX_RETRY_COUNTDOWN": "30",
        "REFUNDSYNC_VISIBILITY_TIMEOUT": "120",
        "REFUNDSYNC_LOG_LEVEL": os.environ.get("REFUNDSYNC_LOG_LEVEL", "INFO"),
        "REFUNDSYNC_LOG_FORMAT": os.environ.get("REFUNDSYNC_LOG_FORMAT", "console"),
        **{f"REFUNDSYNC_{k}": v for k, v in SANDBOX_CLIENTS.items()},
    })
    env.pop("REFUNDSYNC_METRICS_PORT", None)
    return env


def _start_everything(options: DemoOptions, var: Path, env: dict[str, str], children: Children,
                      console: Console) -> None:
    from sync.ledger.db import upgrade

    python = sys.executable
    if options.broker_url is None:
        binary, origin = find_redis_server()
        _, broker = start_redis(children, var / "redis")
        console.print(f"redis    {broker} (embedded: {binary}, from {origin})", highlight=False)
    else:
        broker = options.broker_url
        console.print(f"redis    {broker} (REFUNDSYNC_BROKER_URL)", highlight=False)
    env["REFUNDSYNC_BROKER_URL"] = broker

    url = env["REFUNDSYNC_DATABASE_URL"]
    upgrade(url)
    console.print(f"ledger   {url} (migrated)", highlight=False)

    port = free_port()
    sandbox = children.start("sandbox", [python, "-m", "sync.cli", "sandbox", "--port", str(port),
                                         "--minute-seconds", str(MINUTE_SECONDS)], var / "sandbox.log")
    wait_for_port(port, 30, sandbox)
    base_url = f"http://127.0.0.1:{port}"
    _write_tenants(Path(env["REFUNDSYNC_TENANTS_FILE"]), base_url)
    connect_sandbox(base_url, env["REFUNDSYNC_DATABASE_URL"], env["REFUNDSYNC_TOKEN_KEY"], TENANTS)
    console.print(f"sandbox  {base_url}: companies {', '.join(TENANTS)}, both connected (tokens encrypted "
                  "in the ledger)", highlight=False)

    _write_env_file(var / "demo.env", env)
    worker = children.start("worker", [python, "-m", "sync.cli", "worker", "--concurrency", "2", "--loglevel",
                                       "WARNING"], var / "worker.log")
    children.start("beat", [python, "-m", "celery", "-A", "sync.celery_app:app", "beat", "--loglevel", "WARNING",
                            "--schedule", str(var / "beat-schedule")], var / "beat.log")
    _wait_worker_ready(broker, worker)
    console.print(f"worker   2 processes, beat on; logs in {var.relative_to(options.workdir)}/", highlight=False)


def _write_tenants(path: Path, base_url: str) -> None:
    """config/tenants.example.yaml with both companies pointed at this run's sandbox."""
    from config.tenants import load_tenants

    example = Path(__file__).resolve().parents[2] / "config" / "tenants.example.yaml"
    raw = yaml.safe_load(example.read_text(encoding="utf-8"))
    for block in raw["tenants"].values():
        block["base_url"] = base_url
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_tenants(path)  # the demo's file is valid before any process reads it


def _write_env_file(path: Path, env: dict[str, str]) -> None:
    lines = [f"{k}={v}" for k, v in sorted(env.items()) if k.startswith("REFUNDSYNC_")]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# refundsync demo settings (holds the token key: keep it private)\n" + "\n".join(lines) + "\n")


def _wait_worker_ready(broker: str, worker: Child, timeout: float = 60.0) -> None:
    from celery import Celery

    probe = Celery(broker=broker)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not worker.alive():
                raise RuntimeError(f"the worker exited at start:\n{worker.tail()}")
            if probe.control.ping(timeout=0.5):
                return
        raise TimeoutError(f"the worker did not answer after {timeout} s:\n{worker.tail()}")
    finally:
        probe.close()


def _enqueue(sample: Sample, env: dict[str, str], workdir: Path, var: Path, console: Console) -> None:
    """`refundsync enqueue`, as a user would run it; the malformed row is reported and kept as rejected."""
    import subprocess

    result = subprocess.run([sys.executable, "-m", "sync.cli", "enqueue", str(sample.cases_csv), "--quiet"],
                            env={**env, "COLUMNS": "160"}, cwd=workdir, capture_output=True, text=True, timeout=120)
    (var / "enqueue.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    if result.returncode not in (0, 1):
        raise RuntimeError(f"refundsync enqueue failed ({result.returncode}):\n{result.stderr[-2000:]}")
    console.print(f"enqueue  {sample.cases_csv.name}: {summary}", highlight=False)
    for line in result.stderr.strip().splitlines():
        console.print(f"         {line}", highlight=False, soft_wrap=True)


def _wait_settled(sample: Sample, ledger_url: str, children: Children, timeout: float,
                  console: Console) -> dict[str, CaseStatus]:
    case_ids = list(sample.expected)
    deadline = time.monotonic() + timeout
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("settled", total=len(case_ids), counts="")
        while True:
            statuses = case_statuses(ledger_url, case_ids)
            counts = Counter(s.state for s in statuses.values())
            done = sum(1 for s in statuses.values() if s.settled)
            summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
            progress.update(bar, completed=done, counts=summary)
            if done == len(case_ids):
                return statuses
            dead = [c for c in children.started if not c.alive()]
            if dead:
                raise RuntimeError(f"the {dead[0].name} stopped unexpectedly:\n{dead[0].tail()}")
            if time.monotonic() > deadline:
                console.print(f"[yellow]not every case settled after {timeout:.0f} s[/]", highlight=False)
                return statuses
            time.sleep(0.5)


def _reconcile(env: dict[str, str], workdir: Path, var: Path, console: Console) -> None:
    """`refundsync backsync`, as an operator would run it: every posted entry is read back from the books and
    confirmed (or its drift reported); then the reconciliation totals per state from `refundsync report`.

    Run as the CLI rather than in-process so the demo shows exactly what a user gets, against the demo's own
    ledger, Redis and sandbox (all in ``env``).
    """
    import subprocess

    from sync.backsync.report import build_report
    from sync.ledger.db import session_scope

    result = subprocess.run([sys.executable, "-m", "sync.cli", "backsync"], env={**env, "COLUMNS": "160"},
                            cwd=workdir, capture_output=True, text=True, timeout=120)
    (var / "backsync.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        raise RuntimeError(f"refundsync backsync failed ({result.returncode}):\n{result.stderr[-2000:]}")
    for line in result.stdout.strip().splitlines():
        console.print(f"backsync {line}", highlight=False, soft_wrap=True)
    with session_scope(env["REFUNDSYNC_DATABASE_URL"]) as session:
        built = build_report(session)
    table = Table(title="reconciliation: entries by state", title_justify="left")
    for column, justify in (("state", "left"), ("currency", "left"), ("entries", "right"), ("amount", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for total in built.totals("state"):
        table.add_row(total.key, total.currency, str(total.count), format(total.amount, "f"))
    console.print(table)


def print_table(result: DemoResult, console: Console) -> None:
    table = Table(title=f"sample cases ({len(result.expected)}), after {result.seconds:.0f} s", title_justify="left")
    for name, kwargs in (("case", {"no_wrap": True}), ("tenant", {"no_wrap": True}), ("state", {"no_wrap": True}),
                         ("expected", {"no_wrap": True}), ("in the books / reason", {})):
        table.add_column(name, **kwargs)  # type: ignore[arg-type]
    for case_id, expected in sorted(result.expected.items()):
        status = result.statuses[case_id]
        ok = status.state == expected
        state = f"[green]{status.state}[/]" if ok else f"[bold red]{status.state}[/]"
        detail = _documents(status.documents) if status.state in ("posted", "confirmed") else (status.reason or "")
        table.add_row(case_id, status.tenant or "", state, expected if ok else f"[bold red]{expected}[/]", detail)
    console.print(table)
    matched = sum(1 for c, s in result.expected.items() if result.statuses[c].state == s)
    colour = "green" if result.as_expected else "red"
    console.print(f"[{colour}]{matched} of {len(result.expected)} cases in their expected state[/] "
                  f"({result.seconds:.0f} s)", highlight=False)


def _documents(types: list[str]) -> str:
    """``VendorCredit + Deposit`` for one party, ``3 VendorCredit + 3 Deposit`` for a three-vendor order."""
    counts = Counter(types)
    return " + ".join(name if n == 1 else f"{n} {name}" for name, n in counts.items())


def _what_next(var: Path, workdir: Path, console: Console, result: DemoResult) -> None:
    env_file = var.relative_to(workdir) / "demo.env"
    failed = sorted(c for c, s in result.statuses.items() if s.state == "failed")
    one = failed[0] if failed else next(iter(sorted(result.statuses)))
    cmd = _command(workdir)
    console.print(f"""
[bold]What to try next[/] (the demo's settings are in {env_file}; load them first):
  set -a; . {env_file}; set +a
  {cmd} status                 postings per state
  {cmd} failed                 what needs attention, grouped by reason, with the fix
  {cmd} show {one:<17} the case, its postings, every attempt, the ids in the books
  {cmd} retry --failed --dry-run   what a re-run would do (a re-run never duplicates)
Retrying for real needs the worker: run `{cmd} demo --keep-running` and retry from another terminal.""",
                  highlight=False, soft_wrap=True)


def _command(workdir: Path) -> str:
    """How the user can type `refundsync` here: the bare name when it is on PATH (an activated or installed
    environment), else the console script beside this Python (``.venv/bin/refundsync`` after scripts/demo)."""
    if shutil.which("refundsync"):
        return "refundsync"
    script = Path(sys.executable).parent / "refundsync"
    if not script.exists():
        return f"{sys.executable} -m sync.cli"
    try:
        return str(script.relative_to(workdir.resolve()))
    except ValueError:
        return str(script)


def _wait_forever(children: Children) -> None:
    while all(child.alive() for child in children.started):
        time.sleep(1.0)
    dead = next(c for c in children.started if not c.alive())
    raise RuntimeError(f"the {dead.name} stopped:\n{dead.tail()}")


