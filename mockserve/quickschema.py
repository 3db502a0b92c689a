"""A quick yes for valid requests: jsonschema-rs answers "valid?" before jsonschema lists errors.

jsonschema (pure Python) walks a schema at some microseconds per keyword on every
request; jsonschema-rs, compiled once at load, says whether an instance is valid in a
fraction of that. Most requests a mock sees are valid, so the pair works as one checker:
jsonschema-rs says "valid" and nothing else runs; otherwise jsonschema lists the errors
(the 422's list and messages are jsonschema's, as before). Only schemas made of keywords
both judge alike get the quick check: no `$ref`, `format`, `pattern` (Rust and Python
regexes differ), `multipleOf` or `uniqueItems` (number equality), nothing unevaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema_rs

Quick = Callable[[Any], bool]

# Keywords whose meaning is the same to both libraries, by what their value holds.
_SUBSCHEMA = frozenset({"additionalProperties", "items", "not", "propertyNames", "contains"})
_SUBSCHEMAS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions"})
_PLAIN = frozenset(
    {
        "type",
        "required",
        "enum",
        "const",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minContains",
        "maxContains",
        "dependentRequired",
        # annotations: neither library asserts anything for them
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "nullable",
        "discriminator",
        "xml",
        "externalDocs",
        "example",
        "contentMediaType",
        "contentEncoding",
    }
)


def _alike(schema: Any, depth: int = 0) -> bool:
    """Whether both libraries judge every instance of `schema` alike."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or depth > 50:
        return False
    for key, value in schema.items():
        if key in _PLAIN or key.startswith("x-"):
            continue
        if key in _SUBSCHEMA:
            if not _alike(value, depth + 1):
                return False
        elif key in _SUBSCHEMAS:
            if not isinstance(value, list) or not all(_alike(v, depth + 1) for v in value):
                return False
        elif key in _SCHEMA_MAPS:
            if not isinstance(value, dict) or not all(_alike(v, depth + 1) for v in value.values()):
                return False
        else:
            return False
    return True


def quick_check(schema: Any) -> Quick | None:
    """A function saying True only for instances jsonschema finds valid; None if none fits."""
    if not _alike(schema):
        return None
    try:
        compiled = jsonschema_rs.Draft202012Validator(schema)
    except Exception:  # noqa: BLE001 - a schema it cannot take: jsonschema alone, as before
        return None

    def valid(instance: Any) -> bool:
        try:
            return bool(compiled.is_valid(instance))
        except Exception:  # noqa: BLE001 - e.g. a value JSON has no word for: ask jsonschema
            return False

    return valid
