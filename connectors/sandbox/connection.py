"""Losing a response on purpose: close the client's connection after the write has been committed.

This is the failure that makes integrations post twice: the provider stored the document, but the
client never heard back. To reproduce it the server must send *nothing* - no status line, no error
page - and close the socket, so the client sees "connection closed without response".

ASGI has no message for that, so the outermost layer of the app keeps uvicorn's own ``send`` callable
in the scope (``sandbox.raw_send``). Uvicorn's ``send`` is a bound method of its request-response
cycle, which owns the transport; closing that transport and waiting until uvicorn has noticed makes
uvicorn skip its usual "500 Internal Server Error" for an app that did not answer. On a server without
such a transport, the fallback sends the status line and headers and then aborts mid-body, which
clients also report as a broken connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

RAW_SEND_KEY = "sandbox.raw_send"


def keep_raw_send(scope: MutableMapping[str, Any], send: Any) -> None:
    scope[RAW_SEND_KEY] = send


async def drop_connection(scope: MutableMapping[str, Any]) -> None:
    """Close the connection without a response. Returns once the server has seen it closed."""
    send = scope.get(RAW_SEND_KEY)
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(cycle, "disconnected"):
        transport.close()
        for _ in range(200):  # connection_lost runs on a later loop iteration
            if getattr(cycle, "disconnected", False):
                return
            await asyncio.sleep(0.005)
        return
    if send is None:
        raise RuntimeError("drop_connection needs the server's send callable in the scope")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise ConnectionAbortedError("response dropped on purpose (sandbox fault)")


class DroppedResponse:
    """An ASGI response that sends nothing (the connection is already closed)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        return None
