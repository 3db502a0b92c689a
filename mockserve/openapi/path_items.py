"""A concrete path answers for its own methods only, as OpenAPI matches path items first.

OpenAPI picks the path item before the method: `POST /pet/findByStatus` is a request
to the path `/pet/findByStatus`, which has no `post`, so the answer is 405, even though
the templated `/pet/{petId}` has one. mockserve's routes are method+path (a templated
route catches any method its concrete sibling lacks, as in WireMock), so the
conversion writes that answer as routes of its own: for each concrete path that a
templated one overlaps, one route answering the missing methods with 405 and `Allow`,
and one answering `OPTIONS` with `Allow` listing the path's own methods. An imported
spec holds the same routes, so it serves the same answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Any

from .terms import METHODS

_SEND_ONLY = {"head", "options"}  # answered for every path: never "missing"
_MOST_LITERALS = 12  # literal segments looked at, at most: 2**12 shapes


def path_item_routes(routes: list[dict[str, Any]], names: set[str]) -> list[dict[str, Any]]:
    """The 405 and OPTIONS routes for the concrete paths that templated ones overlap."""
    # A path's shape: its segments, a whole parameter as None. Paths that differ only in
    # parameter names (`/a/{id}`, `/a/{slug}`) are one URL set: their methods add up.
    by_shape: dict[tuple[str | None, ...], set[str]] = {}
    written: dict[tuple[str | None, ...], str] = {}  # the first path of each shape
    for route in routes:
        shape = _shape(route["path"].split("/"))
        by_shape.setdefault(shape, set()).add(str(route["method"]).lower())
        written.setdefault(shape, route["path"])
    added: list[dict[str, Any]] = []
    for shape, own in by_shape.items():
        path = written[shape]
        missing: set[str] = set()
        for wider in _wider_shapes(path.split("/")):
            missing |= by_shape.get(wider, set()) - own - _SEND_ONLY
        if not missing:
            continue
        allow = _allow(own)
        wrong = [m.upper() for m in METHODS if m in missing]
        added.append(
            {
                "name": _unique(f"{','.join(wrong)} {path} (not declared)", names),
                "method": wrong,
                "path": path,
                "response": {
                    "status": 405,
                    "headers": {"Allow": allow},
                    "json": {
                        "error": "{{ request.method }} is not allowed on {{ request.path }}; "
                        f"use {allow}",
                        "route": None,
                        "errors": [],
                    },
                },
            }
        )
        if "options" not in own:
            added.append(
                {
                    "name": _unique(f"OPTIONS {path} (allowed methods)", names),
                    "method": "OPTIONS",
                    "path": path,
                    "response": {"status": 200, "headers": {"Allow": allow}},
                }
            )
    return added


def _shape(segments: list[str]) -> tuple[str | None, ...]:
    return tuple(None if _is_parameter(segment) else segment for segment in segments)


def _wider_shapes(segments: list[str]) -> Iterator[tuple[str | None, ...]]:
    """The shapes of the paths that match every URL of this one, and more.

    Each has a parameter where this path has literal text, at one segment or more.
    """
    shape = _shape(segments)
    literal = [i for i, part in enumerate(shape) if part and "{" not in part][:_MOST_LITERALS]
    for count in range(1, len(literal) + 1):
        for chosen in combinations(literal, count):
            wider = list(shape)
            for index in chosen:
                wider[index] = None
            yield tuple(wider)


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}") and segment.count("{") == 1


def _allow(own: set[str]) -> str:
    allowed = {m.upper() for m in own} | {"OPTIONS"}
    if "get" in own:
        allowed.add("HEAD")
    return ", ".join(sorted(allowed))


def _unique(name: str, names: set[str]) -> str:
    while name in names:
        name += "'"
    names.add(name)
    return name
