"""Putting cases on the queue: for Python callers (`submit_case`) and for files (`refundsync enqueue`)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mapping.case import RefundCase
from mapping.validation import FieldError


def case_message(case: RefundCase | Mapping[str, Any]) -> Any:
    """The task argument for a case: its canonical form (amounts as exact strings), or the raw mapping."""
    if isinstance(case, RefundCase):
        return json.loads(case.canonical_json())
    return dict(case)


def submit_case(case: RefundCase | Mapping[str, Any]) -> str:
    """Queue one closed case for intake; returns the Celery task id.

    A mapping is sent as it is and validated by the worker (an invalid one is stored as rejected).
    """
    from sync.tasks import case_closed

    return str(case_closed.apply_async(args=[case_message(case)]).id)


class Publisher:
    """Publishes many messages over one broker connection (what `enqueue` uses for large files)."""

    def __init__(self, producer: Any):
        self._producer = producer

    def case(self, case: RefundCase | Mapping[str, Any]) -> str:
        from sync.tasks import case_closed

        return str(case_closed.apply_async(args=[case_message(case)], producer=self._producer).id)

    def rejection(self, payload: Any, errors: list[FieldError], source: str) -> str:
        from sync.tasks import input_rejected

        result = input_rejected.apply_async(args=[payload, [e.as_dict() for e in errors], source],
                                            producer=self._producer)
        return str(result.id)


@contextmanager
def publisher() -> Iterator[Publisher]:
    from sync.celery_app import app

    with app.producer_or_acquire() as producer:
        yield Publisher(producer)
