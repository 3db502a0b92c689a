"""Serve an OpenAPI 3.0/3.1 document: convert it into a mockserve spec, then load that.

Serving a document and serving its import (`mockserve import`) are the same thing:
both build the spec dict here and compile it with the ordinary loader.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import SpecError, SpecProblem
from ..spec.model import Spec
from ..spec.source import SourceFile
from .convert import Converter, convert_document


class Builder(Protocol):
    """What this package needs of the spec loader (which calls it for `openapi:` files)."""

    seed: int | None
    lazy: bool
    generated: bool
    problems: list[SpecProblem]
    complete_route: Callable[[dict[str, Any]], list[str]] | None

    def build(self, source: SourceFile) -> Spec: ...


__all__ = ["convert_document", "openapi_spec", "spec_from_openapi"]

_ROUTE = re.compile(r"^routes\[(\d+)\]")
_SCHEMA = re.compile(r"^schemas(?:\.([^.\[]+)|\[(['\"])(.+?)\2\])")


def openapi_spec(source: SourceFile, loader: Builder) -> tuple[dict[str, Any], list[str], Spec]:
    """Convert and compile; parts the loader rejects are dropped with a warning, not fatal.

    Real documents are not always valid (openai.yaml is not): one bad operation or
    schema must not keep the other thousand from being served.
    """
    converter = Converter(source.data, seed=loader.seed)
    # Served lazily, each operation is converted (and its body generated) on its first
    # request; the loader asks for it through `complete_route`.
    data = converter.spec(later=loader.lazy)
    warnings = converter.warnings()
    if loader.lazy:
        loader.complete_route = converter.complete
    loader.generated = True  # the converter writes the format's shape and valid schemas
    for _ in range(3):
        loader.problems = []
        try:
            spec = loader.build(SourceFile(source.name, data, location=source.location))
        except SpecError as exc:
            if not _drop_failing(data, exc, warnings):
                raise
            continue
        break
    else:
        loader.problems = []
        spec = loader.build(SourceFile(source.name, data, location=source.location))
    kept = {route.name for route in spec.routes}  # a dropped route is not there to count
    uncovered = frozenset(converter.uncovered & kept)
    return data, warnings, dataclasses.replace(spec, warnings=tuple(warnings), uncovered=uncovered)


def _drop_failing(data: dict[str, Any], error: SpecError, warnings: list[str]) -> bool:
    """Remove the routes and schemas the problems point at; False when none can be."""
    routes = data.get("routes") or []
    schemas = data.get("schemas") or {}
    bad_routes: dict[int, str] = {}
    dropped = False
    for problem in error.problems:
        match = _ROUTE.match(problem.where)
        if match and int(match.group(1)) < len(routes):
            bad_routes.setdefault(int(match.group(1)), problem.message)
            continue
        match = _SCHEMA.match(problem.where)
        name = (match.group(1) or match.group(3)) if match else None
        if name in schemas and schemas[name] != {}:
            schemas[name] = {}
            warnings.append(f"components.schemas.{name}: {problem.message}; taken as any value")
            dropped = True
    for index in sorted(bad_routes, reverse=True):
        route = routes.pop(index)
        warnings.append(
            f"{route.get('method')} {route.get('path')}: {bad_routes[index]}; not served"
        )
        dropped = True
    return dropped


def spec_from_openapi(source: SourceFile, loader: Builder) -> Spec:
    """The Spec that serves an OpenAPI document (the loader's hook for `openapi:` files)."""
    return openapi_spec(source, loader)[2]
