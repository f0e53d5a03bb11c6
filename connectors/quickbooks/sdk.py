"""python-quickbooks' ``QuickBooks`` client, sending through refundsync's transport instead of requests.

What the SDK does properly is kept: endpoint URLs (``/v3/company/<realm>/<entity>``, ``query``, ``cdc``,
``batch``), ``minorversion`` on every call, ``requestid`` on creates and deletes, the void parameters
per entity (``VoidMixin``), and JSON parsing with ``parse_float=Decimal``. Only ``process_request`` (the
one method that touches the network) is replaced, so the SDK never sees a failed answer: the transport
has already read and classified it (see :mod:`connectors.quickbooks.transport`).

Bodies are handed to the SDK as UTF-8 bytes written by :func:`mapping.wire.dumps` (Decimals as JSON
number tokens); the SDK's own ``to_json`` would write them as strings and add defaults such as an empty
DocNumber. requests would also encode a ``str`` body as Latin-1, which fails on 深圳市 or サクラ.
"""

from __future__ import annotations

from typing import Any

import httpx
from quickbooks import QuickBooks

from connectors.quickbooks.transport import QboTransport


class TransportQuickBooks(QuickBooks):
    """The SDK client of one realm; construct with :func:`sdk_client`."""

    transport: QboTransport

    def process_request(self, request_type: str, url: str, headers: Any = "", params: Any = "",
                        data: Any = "") -> httpx.Response:
        if isinstance(data, bytes):
            content: bytes | None = data or None
        elif isinstance(data, str):
            content = data.encode("utf-8") if data else None
        else:  # the SDK passes {} when there is no body
            content = None
        path = url.split("?", 1)[0].rstrip("/")
        write = request_type.upper() != "GET" and not path.endswith("/query")
        return self.transport.request(request_type.upper(), url, params=dict(params or {}),
                                      headers=dict(headers or {}), content=content, write=write,
                                      batch=path.endswith("/batch"))


def sdk_client(transport: QboTransport, realm_id: str, api_root: str, minor_version: int) -> TransportQuickBooks:
    """A per-realm SDK client; no ``auth_client`` (intuitlib would fetch a discovery document and refresh
    tokens on its own, without the fleet-wide lock)."""
    client: TransportQuickBooks = TransportQuickBooks(company_id=realm_id, minorversion=minor_version,
                                                      use_decimal=True)
    client.transport = transport
    client.api_url_v3 = api_root
    client.sandbox = False
    return client
