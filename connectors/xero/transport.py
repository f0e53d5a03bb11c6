"""The HTTP layer under xero-python's ApiClient: httpx instead of the SDK's own urllib3 client.

xero-python builds every request (URL, ``xero-tenant-id``, ``Idempotency-Key``, ``summarizeErrors``,
``where``, ``If-Modified-Since``, the bearer header) and hands it to ``ApiClient.rest_client``. Its own
``RESTClientObject`` cannot do the job properly, so :class:`HttpxTransport` replaces it (httpx directly,
on purpose):

* **Duplicates.** The SDK's urllib3 ``PoolManager`` keeps urllib3's default ``Retry(3)``, and PUT is on
  urllib3's idempotent list: when a connection drops after Xero committed a batch, urllib3 silently sends
  it again (the sandbox README shows the duplicate credit note). Here nothing is ever re-sent below the
  engine: a lost answer surfaces as :attr:`Transport.DROPPED`, and every write also carries an
  ``Idempotency-Key``.
* **Timeouts.** The SDK sends without any timeout unless each call passes ``_request_timeout``, and then
  only an ``int`` or a 2-tuple counts (a float such as 2.5 is silently dropped). A hung Xero would hang
  the worker. Here every request has the configured timeout.
* **Exact money.** The SDK serialises a ``Decimal`` with ``float(value)`` and then ``json.dumps``. Bodies
  here are :class:`ExactJson`, which the SDK's serializer passes through untouched, written by
  :func:`mapping.wire.dumps`: the amount's own digits, and a float anywhere is refused.

Non-2xx answers are raised as xero-python's ``HTTPStatusException`` (as its own client does), so the
SDK's per-call exception translation keeps working; the caller reads the body itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from xero_python.api_client.serializer import serialize
from xero_python.exceptions import HTTPStatusException

from connectors import metrics
from connectors.errors import Transport
from connectors.xero import wire


class ExactJson:
    """A request body the SDK must not touch: serialised by us, Decimals exact."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


def _pass_through(value: ExactJson, explicit_type: str | None = None) -> ExactJson:
    return value


# xero-python dispatches serialisation on the *type name*; a name of our own changes nothing for any
# other caller of the SDK in this process (Decimal keeps its float serialiser for them).
serialize.register(ExactJson.__name__, _pass_through)


class Reply:
    """An HTTP answer in the shape xero-python's exceptions read (``status``, ``data``, ``getheaders``)."""

    def __init__(self, status: int, reason: str, data: bytes, headers: Mapping[str, str]):
        self.status = status
        self.reason = reason
        self.data = data
        self.headers = httpx.Headers(headers)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    def getheaders(self) -> httpx.Headers:
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def json(self) -> Any:
        return wire.loads(self.data) if self.data.strip() else None


class TransportFailure(Exception):
    """No (complete) HTTP answer; ``kind`` says whether the request may have landed."""

    def __init__(self, kind: Transport, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def encode_body(body: Any) -> bytes | None:
    if body is None:
        return None
    value = body.value if isinstance(body, ExactJson) else body
    return wire.dumps(value).encode("utf-8")


def encode_query(params: Sequence[tuple[str, Any]] | Mapping[str, Any] | None
                 ) -> list[tuple[str, str | int | float | bool | None]]:
    """Query values as Xero documents them: booleans lower-case (``summarizeErrors=false``)."""
    items = params.items() if isinstance(params, Mapping) else (params or [])
    out: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in items:
        if isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, list | tuple):
            out.append((key, ",".join(str(v) for v in value)))
        else:
            out.append((key, str(value)))
    return out


class HttpxTransport:
    """Drop-in for ``xero_python.rest.RESTClientObject``: same method names and arguments."""

    def __init__(self, timeout: float, client: httpx.Client | None = None):
        self.timeout = timeout
        # retries=0: httpx never re-sends a request on its own (the engine decides, after a lookup).
        self.client = client or httpx.Client(transport=httpx.HTTPTransport(retries=0), timeout=timeout,
                                             event_hooks=metrics.httpx_hooks("xero"))

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, url: str, query_params: Any = None, headers: Mapping[str, str] | None = None,
                body: Any = None, post_params: Any = None, _preload_content: bool = True,
                _request_timeout: Any = None) -> Reply:
        if post_params:
            raise ValueError("form posts go to the token endpoint through connectors.oauth, never through the SDK")
        content = encode_body(body)
        sent_headers = dict(headers or {})
        if content is not None:
            sent_headers["Content-Type"] = "application/json; charset=utf-8"
        else:
            sent_headers.pop("Content-Type", None)
        try:
            response = self.client.request(method, url, params=encode_query(query_params), headers=sent_headers,
                                           content=content, timeout=self._timeout(_request_timeout))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransportFailure(Transport.CONNECT, _describe(exc)) from None
        except (httpx.ReadTimeout, httpx.WriteTimeout) as exc:
            raise TransportFailure(Transport.TIMEOUT, _describe(exc)) from None
        except httpx.TransportError as exc:  # RemoteProtocolError, ReadError, WriteError: the answer was lost
            raise TransportFailure(Transport.DROPPED, _describe(exc)) from None
        reply = Reply(response.status_code, response.reason_phrase, response.content, response.headers)
        if not 200 <= reply.status <= 299:
            raise HTTPStatusException(http_resp=reply)
        return reply

    def _timeout(self, requested: Any) -> httpx.Timeout:
        if isinstance(requested, tuple) and len(requested) == 2:
            return httpx.Timeout(self.timeout, connect=float(requested[0]), read=float(requested[1]))
        if isinstance(requested, int | float) and requested > 0:
            return httpx.Timeout(float(requested))
        return httpx.Timeout(self.timeout)

    # The SDK's ApiClient calls these by name.
    def GET(self, url: str, headers: Any = None, query_params: Any = None, _preload_content: bool = True,
            _request_timeout: Any = None) -> Reply:
        return self.request("GET", url, query_params, headers, _request_timeout=_request_timeout)

    def HEAD(self, url: str, headers: Any = None, query_params: Any = None, _preload_content: bool = True,
             _request_timeout: Any = None) -> Reply:
        return self.request("HEAD", url, query_params, headers, _request_timeout=_request_timeout)

    def OPTIONS(self, url: str, headers: Any = None, query_params: Any = None, post_params: Any = None,
                body: Any = None, _preload_content: bool = True, _request_timeout: Any = None) -> Reply:
        return self.request("OPTIONS", url, query_params, headers, body, post_params,
                            _request_timeout=_request_timeout)

    def DELETE(self, url: str, headers: Any = None, query_params: Any = None, body: Any = None,
               _preload_content: bool = True, _request_timeout: Any = None) -> Reply:
        return self.request("DELETE", url, query_params, headers, body, _request_timeout=_request_timeout)

    def POST(self, url: str, headers: Any = None, query_params: Any = None, post_params: Any = None,
             body: Any = None, _preload_content: bool = True, _request_timeout: Any = None) -> Reply:
        return self.request("POST", url, query_params, headers, body, post_params, _request_timeout=_request_timeout)

    def PUT(self, url: str, headers: Any = None, query_params: Any = None, post_params: Any = None,
            body: Any = None, _preload_content: bool = True, _request_timeout: Any = None) -> Reply:
        return self.request("PUT", url, query_params, headers, body, post_params, _request_timeout=_request_timeout)

    def PATCH(self, url: str, headers: Any = None, query_params: Any = None, post_params: Any = None,
              body: Any = None, _preload_content: bool = True, _request_timeout: Any = None) -> Reply:
        return self.request("PATCH", url, query_params, headers, body, post_params,
                            _request_timeout=_request_timeout)


def _describe(exc: Exception) -> str:
    """The failure in words, without the request (URLs and headers stay out of error texts)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
