"""What templates see of a request: plain data, never anything to compile."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Request
from werkzeug.datastructures import Headers

from .contract import ParsedBody

_MISSING = object()


class HeaderMap(Mapping):
    """Request headers whose lookups ignore case (`headers.authorization`).

    A view over the request's own headers: nothing is copied unless a template asks.
    """

    def __init__(self, headers: Headers, typed: dict[str, Any] | None = None):
        self._headers = headers
        # Values the route's header contract converted (`integer`: 3, not "3"), by lower name.
        self._typed = {name.lower(): value for name, value in typed.items()} if typed else None

    def __getitem__(self, name: str) -> Any:
        if self._typed is not None:
            value = self._typed.get(name.lower(), _MISSING)
            if value is not _MISSING:
                return value
        return self._headers[name]

    def __iter__(self) -> Iterator[str]:
        return (name.lower() for name, _ in self._headers.items())

    def __len__(self) -> int:
        return len(self._headers)


@dataclass(frozen=True)
class RequestView:
    """`request` in templates."""

    method: str
    path: str
    headers: HeaderMap
    query: dict[str, Any]
    cookies: dict[str, str]
    body: str
    json: Any
    # Templates cannot reach it: the sandbox refuses names that start with `_`.
    _request: Request = field(repr=False, compare=False)

    @property
    def url(self) -> str:
        """The full URL, worked out only when a template asks (it costs more than the rest)."""
        return self._request.url


def query_dict(request: Request) -> dict[str, Any]:
    """Query parameters as strings; a parameter given twice becomes a list."""
    if not request.environ.get("QUERY_STRING"):
        return {}
    return {key: (items[0] if len(items) == 1 else items) for key, items in request.args.lists()}


def build_context(
    request: Request,
    *,
    path_values: dict[str, Any],
    query: dict[str, Any],
    body: ParsedBody,
    state: Mapping[str, Any],
    resources: Mapping[str, Any],
    helpers: dict[str, Any],
    typed_headers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The names a template can use while answering `request`."""
    headers = HeaderMap(request.headers, typed_headers)
    cookies = dict(request.cookies) if "HTTP_COOKIE" in request.environ else {}
    view = RequestView(
        method=request.method,
        path=request.path,
        headers=headers,
        query=query,
        cookies=cookies,
        body=body.text,
        json=body.json,
        _request=request,
    )
    return {
        **helpers,
        "request": view,
        "path": path_values,
        "query": query,
        "headers": headers,
        "cookies": cookies,
        "body": body.value,
        "state": state,
        "resources": resources,
    }
