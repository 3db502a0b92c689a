"""Request text as typed values: the few rules every reader of query, headers and bodies shares."""

from __future__ import annotations

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
