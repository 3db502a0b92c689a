"""Request text as typed values: the few rules every reader of query, headers and bodies shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_CONVERTERS: dict[str, type] = {"integer": int, "number": float}
CONVERTED = ("integer", "number", "boolean")  # the types text is read as, where declared


def declared_types(schema: Any) -> list[str]:
    """A schema's `type` as a list (`"string"` or `["string", "null"]`); [] when none."""
    declared = schema.get("type") if isinstance(schema, dict) else None
    return [declared] if isinstance(declared, str) else list(declared or [])


def converted_types(schema: Any) -> tuple[str, ...]:
    """The types of `CONVERTED` that `schema` declares, in that order."""
    declared = declared_types(schema)
    return tuple(t for t in CONVERTED if t in declared)


def layout(schema: Any) -> str:
    """`array`, `object` or `scalar`: declared, else told by `items` or `properties`."""
    declared = declared_types(schema)
    inferred = not declared and isinstance(schema, dict)
    if "array" in declared or (inferred and "items" in schema):
        return "array"
    if "object" in declared or (inferred and "properties" in schema):
        return "object"
    return "scalar"


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


def sendable_header(text: str) -> bool:
    """HTTP carries a header value as Latin-1 text on one line (tabs allowed)."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in text)
