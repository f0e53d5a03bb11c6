"""The intake outbox: a message is remembered in Redis until its case is in the ledger.

Why: Celery's Redis transport takes a message off the queue (BRPOP) and only afterwards records it as
unacknowledged. A worker killed with kill -9 between the two loses that message for good: acks_late
cannot help, because Redis no longer has it anywhere. So producers write every intake message here
*before* publishing it; the intake task removes it *after* its ledger commit; and a sweeper in every
worker re-publishes what stayed too long. Re-publishing is safe because intake is idempotent (the same
case and revision is a no-op), so the worst a sweep can cause is a harmless duplicate.

When is an entry "lost" rather than merely waiting? Only once the intake queue is empty, and the entry
is older than the visibility timeout plus the task time limit: by then a message that was merely
unacknowledged would have been put back on the queue by Redis and processed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from redis import Redis

from sync.logs import get_logger

INDEX = "refundsync:outbox:index"  # ZSET task id -> time recorded (Redis clock, seconds)
PAYLOADS = "refundsync:outbox:payloads"  # HASH task id -> JSON [task name, args]
SWEEP_LOCK = "refundsync:outbox:sweep-lock"
INTAKE_QUEUE = "intake"

log = get_logger("refundsync.outbox")


def _redis_now(client: Redis) -> float:
    seconds, micros = client.time()
    return float(seconds) + micros / 1e6


def record(client: Redis, entries: Sequence[tuple[str, str, list[Any]]]) -> None:
    """Remember (task id, task name, args) entries in one round trip, before they are published."""
    if not entries:
        return
    now = _redis_now(client)
    pipe = client.pipeline(transaction=True)
    pipe.zadd(INDEX, {task_id: now for task_id, _, _ in entries})
    pipe.hset(PAYLOADS, mapping={task_id: json.dumps([name, args], ensure_ascii=False)
                                 for task_id, name, args in entries})
    pipe.execute()


def done(client: Redis, task_id: str) -> None:
    """The message's effect is committed in the ledger: forget it."""
    pipe = client.pipeline(transaction=True)
    pipe.zrem(INDEX, task_id)
    pipe.hdel(PAYLOADS, task_id)
    pipe.execute()


def outstanding(client: Redis) -> int:
    return int(client.zcard(INDEX))


def lost_entries(client: Redis, older_than: float, limit: int = 500) -> list[tuple[str, str, list[Any]]]:
    """Entries older than ``older_than`` seconds, provided the intake queue is empty (see module doc)."""
    if client.llen(INTAKE_QUEUE) > 0:
        return []
    ceiling = _redis_now(client) - older_than
    ids = [i.decode() if isinstance(i, bytes) else str(i)
           for i in client.zrangebyscore(INDEX, "-inf", ceiling, start=0, num=limit)]
    if not ids:
        return []
    found = []
    for task_id, raw in zip(ids, client.hmget(PAYLOADS, ids), strict=True):
        if raw is None:
            client.zrem(INDEX, task_id)
            continue
        name, args = json.loads(raw)
        found.append((task_id, str(name), list(args)))
    return found


def sweep(client: Redis, older_than: float, republish: Any) -> int:
    """Re-publish lost entries with ``republish(task_id, name, args)``; returns how many."""
    if not client.set(SWEEP_LOCK, "1", nx=True, ex=max(1, int(older_than))):
        return 0  # another worker is sweeping
    try:
        entries = lost_entries(client, older_than)
        if entries:
            now = _redis_now(client)
            client.zadd(INDEX, {task_id: now for task_id, _, _ in entries})  # once per period at most
        for task_id, name, args in entries:
            republish(task_id, name, args)
        if entries:
            log.warning("re-published intake messages lost in transit", count=len(entries))
        return len(entries)
    finally:
        client.delete(SWEEP_LOCK)


class Sweeper(threading.Thread):
    """Runs :func:`sweep` every ``interval`` seconds in a worker's main process."""

    def __init__(self, client: Redis, older_than: float, interval: float, republish: Any):
        super().__init__(name="refundsync-outbox-sweeper", daemon=True)
        self.client = client
        self.older_than = older_than
        self.interval = interval
        self.republish = republish
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                sweep(self.client, self.older_than, self.republish)
            except Exception as exc:  # a sweep must never take the worker down; the next one retries
                log.warning("outbox sweep failed", error=f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self.stopped.set()


