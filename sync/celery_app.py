"""The Celery application: Redis broker, JSON only, late acknowledgement, named queues.

Messages are acknowledged after the task returns (``acks_late``) and put back if the worker process
dies (``task_reject_on_worker_lost``). With Redis, an unacknowledged message comes back after the
*visibility timeout*; if that is shorter than a task can run, or than a retry countdown (Redis holds
ETA tasks unacknowledged), the message is delivered twice while the first delivery is still alive. So
the three values are checked together before a worker starts.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, signals
from kombu import Exchange, Queue

from config.errors import ConfigError, ConfigProblem
from config.settings import Settings, get_settings

QUEUES = ("intake", "post", "backsync", "ops")
#: Seconds of slack between the longest a message can legitimately stay unacknowledged and redelivery.
VISIBILITY_MARGIN = 5


def check_timeouts(settings: Settings) -> None:
    """Refuse a configuration under which Redis would redeliver a message that is still being worked on."""
    problems = []
    need = max(settings.task_time_limit, settings.max_retry_countdown) + VISIBILITY_MARGIN
    if settings.visibility_timeout < need:
        longest = ("task time limit" if settings.task_time_limit >= settings.max_retry_countdown
                   else "longest retry countdown")
        problems.append(ConfigProblem(
            field="REFUNDSYNC_VISIBILITY_TIMEOUT", value=settings.visibility_timeout,
            message=f"must be at least {need} s: the {longest} is "
                    f"{max(settings.task_time_limit, settings.max_retry_countdown)} s, and a message still "
                    "unacknowledged after the visibility timeout is delivered a second time",
        ))
    if problems:
        raise ConfigError("environment (REFUNDSYNC_* variables or .env)", problems,
                          hint=f"raise REFUNDSYNC_VISIBILITY_TIMEOUT to {need} or more, or lower "
                               "REFUNDSYNC_TASK_TIME_LIMIT / REFUNDSYNC_MAX_RETRY_COUNTDOWN")


def make_app(settings: Settings) -> Celery:
    app = Celery("refundsync", broker=settings.broker_url, include=["sync.tasks"])
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        event_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=max(1, settings.task_time_limit - 5),
        worker_prefetch_multiplier=8,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            # How often a worker looks for messages whose consumer died (kill -9) to put them back:
            # a sixth of the visibility timeout, between 1 s and a minute, on every sweep.
            "unacked_restore_interval": max(1, min(60, settings.visibility_timeout // 6)),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        # Each queue has its own direct exchange and routing key: a message lands in exactly one queue.
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
        task_default_queue="ops",
        task_routes={
            "refundsync.case_closed": {"queue": "intake", "exchange": "intake", "routing_key": "intake"},
            "refundsync.input_rejected": {"queue": "intake", "exchange": "intake", "routing_key": "intake"},
            "refundsync.flush_tenant": {"queue": "post", "exchange": "post", "routing_key": "post"},
            "refundsync.flush_due": {"queue": "post", "exchange": "post", "routing_key": "post"},
            "refundsync.backsync_tenant": {"queue": "backsync", "exchange": "backsync", "routing_key": "backsync"},
            "refundsync.backsync_due": {"queue": "backsync", "exchange": "backsync", "routing_key": "backsync"},
        },
        beat_schedule={
            "flush-due": {"task": "refundsync.flush_due", "schedule": 30.0},
            # each tenant's own interval is kept by sync.backsync.schedule; this only looks for due tenants
            "backsync-due": {"task": "refundsync.backsync_due", "schedule": settings.backsync_check_seconds},
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
        timezone="UTC",
    )
    return app


app = make_app(get_settings())


@signals.worker_init.connect
def _refuse_bad_start(**_: Any) -> None:
    """A worker started any way (refundsync worker, celery -A ...) checks its configuration first."""
    from sync.ledger.db import LedgerNotMigrated, require_migrated

    settings = get_settings()
    try:
        check_timeouts(settings)
        require_migrated(settings.database_url)
    except (ConfigError, LedgerNotMigrated) as exc:
        import sys

        print(f"refundsync worker refuses to start:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


@signals.worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    """Forked pool processes must not share database connections with their parent."""
    from sync.ledger.db import engine_for

    engine_for.cache_clear()


_sweeper: Any = None


@signals.worker_ready.connect
def _start_outbox_sweeper(sender: Any = None, **_: Any) -> None:
    """Every worker re-sends intake messages the broker lost (see sync.outbox); one sweep at a time."""
    global _sweeper
    from sync import outbox
    from sync.redis_client import coordination_redis

    settings = get_settings()
    older_than = settings.visibility_timeout + settings.task_time_limit + VISIBILITY_MARGIN

    def republish(task_id: str, name: str, args: list[Any]) -> None:
        app.send_task(name, args=args, task_id=task_id)

    _sweeper = outbox.Sweeper(coordination_redis(), older_than=older_than,
                              interval=max(1, min(60, settings.visibility_timeout // 6)), republish=republish)
    _sweeper.start()


@signals.worker_shutdown.connect
def _stop_outbox_sweeper(**_: Any) -> None:
    if _sweeper is not None:
        _sweeper.stop()
