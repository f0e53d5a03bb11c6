"""The change feed of one realm: change data capture, and a query where CDC cannot reach.

- ``GET cdc?entities=A,B&changedSince=T`` answers every object of those entities changed after ``T``,
  deletions included (``"status": "Deleted"`` stubs), at most 1,000 objects across all entities, and
  only for ``T`` within the last 30 days (fault 6000 beyond).
- Beyond 30 days: ``SELECT * FROM E WHERE MetaData.LastUpdatedTime > 'T'``, paged. A query cannot see
  deleted objects, so back-sync learns of older deletions only by reading the document itself.
- A full CDC answer may have been cut off: each entity is then read again on its own, advancing
  ``changedSince`` to the latest change seen, and anything already reported is skipped.
- Memory stays flat however many objects changed: query rows are consumed page by page, and what has
  been reported is remembered only for the last second read (an object changed before ``changedSince``
  cannot come back), so back-sync over 100,000 documents holds one page at a time.

``T`` is always written with its UTC offset (:func:`connectors.quickbooks.query.timestamp`):
python-quickbooks' ``change_data_capture`` formats a datetime without one, which Intuit reads in the
company's time zone, hours away from what was meant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.protocol import RemoteChange
from connectors.quickbooks.provider import QuickBooksProvider
from connectors.quickbooks.query import Condition, timestamp
from connectors.quickbooks.reading import deleted_document, remote_document
from connectors.quickbooks.reading import timestamp as read_time

#: entities, changedSince text -> the CDC answer
CdcCall = Callable[[Sequence[str], str], dict[str, Any]]
#: entity, conditions, order-by field -> every row, read page by page
QueryAll = Callable[[str, Sequence[Condition], str], Iterable[dict[str, Any]]]


class CdcWindowExceeded(Exception):
    """Intuit refused ``changedSince`` as too old (fault 6000 on changedSince)."""


def _cdc_items(answer: dict[str, Any], types: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {t: [] for t in types}
    for block in answer.get("CDCResponse") or []:
        for response in block.get("QueryResponse") or []:
            for type_ in types:
                for item in response.get(type_) or []:
                    if isinstance(item, dict) and item.get("Id") is not None:
                        found[type_].append(item)
    return found


def _change(type_: str, item: dict[str, Any], provider: QuickBooksProvider) -> RemoteChange:
    if str(item.get("status", "")).lower() == "deleted":
        document = deleted_document(type_, item)
    else:
        document = remote_document(type_, item, provider)
    return RemoteChange(document, document.updated_at)


def _key(type_: str, item: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = item.get("MetaData") or {}
    return type_, str(item.get("Id")), str(item.get("SyncToken", "")), str(item.get("status") or meta.get(
        "LastUpdatedTime", ""))


def _latest(items: list[dict[str, Any]], fallback: datetime) -> datetime:
    times = [t for t in (read_time((i.get("MetaData") or {}).get("LastUpdatedTime")) for i in items) if t]
    return max(times, default=fallback)


class ChangeFeed:
    """Changes of some entity types since a moment, through injected CDC and query calls."""

    def __init__(self, provider: QuickBooksProvider, cdc: CdcCall, query_all: QueryAll, minute_seconds: float,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.provider = provider
        self.cdc = cdc
        self.query_all = query_all
        self.minute_seconds = minute_seconds
        self.now = now

    def window_start(self) -> datetime:
        """The oldest ``changedSince`` CDC accepts (provider days, time-compressed like every limit)."""
        return self.now() - timedelta(seconds=self.provider.cdc_days * 1440 * self.minute_seconds)

    def changes(self, types: Sequence[str], since: datetime) -> Iterator[RemoteChange]:
        for type_ in types:
            self.provider.document(type_)
        timestamp(since)  # refuses a naive datetime before any call
        if not types:
            return
        if since < self.window_start():
            yield from self._by_query(types, since)
            return
        try:
            found = _cdc_items(self.cdc(types, timestamp(since)), types)
        except CdcWindowExceeded:
            yield from self._by_query(types, since)
            return
        seen: set[tuple[str, str, str, str]] = set()
        for type_ in types:
            for item in found[type_]:
                seen.add(_key(type_, item))
                yield _change(type_, item, self.provider)
        if sum(len(items) for items in found.values()) >= self.provider.cdc_max_objects:
            for type_ in types:  # the answer may have been cut off: read each entity to its end
                yield from self._one_entity(type_, since, seen)

    def _one_entity(self, type_: str, since: datetime, seen: set[tuple[str, str, str, str]]
                    ) -> Iterator[RemoteChange]:
        cursor = since
        while True:
            items = _cdc_items(self.cdc([type_], timestamp(cursor)), [type_])[type_]
            fresh = [i for i in items if _key(type_, i) not in seen]
            for item in fresh:
                seen.add(_key(type_, item))
                yield _change(type_, item, self.provider)
            if len(items) < self.provider.cdc_max_objects:
                return
            latest = _latest(items, cursor)
            if latest <= cursor:
                # a full page of changes within one second: CDC cannot page past it; the query can
                for row in self.query_all(type_, [Condition("MetaData.LastUpdatedTime", ">=", cursor)],
                                          "MetaData.LastUpdatedTime"):
                    if _key(type_, row) not in seen:
                        seen.add(_key(type_, row))
                        yield _change(type_, row, self.provider)
                return
            cursor = latest
            # of this entity, only what changed at ``latest`` itself can be answered again
            keep = {_key(type_, i) for i in items if _latest([i], cursor) >= cursor}
            seen.difference_update([k for k in seen if k[0] == type_ and k not in keep])

    def _by_query(self, types: Sequence[str], since: datetime) -> Iterator[RemoteChange]:
        for type_ in types:
            for row in self.query_all(type_, [Condition("MetaData.LastUpdatedTime", ">", since)],
                                      "MetaData.LastUpdatedTime"):
                yield _change(type_, row, self.provider)
