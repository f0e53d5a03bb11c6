"""Celery tasks. Tasks take plain data or ids, never objects: the ledger is the truth and is re-read."""

from __future__ import annotations

from typing import Any

import structlog
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from config.settings import get_settings
from mapping.validation import FieldError
from sync import outbox
from sync.celery_app import app
from sync.engine.schedule import DEBOUNCE_SECONDS, countdown_until, should_schedule
from sync.engine.schedule import clear as clear_scheduled
from sync.intake import IntakeResult, receive, reject
from sync.ledger.db import session_scope
from sync.logs import get_logger
from sync.redis_client import coordination_redis

log = get_logger("refundsync.intake")
_settings = get_settings()


@app.task(
    name="refundsync.case_closed",
    bind=True,
    autoretry_for=(DBAPIError,),
    retry_backoff=1,
    retry_backoff_max=_settings.max_retry_countdown,
    retry_jitter=True,
    max_retries=30,
)
def case_closed(self: Any, payload: Any) -> dict[str, Any]:
    """A case closed in the case log: store it (or its rejection) durably, then acknowledge.

    Bad input never raises: it is stored as rejected. Only a database failure raises, and then the task
    is retried (the message is acknowledged only once a retry message has been published).
    """
    settings = get_settings()
    with structlog.contextvars.bound_contextvars(**_case_context(payload)):
        with session_scope(settings.database_url) as session:
            outcome = receive(session, payload, source=f"queue {self.request.id}",
                              max_bytes=settings.max_case_bytes)
        _outbox_done(self.request.id)
        if settings.auto_post and outcome.result is IntakeResult.STORED and outcome.tenant:
            schedule_flush(outcome.tenant)
        log.info("case received", case_id=outcome.case_id, tenant=outcome.tenant, revision=outcome.revision,
                 result=outcome.result.value, reason=outcome.reason)
    return outcome.as_dict()


def _case_context(payload: Any) -> dict[str, str]:
    """case_id and tenant for every log line about this message, as far as the (unvalidated) payload says."""
    if not isinstance(payload, dict):
        return {}
    return {k: v for k in ("case_id", "tenant") if isinstance(v := payload.get(k), str)}


@app.task(
    name="refundsync.input_rejected",
    bind=True,
    autoretry_for=(DBAPIError,),
    retry_backoff=1,
    retry_backoff_max=_settings.max_retry_countdown,
    retry_jitter=True,
    max_retries=30,
)
def input_rejected(self: Any, payload: Any, errors: list[dict[str, str]], source: str) -> dict[str, Any]:
    """A producer found a record invalid before queueing it (e.g. CSV rows that disagree): keep it anyway."""
    settings = get_settings()
    with structlog.contextvars.bound_contextvars(**_case_context(payload)):
        with session_scope(settings.database_url) as session:
            outcome = reject(session, payload, [FieldError(e["field"], e["message"]) for e in errors],
                             source=source)
        _outbox_done(self.request.id)
        log.info("input rejected", case_id=outcome.case_id, reason=outcome.reason, source=source)
    return outcome.as_dict()


def _outbox_done(task_id: str | None) -> None:
    """After the commit: forget the outbox entry. If Redis is away, a sweep re-sends a harmless duplicate."""
    if not task_id:
        return
    try:
        outbox.done(coordination_redis(), task_id)
    except RedisError as exc:
        log.warning("outbox entry not cleared; a duplicate may be re-sent and ignored", task_id=task_id,
                    error=f"{type(exc).__name__}: {exc}")


# --- posting --------------------------------------------------------------------------------------


def schedule_flush(tenant: str, countdown: float = DEBOUNCE_SECONDS) -> bool:
    """Ask for a flush of ``tenant`` (debounced: one pending flush per tenant at a time)."""
    if not should_schedule(coordination_redis(), tenant, countdown):
        return False
    flush_tenant.apply_async(args=[tenant], countdown=countdown)
    return True


@app.task(name="refundsync.flush_tenant", bind=True)
def flush_tenant(self: Any, tenant: str) -> dict[str, Any]:
    """Post what is due for one tenant; schedule the next flush when a retry falls due."""
    from sync.engine.claims import next_due_at
    from sync.engine.flush import flush_tenant as run_flush
    from sync.engine.runtime import engine_deps

    deps = engine_deps()
    clear_scheduled(deps.redis, tenant)
    settings = get_settings()
    report = None
    structlog.contextvars.bind_contextvars(tenant=tenant)  # every line of this flush; unbound below
    try:
        report = run_flush(deps, tenant)
    finally:
        # Whatever happened (even the task's time limit), the next flush is booked when work remains.
        if report is None or not report.locked_out:
            with deps.sessions() as session:
                due = report.next_due if report is not None else next_due_at(session, tenant, deps.clock())
            countdown = countdown_until(due, deps.clock(), cap=float(settings.max_retry_countdown))
            if countdown is not None:
                schedule_flush(tenant, max(countdown, DEBOUNCE_SECONDS))
        structlog.contextvars.unbind_contextvars("tenant")
    return {"tenant": tenant, "locked_out": report.locked_out, "claimed": report.claimed, **report.counts}


@app.task(name="refundsync.flush_due")
def flush_due() -> list[str]:
    """Safety net (beat): every tenant with something due gets a flush."""
    from sync.engine.claims import tenants_with_due
    from sync.ledger.models import utcnow

    settings = get_settings()
    with session_scope(settings.database_url) as session:
        tenants = tenants_with_due(session, utcnow())
    return [t for t in tenants if schedule_flush(t, 0)]


# --- back-sync ------------------------------------------------------------------------------------


@app.task(name="refundsync.backsync_tenant")
def backsync_tenant(tenant: str) -> dict[str, Any]:
    """Pull one tenant's changes and record what matches the books (single-flight per tenant)."""
    from sync.backsync.run import BacksyncFailed
    from sync.backsync.run import backsync_tenant as run_backsync
    from sync.engine.runtime import engine_deps

    try:
        result = run_backsync(engine_deps(), tenant)
    except BacksyncFailed as exc:  # recorded on the run; the next scheduled run tries again
        return {"tenant": tenant, "error": exc.reason}
    if result.reposted and get_settings().auto_post:
        schedule_flush(tenant, 0)
    return result.as_dict()


@app.task(name="refundsync.backsync_due")
def backsync_due() -> list[str]:
    """Beat: enqueue a back-sync for every tenant whose interval (tenants file) has passed."""
    from sync.backsync.schedule import claim_due
    from sync.engine.runtime import engine_deps

    deps = engine_deps()
    due = claim_due(deps.redis, deps.tenants())
    for tenant in due:
        backsync_tenant.apply_async(args=[tenant])
    return due
