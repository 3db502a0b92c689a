"""A quick proof that a schema passes the 2020-12 metaschema, for the common keywords.

jsonschema's `check_schema` takes ~6 ms a schema (every subschema walks all seven
vocabularies through `$dynamicRef`), ~30 s for a spec imported from GitHub's document.
`surely_valid` says True only when it has checked every keyword the metaschema defines
on every subschema, exactly as the metaschema does; anything else (a keyword it does not
know, a wrong value) answers False, and the caller runs `check_schema` for its verdict
and its message. A True is never a weaker check; a False is never a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

_FORMATS = Draft202012Validator.FORMAT_CHECKER
_TYPES = frozenset(("array", "boolean", "integer", "null", "number", "object", "string"))

# Every keyword the 2020-12 metaschema defines (its seven vocabularies and the root's
# deprecated ones); only these constrain a schema, other keys are free annotations.
_DEFINED = frozenset(
    (
        "$id $schema $ref $anchor $dynamicRef $dynamicAnchor $vocabulary $comment $defs "
        "prefixItems items contains additionalProperties properties patternProperties "
        "dependentSchemas propertyNames if then else allOf anyOf oneOf not "
        "unevaluatedItems unevaluatedProperties type const enum multipleOf maximum "
        "exclusiveMaximum minimum exclusiveMinimum maxLength minLength pattern maxItems "
        "minItems uniqueItems maxContains minContains maxProperties minProperties required "
        "dependentRequired title description default deprecated readOnly writeOnly examples "
        "format contentEncoding contentMediaType contentSchema definitions dependencies "
        "$recursiveAnchor $recursiveRef"
    ).split()
)


@lru_cache(maxsize=4096)
def _conforms(value: str, format_name: str) -> bool:
    return _FORMATS.conforms(value, format_name)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: Any) -> bool:  # nonNegativeInteger, integers written as such
    return type(value) is int and value >= 0


def _strings(value: Any) -> bool:  # stringArray: unique strings
    return (
        isinstance(value, list)
        and all(isinstance(item, str) for item in value)
        and len(set(value)) == len(value)
    )


def _type(value: Any) -> bool:
    if isinstance(value, str):
        return value in _TYPES
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and item in _TYPES for item in value)
        and len(set(value)) == len(value)
    )


def _schema_map(value: Any) -> bool:
    return isinstance(value, dict) and all(surely_valid(item) for item in value.values())


def _schema_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(surely_valid(item) for item in value)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _anything(value: Any) -> bool:
    return True


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "$ref": lambda v: isinstance(v, str) and _conforms(v, "uri-reference"),
    "$comment": _text,
    "$defs": _schema_map,
    "definitions": _schema_map,
    "prefixItems": _schema_list,
    "allOf": _schema_list,
    "anyOf": _schema_list,
    "oneOf": _schema_list,
    "properties": _schema_map,
    "dependentSchemas": _schema_map,
    "patternProperties": lambda v: (
        isinstance(v, dict)
        and all(isinstance(k, str) and _conforms(k, "regex") for k in v)
        and _schema_map(v)
    ),
    "type": _type,
    "const": _anything,
    "enum": lambda v: isinstance(v, list),
    "multipleOf": lambda v: _number(v) and v > 0,
    "maximum": _number,
    "exclusiveMaximum": _number,
    "minimum": _number,
    "exclusiveMinimum": _number,
    "maxLength": _count,
    "minLength": _count,
    "pattern": lambda v: isinstance(v, str) and _conforms(v, "regex"),
    "maxItems": _count,
    "minItems": _count,
    "uniqueItems": _flag,
    "maxContains": _count,
    "minContains": _count,
    "maxProperties": _count,
    "minProperties": _count,
    "required": _strings,
    "dependentRequired": lambda v: isinstance(v, dict) and all(_strings(i) for i in v.values()),
    "title": _text,
    "description": _text,
    "default": _anything,
    "deprecated": _flag,
    "readOnly": _flag,
    "writeOnly": _flag,
    "examples": lambda v: isinstance(v, list),
    "format": _text,
    "contentEncoding": _text,
    "contentMediaType": _text,
}
for _keyword in (
    "items contains additionalProperties propertyNames if then else not "
    "unevaluatedItems unevaluatedProperties contentSchema"
).split():
    _CHECKS[_keyword] = lambda v: surely_valid(v)


def surely_valid(schema: Any) -> bool:
    """True only when `schema` surely passes the 2020-12 metaschema; False: ask jsonschema."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        check = _CHECKS.get(key)
        if check is None:
            if key in _DEFINED:  # $id, $anchor, dependencies...: left to jsonschema
                return False
            continue
        if not check(value):
            return False
    return True
