"""Putting cases on the queue: for Python callers (`submit_case`) and for files (`refundsync enqueue`).

Every message is written to the intake outbox (see sync.outbox) before it is published, so a message
the broker loses in transit is re-published by a worker instead of vanishing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mapping.case import RefundCase
from mapping.validation import FieldError

CASE_TASK = "refundsync.case_closed"
REJECTION_TASK = "refundsync.input_rejected"


def case_message(case: RefundCase | Mapping[str, Any]) -> Any:
    """The task argument for a case: its canonical form (amounts as exact strings), or the raw mapping."""
    if isinstance(case, RefundCase):
        return json.loads(case.canonical_json())
    return dict(case)


def submit_case(case: RefundCase | Mapping[str, Any]) -> str:
    """Queue one closed case for intake; returns the task id.

    A mapping is sent as it is and validated by the worker (an invalid one is stored as rejected).
    """
    with publisher() as pub:
        return pub.case(case)


class Publisher:
    """Publishes many messages over one broker connection, recording them in the outbox in chunks."""

    CHUNK = 200

    def __init__(self, producer: Any):
        self._producer = producer
        self._pending: list[tuple[str, str, list[Any]]] = []

    def case(self, case: RefundCase | Mapping[str, Any]) -> str:
        return self._add(CASE_TASK, [case_message(case)])

    def rejection(self, payload: Any, errors: list[FieldError], source: str) -> str:
        return self._add(REJECTION_TASK, [payload, [e.as_dict() for e in errors], source])

    def _add(self, name: str, args: list[Any]) -> str:
        task_id = str(uuid.uuid4())
        self._pending.append((task_id, name, args))
        if len(self._pending) >= self.CHUNK:
            self.flush()
        return task_id

    def flush(self) -> None:
        from sync import outbox
        from sync.celery_app import app
        from sync.redis_client import coordination_redis

        if not self._pending:
            return
        outbox.record(coordination_redis(), self._pending)
        for task_id, name, args in self._pending:
            app.send_task(name, args=args, task_id=task_id, producer=self._producer)
        self._pending.clear()


@contextmanager
def publisher() -> Iterator[Publisher]:
    from sync.celery_app import app

    with app.producer_or_acquire() as producer:
        pub = Publisher(producer)
        yield pub
        pub.flush()
