"""The outbox only re-sends what is really lost: old entries, and only once the intake queue is empty."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis

from sync import outbox
from tests.support.servers import RedisServer


@pytest.fixture
def client(redis_srv: RedisServer) -> Iterator[Redis]:
    c = Redis.from_url(redis_srv.url)
    c.flushall()
    yield c
    c.close()


def test_recent_entries_and_a_busy_queue_are_left_alone(client: Redis) -> None:
    outbox.record(client, [("a", "refundsync.case_closed", [{"case_id": "A"}])])
    sent: list[tuple[str, str, list[Any]]] = []
    assert outbox.sweep(client, older_than=0.5, republish=lambda *e: sent.append(e)) == 0  # too recent
    time.sleep(0.6)
    client.lpush(outbox.INTAKE_QUEUE, "a message still waiting")
    assert outbox.sweep(client, older_than=0.5, republish=lambda *e: sent.append(e)) == 0  # queue busy
    client.delete(outbox.INTAKE_QUEUE)
    assert outbox.sweep(client, older_than=0.5, republish=lambda *e: sent.append(e)) == 1
    assert sent == [("a", "refundsync.case_closed", [{"case_id": "A"}])]
    # re-sent entries wait a full period before the next re-send
    assert outbox.sweep(client, older_than=0.5, republish=lambda *e: sent.append(e)) == 0


def test_done_forgets_the_entry(client: Redis) -> None:
    outbox.record(client, [("a", "t", [1]), ("b", "t", [2])])
    outbox.done(client, "a")
    assert outbox.outstanding(client) == 1
    assert client.hkeys(outbox.PAYLOADS) == [b"b"]


def test_only_one_sweeper_at_a_time(client: Redis) -> None:
    outbox.record(client, [("a", "t", [1])])
    time.sleep(0.2)
    client.set(outbox.SWEEP_LOCK, "1")
    assert outbox.sweep(client, older_than=0.1, republish=lambda *e: None) == 0
