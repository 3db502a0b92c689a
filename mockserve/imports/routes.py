"""Merge the entries a reader found into routes: one route per method and path.

Two stubs at the same method and path are one mockserve route (two would be a spec
error): their answers become that route's `when` branches, in the source's order
(lower `priority` first), and an answer after one that always applies is reported as
unreachable rather than written.
"""

from __future__ import annotations

import re
from typing import Any

from .common import Dropped, Entry, Imported

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")


def _shape(path: str) -> str:
    """The path with parameter names left out: what makes two routes the same."""
    return _PARAM.sub(lambda m: "{:" + (m.group(2) or "") + "}", path)


def _rename(value: Any, names: dict[str, str]) -> Any:
    """Rewrite `path.OLD` to `path.NEW` in conditions and templates of a merged entry."""
    if not names:
        return value
    if isinstance(value, str):
        for old, new in names.items():
            value = re.sub(rf"\bpath\.{re.escape(old)}\b", f"path.{new}", value)
        return value
    if isinstance(value, dict):
        return {k: _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    return value


def build_routes(entries: list[Entry], imported: Imported) -> list[dict[str, Any]]:
    """Routes for `entries`, in the order their paths first appear; drops go to `imported`."""
    groups: dict[str, list[Entry]] = {}
    first_seen: dict[int, int] = {id(entry): index for index, entry in enumerate(entries)}
    for entry in entries:
        groups.setdefault(_shape(entry.path), []).append(entry)
    routes: list[tuple[int, dict[str, Any]]] = []
    names: set[str] = set()
    for group in groups.values():
        first_path = group[0].path
        wanted = [m.group(1) for m in _PARAM.finditer(first_path)]
        for entry in group[1:]:
            own = [m.group(1) for m in _PARAM.finditer(entry.path)]
            renames = {o: w for o, w in zip(own, wanted, strict=False) if o != w}
            entry.when = _rename(entry.when, renames)
            entry.response = _rename(entry.response, renames)
            entry.path = first_path
        methods: list[str] = []
        for entry in group:
            methods.extend(m for m in entry.methods if m not in methods)
        by_entries: dict[tuple[int, ...], list[str]] = {}
        for method in methods:
            picked = [i for i, e in enumerate(group) if method in e.methods]
            picked.sort(key=lambda i: group[i].priority)  # stable: source order within one
            by_entries.setdefault(tuple(picked), []).append(method)
        for chosen, route_methods in by_entries.items():
            route = _route([group[i] for i in chosen], route_methods, imported)
            routes.append((min(first_seen[id(group[i])] for i in chosen), route))
    routes.sort(key=lambda pair: pair[0])  # the source's order, by each route's first entry
    for _, route in routes:
        route["name"] = _unique(route["name"], names)
    return [route for _, route in routes]


def _unique(name: str, taken: set[str]) -> str:
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{name} ({count})"
    taken.add(candidate)
    return candidate


def _route(entries: list[Entry], methods: list[str], imported: Imported) -> dict[str, Any]:
    first = entries[0]
    route: dict[str, Any] = {
        "name": first.name,
        "method": methods[0] if len(methods) == 1 else methods,
        "path": first.path,
    }
    route.update(first.route_keys)
    for entry in entries[1:]:
        if entry.route_keys and entry.route_keys != first.route_keys:
            imported.dropped.append(
                Dropped(*entry.where, "its request contract: the route keeps the first one's")
            )
    if len(entries) == 1 and first.fault:
        route["faults"] = [{"rate": 1, "kind": first.fault}]
    if len(entries) == 1 and first.answers:
        route["responses"] = first.answers
        imported.comments[id(route)] = first.origin
        return route
    responses: list[dict[str, Any]] = []
    origins: list[str] = []
    settled = False
    for entry in entries:
        if settled:
            imported.dropped.append(
                Dropped(*entry.where, "unreachable: an earlier answer on this route always applies")
            )
            continue
        if entry.fault and len(entries) > 1:
            imported.dropped.append(
                Dropped(*entry.where, f"fault {entry.fault}: shares its route with other answers")
            )
        answer = dict(entry.response)
        if entry.when:
            answer = {"when": entry.when, **answer}
        else:
            settled = True
        responses.append(answer)
        if entry.origin not in origins:
            origins.append(entry.origin)
    if len(responses) == 1 and "when" not in responses[0]:
        route["response"] = responses[0]
    else:
        route["responses"] = responses
    imported.comments[id(route)] = "; ".join(origins)
    return route
