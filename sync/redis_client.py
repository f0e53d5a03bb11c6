"""The coordination Redis (limits, locks, outbox): one client per process, safe across fork."""

from __future__ import annotations

from functools import lru_cache

from redis import Redis

from config.settings import get_settings


@lru_cache(maxsize=4)
def redis_for(url: str) -> Redis:
    # redis-py's pool notices a fork (pid change) and opens fresh connections in the child.
    return Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)


def coordination_redis() -> Redis:
    return redis_for(get_settings().coordination_url)
