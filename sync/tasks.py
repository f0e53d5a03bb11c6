"""Celery tasks. Tasks take plain data or ids, never objects: the ledger is the truth and is re-read."""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from config.settings import get_settings
from mapping.validation import FieldError
from sync import outbox
from sync.celery_app import app
from sync.intake import receive, reject
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
    with session_scope(settings.database_url) as session:
        outcome = receive(session, payload, source=f"queue {self.request.id}", max_bytes=settings.max_case_bytes)
    _outbox_done(self.request.id)
    log.info("case received", case_id=outcome.case_id, revision=outcome.revision, result=outcome.result.value,
             reason=outcome.reason)
    return outcome.as_dict()


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
    with session_scope(settings.database_url) as session:
        outcome = reject(session, payload, [FieldError(e["field"], e["message"]) for e in errors], source=source)
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
