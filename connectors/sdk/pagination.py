"""How an ``HttpConnector``'s lists page, declared as its ``pagination``:
page numbers, offsets, an opaque cursor, RFC 8288 ``Link`` headers, or one
answer with everything (``Unpaged``). Each style's ``pages(...)`` yields one
list of entries per answer; values in an answer (a cursor, a total) are read
with ``connector.value_at`` (dotted paths unless a type reads them otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

__all__ = ["Cursor", "LinkHeader", "Offset", "PageNumber", "Unpaged", "dig"]


def dig(data, path: str | None, default=None):
    """``data["a"]["b"]`` for ``path`` "a.b"; ``default`` where the way ends."""
    if not path:
        return data
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return default
        data = data[part]
    return data


@dataclass(frozen=True)
class PageNumber:
    """``?page=1&per_page=100``, then 2, 3… until a short or empty page.

    Without ``size_param`` no size is sent; ``until_empty`` reads on past short
    pages (for servers that cap the size without saying so)."""

    page_param: str = "page"
    size_param: str | None = "per_page"
    size: int = 100
    first: int = 1
    items: str | None = None
    until_empty: bool = False

    def pages(self, connector, method, path, params, body, **options) -> Iterator[list]:
        page = self.first
        while True:
            query = {**params, self.page_param: page}
            if self.size_param:
                query[self.size_param] = self.size
            response = connector.request(
                method, path, params=query, json=body, **options
            )
            entries = connector.entries_of(response, self.items)
            yield entries
            if not entries or (not self.until_empty and len(entries) < self.size):
                return
            page += 1


@dataclass(frozen=True)
class Offset:
    """``?startAt=0&maxResults=100``; ``total`` (dotted) when the answer says it.

    ``first`` is the first offset (1 for SCIM's ``startIndex``); ``until_empty``
    reads on past short pages."""

    offset_param: str = "startAt"
    size_param: str = "maxResults"
    size: int = 100
    items: str | None = None
    total: str | None = None
    first: int = 0
    until_empty: bool = False

    def pages(self, connector, method, path, params, body, **options) -> Iterator[list]:
        offset = self.first
        while True:
            query = {**params, self.offset_param: offset, self.size_param: self.size}
            response = connector.request(
                method, path, params=query, json=body, **options
            )
            entries = connector.entries_of(response, self.items)
            yield entries
            offset += len(entries)
            total = connector.value_at(response, self.total) if self.total else None
            # ``total`` counts entries; ``offset`` began at ``first``.
            if not entries or (total is not None and offset - self.first >= int(total)):
                return
            if total is None and not self.until_empty and len(entries) < self.size:
                return


@dataclass(frozen=True)
class Cursor:
    """An opaque cursor read from each answer (``next``, dotted) and sent back
    as ``param`` — in the query, or in the JSON body for search endpoints."""

    param: str = "after"
    next: str = "paging.next.after"
    items: str | None = "results"
    size_param: str | None = "limit"
    size: int = 100
    in_body: bool = False

    def pages(self, connector, method, path, params, body, **options) -> Iterator[list]:
        cursor = None
        while True:
            query, payload = dict(params), dict(body) if body is not None else None
            place = payload if self.in_body and payload is not None else query
            if self.size_param:
                place[self.size_param] = self.size
            if cursor is not None:
                place[self.param] = cursor
            response = connector.request(
                method, path, params=query, json=payload, **options
            )
            yield connector.entries_of(response, self.items)
            cursor = connector.value_at(response, self.next)
            if cursor in (None, "", False):
                return


@dataclass(frozen=True)
class LinkHeader:
    """RFC 8288 ``Link: <…>; rel="next"`` (GitHub, GitLab); without
    ``size_param`` no size is sent."""

    size_param: str | None = "per_page"
    size: int = 100
    items: str | None = None

    def pages(self, connector, method, path, params, body, **options) -> Iterator[list]:
        url, query = path, dict(params)
        if self.size_param:
            query[self.size_param] = self.size
        while True:
            response = connector.request(
                method, url, params=query, json=body, **options
            )
            yield connector.entries_of(response, self.items)
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            url, query = urljoin(response.url, following), {}


@dataclass(frozen=True)
class Unpaged:
    """One answer holds the whole list."""

    items: str | None = None

    def pages(self, connector, method, path, params, body, **options) -> Iterator[list]:
        response = connector.request(method, path, params=params, json=body, **options)
        yield connector.entries_of(response, self.items)
