"""Counters the connectors keep: API calls by provider and HTTP status, limiter waits, token refreshes.

They are recorded only in a process whose worker exports metrics: `refundsync worker` with
``REFUNDSYNC_METRICS_PORT`` sets ``PROMETHEUS_MULTIPROC_DIR`` before anything imports prometheus_client,
and every pool process then writes its counts to its own file there (prometheus_client's multiprocess
mode, needed because Celery's prefork pool runs the tasks in forked children). Everywhere else (the CLI,
tests, the demo's producer) each call returns at once and prometheus_client is never imported, so the
hot paths pay one environment lookup.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import httpx

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


@lru_cache(maxsize=1)
def _counters() -> dict[str, Any]:
    from prometheus_client import Counter

    return {
        "api": Counter("refundsync_api_calls", "HTTP requests answered by a provider, by provider and status.",
                       ["provider", "status"]),
        "waits": Counter("refundsync_limiter_waits", "Requests that waited for the fleet-wide limiter.",
                         ["provider"]),
        "wait_seconds": Counter("refundsync_limiter_wait_seconds", "Seconds requests waited for the limiter.",
                                ["provider"]),
        "refreshes": Counter("refundsync_token_refreshes", "OAuth token refreshes by outcome (ok, failed).",
                             ["provider", "outcome"]),
    }


def api_call(provider: str, status: int) -> None:
    if enabled():
        _counters()["api"].labels(provider, str(status)).inc()


def limiter_wait(scope_key: str, seconds: float) -> None:
    """A request that had to wait ``seconds`` for a slot (``scope_key`` starts with the provider)."""
    if enabled() and seconds > 0:
        provider = scope_key.split(":", 1)[0]
        _counters()["waits"].labels(provider).inc()
        _counters()["wait_seconds"].labels(provider).inc(seconds)


def token_refresh(provider: str, ok: bool) -> None:
    if enabled():
        _counters()["refreshes"].labels(provider, "ok" if ok else "failed").inc()


def httpx_hooks(provider: str) -> dict[str, list[Any]]:
    """``event_hooks`` for an httpx client: every answer counted by its status (the body is not read)."""

    def on_response(response: httpx.Response) -> None:
        api_call(provider, response.status_code)

    return {"response": [on_response]}
