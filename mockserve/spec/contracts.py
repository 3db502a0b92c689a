"""A route's request contract: its query, headers, path parameters and body, compiled.

What a request must look like is one concern; what the route answers is another
(`answers.py`). Both are compiled once at load, or on a lazy route's first call.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..contract import BodyContract, ParameterContract
from ..media import media_type
from ..values import converted_types, declared_types, header_key
from .build import Build
from .model import Contract
from .source import SourceFile


def compile_contract(
    build: Build, source: SourceFile, at: tuple, raw: dict, param_names: tuple[str, ...]
) -> Contract:
    """A route's `query`, `headers`, `path_params` and `body`: what a request must send."""
    query = _parameters(build, source, at + ("query",), raw.get("query"), "query")
    headers = _parameters(
        build, source, at + ("headers",), raw.get("headers"), "headers", case_insensitive=True
    )
    path_params = _parameters(build, source, at + ("path_params",), raw.get("path_params"), "path")
    raw_body = raw.get("body")
    # `body` is one {content_type, schema}, or a list of them (one per accepted media type)
    options = (
        raw_body if isinstance(raw_body, list) else [raw_body] if isinstance(raw_body, dict) else []
    )
    bodies = []
    for index, option in enumerate(options):
        if not isinstance(option, dict):
            continue
        where = at + (("body", index) if isinstance(raw_body, list) else ("body",))
        validator = None
        types: dict[str, tuple[str, ...]] = {}
        arrays: frozenset[str] = frozenset()
        if "schema" in option and build.check_schema(source, where + ("schema",), option["schema"]):
            validator = build.compiler.compile(option["schema"])
            types, arrays = _field_types(
                build.compiler.resolve_top(option["schema"]), build.compiler.resolve_top
            )
        content_type = media_type(str(option.get("content_type", "application/json")))
        bodies.append(
            BodyContract(content_type, validator, types, arrays, bool(option.get("required", True)))
        )
    body = None
    if bodies:
        body = dataclasses.replace(bodies[0], alternatives=tuple(bodies[1:]))
    return Contract(query=query, headers=headers, path=path_params, body=body)


def _parameters(
    build: Build,
    source: SourceFile,
    at: tuple,
    schema: Any,
    location: str,
    *,
    case_insensitive: bool = False,
) -> ParameterContract | None:
    """One location's schema, compiled; header names match in any case, as declared."""
    if schema is None:
        return None
    if not build.check_schema(source, at, schema):
        return None
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    types, arrays = _field_types(schema, build.compiler.resolve_top)
    spelling = {}
    if case_insensitive and isinstance(schema, dict):
        required = schema.get("required", []) or []
        # The properties' spelling wins, so `required: [x-count]` still checks `X-Count`.
        names = list(required) + list(properties)
        spelling = {header_key(str(n)): str(n) for n in names}
        schema = dict(schema)
        if isinstance(required, list):
            schema["required"] = [spelling.get(header_key(str(n)), n) for n in required]
    return ParameterContract(location, build.compiler.compile(schema), types, spelling, arrays)


def _field_types(
    schema: Any, resolve=lambda s: s
) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Which top-level properties arrive as text but are typed: scalars to convert, arrays.

    `resolve` follows a property's `$ref` into `schemas` (`{$ref: "#/schemas/Id"}`).
    """
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    types: dict[str, tuple[str, ...]] = {}
    arrays = set()
    for name, sub in properties.items() if isinstance(properties, dict) else ():
        sub = resolve(sub)
        typed = sub
        if "array" in declared_types(sub) and isinstance(sub, dict):
            arrays.add(name)
            typed = resolve(sub.get("items"))
        wanted = converted_types(typed)
        if wanted:
            types[name] = wanted
    return types, frozenset(arrays)
