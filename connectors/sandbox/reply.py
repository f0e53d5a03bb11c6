"""What a handler answers, before the pipeline adds limit headers or decides to drop it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from connectors.sandbox import wire

JSON = "application/json;charset=UTF-8"
XML = "application/xml;charset=UTF-8"
TEXT = "text/plain; charset=utf-8"


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    written: list[tuple[str, str]] = field(default_factory=list)  # (entity, id) committed by this request

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, wire.dumps(data), JSON, dict(headers or {}))

    @classmethod
    def text(cls, status: int, text: str, content_type: str = TEXT) -> Reply:
        return cls(status, text, content_type)

    def response(self) -> Response:
        return Response(self.body, status_code=self.status, headers=self.headers, media_type=self.content_type)
