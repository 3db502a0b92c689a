"""Request text as typed values: the few rules every reader of query, headers and bodies shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_CONVERTERS: dict[str, type] = {"integer": int, "number": float}


def coerce(value: str, types: tuple[str, ...]) -> Any:
    """`value` as the first of the schema's `types` it reads as (else the text itself)."""
    for name in types:
        if name == "boolean" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        converter = _CONVERTERS.get(name)
        if converter is not None:
            try:
                number = converter(value)
            except ValueError:
                continue
            if name == "number" and number.is_integer() and "." not in value:
                return int(number)
            return number
    return value


def header_key(name: str) -> str:
    """How WSGI tells headers apart: case aside, and `_` the same as `-` (`api_key`, `Api-Key`)."""
    return name.lower().replace("_", "-")


def merged_schema(schema: Any, resolve: Callable[[Any], Any]) -> Any:
    """The schema with its `$ref` followed and `allOf` parts' properties merged in."""
    schema = resolve(schema)
    if not isinstance(schema, dict) or not isinstance(schema.get("allOf"), list):
        return schema
    merged = dict(schema)
    properties = dict(schema.get("properties") or {})
    for part in schema["allOf"]:
        part = merged_schema(part, resolve)
        if isinstance(part, dict):
            properties.update(part.get("properties") or {})
            merged.setdefault("type", part.get("type"))
    merged["properties"] = properties
    return merged
