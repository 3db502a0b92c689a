"""A spec's `resources`: REST collections served from the items they are seeded with.

A resource claims its six routes (list, create, read, replace, update, delete) in
the same table as the spec's routes, so a route cannot shadow one of them unnoticed.
"""

from __future__ import annotations

from pathlib import Path

from .build import Build, Item
from .model import Resource
from .rules import resource_paths
from .source import SourceFile, parse_source


def compile_resource(build: Build, name: str, item: Item) -> Resource | None:
    """A resource's six routes claimed, its schema compiled and its items checked."""
    raw, source, at = item.data, item.source, item.path
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        return None
    path = raw["path"]
    key = raw.get("key", "id")
    validator = None
    if "schema" in raw and build.check_schema(source, at + ("schema",), raw["schema"]):
        validator = build.compiler.compile(raw["schema"])
    for method, route_path, _ in resource_paths(path, key):
        build.claim(source, at, f"{method} {route_path}", (method,), route_path, explicit=False)
    data = raw.get("data") or []
    data_at = at + ("data",)
    build.loader.warn_implicit_bools(source, data_at)
    if isinstance(data, dict) and "file" in data:
        target = build.loader.resolve_file(str(data["file"]), source, data_at + ("file",))
        data = []
        if target is not None:
            data = _data_file(build, source, data_at + ("file",), target)
    items = []
    seen_keys = set()
    for index, entry in enumerate(data if isinstance(data, list) else []):
        if not isinstance(entry, dict):
            build.problem(source, data_at + (index,), "a resource item must be an object")
            continue
        if key not in entry:
            build.problem(source, data_at + (index,), f"item has no key field {key!r}")
        elif str(entry[key]) in seen_keys:
            build.problem(source, data_at + (index, key), f"duplicate key {entry[key]!r}")
        else:
            seen_keys.add(str(entry[key]))
        if validator is not None:
            for error in validator.iter_errors(entry):
                build.problem(
                    source,
                    data_at + (index,) + tuple(error.absolute_path),
                    f"item breaks the resource schema: {error.message}",
                )
        items.append(entry)
    return Resource(name=name, path=path, key=key, validator=validator, data=tuple(items))


def _data_file(build: Build, source: SourceFile, at: tuple, target: Path) -> list:
    """`data: {file: ...}`: the items, read from a JSON or YAML list beside the spec."""
    try:
        text = target.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        build.problem(source, at, f"cannot read {target.name}: {exc}")
        return []
    parsed, problems = parse_source(text, str(target.relative_to(build.loader.root_dir)))
    build.loader.problems.extend(problems)
    data = parsed.data if parsed is not None else None
    if parsed is not None:
        build.loader.warn_implicit_bools(parsed, ())
    if not isinstance(data, list):
        build.problem(source, at, f"{target.name} must hold a JSON or YAML list of items")
        return []
    return data
