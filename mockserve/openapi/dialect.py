"""OpenAPI schemas to JSON Schema 2020-12, with refs pointed into the spec's `schemas`.

OpenAPI 3.0 speaks its own dialect (`nullable`, boolean `exclusiveMinimum`, `example`);
3.1 is 2020-12 already but real documents still carry 3.0 habits, so both go through
the same conversion. Whatever would make the spec invalid (a bad regex, duplicate
`required` names, a ref outside the document) is dropped with a warning, never fatal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..pointer import escape_token

COMPONENT_SCHEMAS = "#/components/schemas/"
_TYPES = {"array", "boolean", "integer", "null", "number", "object", "string"}
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_ONE = (
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
    "contentSchema",
)
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_COUNTS = (
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "maxProperties",
    "minProperties",
    "maxContains",
    "minContains",
)
_FLAGS = ("uniqueItems", "readOnly", "writeOnly", "deprecated")
_TEXTS = ("format", "title", "description", "contentEncoding", "contentMediaType")
_DROP = ("nullable", "externalDocs", "example", "x-nullable")
_BESIDE_REF = ("description", "title", "readOnly", "writeOnly", "deprecated", "nullable")
_XML_KEYS = ("name", "namespace", "prefix", "attribute", "wrapped")


def schema_name_ref(name: str) -> str:
    return "#/schemas/" + escape_token(name)


class Dialect:
    """Converts schema objects; `inline(ref)` resolves refs that are not component schemas."""

    def __init__(self, version_31: bool, warn: Callable[[str], None], inline: Callable[[str], Any]):
        self.version_31 = version_31
        self.warn = warn
        self.inline = inline
        self._patterns: dict[str, bool] = {}
        self.component: str | None = None  # the component schema being converted
        self._inlining: set[str] = set()

    def convert(self, schema: Any, where: str) -> Any:
        """A 2020-12 schema for `schema` (an OpenAPI schema object)."""
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict):
            return {}
        if "$ref" in schema and not self.version_31:
            # 3.0: a Reference Object's other keys are ignored; its annotations (and
            # `nullable`, meant as such in every real document) are kept
            schema = {k: v for k, v in schema.items() if k == "$ref" or k in _BESIDE_REF}
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$ref":
                ref = self._ref(value, where)
                if isinstance(ref, dict):  # inlined
                    out.update({k: v for k, v in ref.items() if k not in out})
                else:
                    out["$ref"] = ref
            elif key in _SCHEMA_MAPS:
                if isinstance(value, dict):
                    out[key] = {str(n): self.convert(s, where) for n, s in value.items()}
            elif key in _SCHEMA_ONE:
                if isinstance(value, (dict, bool)):
                    out[key] = self.convert(value, where)
            elif key in _SCHEMA_LISTS:
                if isinstance(value, list) and value:
                    out[key] = [self.convert(s, where) for s in value]
            elif key == "items":
                if isinstance(value, list):  # tuple form (draft 4 habit)
                    out["prefixItems"] = [self.convert(s, where) for s in value]
                elif isinstance(value, (dict, bool)):
                    out["items"] = self.convert(value, where)
            elif key == "type":
                kinds = value if isinstance(value, list) else [value]
                if not all(isinstance(k, str) for k in kinds):  # `type: {type: string}`
                    self.warn(f"{where}: 'type' {_short(value)} is not a type name; ignored")
                kinds = ["string" if k == "file" else k for k in kinds if isinstance(k, str)]
                kinds = [k for k in dict.fromkeys(kinds) if k in _TYPES]
                if kinds:
                    out["type"] = kinds[0] if len(kinds) == 1 else kinds
            elif key == "required":
                if isinstance(value, list):
                    names = list(dict.fromkeys(n for n in value if isinstance(n, str)))
                    if len(names) != len(value):
                        self.warn(f"{where}: duplicate names in 'required' ignored")
                    out["required"] = names
            elif key == "pattern":
                if isinstance(value, str) and self._pattern_ok(value):
                    out["pattern"] = value
                else:
                    self.warn(f"{where}: pattern {value!r} is not a regex Python can use; ignored")
            elif key in ("exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(value, bool):
                    bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                    if value and isinstance(schema.get(bound), (int, float)):
                        out[key] = schema[bound]
                elif isinstance(value, (int, float)):
                    out[key] = value
            elif key in ("minimum", "maximum"):
                exclusive = schema.get(
                    "exclusiveMinimum" if key == "minimum" else "exclusiveMaximum"
                )
                if (
                    isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and exclusive is not True
                ):
                    out[key] = value
            elif key == "examples":
                if isinstance(value, list):
                    out["examples"] = value
                elif isinstance(value, dict):  # 3.0 habit: named examples inside a schema
                    out["examples"] = [
                        v.get("value") if isinstance(v, dict) and "value" in v else v
                        for v in value.values()
                    ]
            elif key in _COUNTS:
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    out[key] = value
                elif isinstance(value, float) and value.is_integer() and value >= 0:
                    out[key] = int(value)
            elif key in _FLAGS:
                if isinstance(value, bool):
                    out[key] = value
            elif key in _TEXTS:
                if isinstance(value, str):
                    out[key] = value
            elif key == "multipleOf":
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                    out[key] = value
            elif key == "dependentRequired":
                if isinstance(value, dict) and all(
                    isinstance(v, list) and all(isinstance(n, str) for n in v)
                    for v in value.values()
                ):
                    out[key] = {k: list(dict.fromkeys(v)) for k, v in value.items()}
            elif key == "enum":
                if isinstance(value, list) and value:
                    out["enum"] = value
            elif key == "discriminator":  # an annotation: generated bodies follow it
                if isinstance(value, dict) and isinstance(value.get("propertyName"), str):
                    out[key] = self._discriminator(value, where)
            elif key == "xml":  # an annotation: XML request bodies are read by it (xmlbody.py)
                if isinstance(value, dict):
                    out[key] = {k: v for k, v in value.items() if k in _XML_KEYS}
            elif key in _DROP or key.startswith("x-"):
                continue
            elif key == "$recursiveRef":  # draft 2019-09: "#" is the enclosing component schema
                if value == "#" and self.component is not None and "$ref" not in schema:
                    out["$ref"] = schema_name_ref(self.component)
            elif key in (
                "$schema",
                "$id",
                "$anchor",
                "$dynamicAnchor",
                "$dynamicRef",
                "$comment",
                "$recursiveAnchor",
                "$vocabulary",
            ):
                continue
            else:
                out[key] = value
        bounds = _FORMAT_BOUNDS.get(str(out.get("format"))) if _is_type(out, "integer") else None
        if bounds:  # int32/int64 say their range; clients (and schemathesis) expect it checked
            if "minimum" not in out and "exclusiveMinimum" not in out:
                out["minimum"] = bounds[0]
            if "maximum" not in out and "exclusiveMaximum" not in out:
                out["maximum"] = bounds[1]
        if "example" in schema and "examples" not in out:
            out["examples"] = [schema["example"]]
        if schema.get("nullable") is True or schema.get("x-nullable") is True:
            out = _nullable(out)
        return out

    def _discriminator(self, value: dict[str, Any], where: str) -> dict[str, Any]:
        """`mapping` values as refs into the spec's schemas (a bare name is a schema's)."""
        out: dict[str, Any] = {"propertyName": value["propertyName"]}
        mapping = value.get("mapping")
        if isinstance(mapping, dict):
            refs = {}
            for tag, target in mapping.items():
                if not isinstance(target, str):
                    continue
                if not target.startswith("#") and "/" not in target:
                    target = COMPONENT_SCHEMAS + target
                ref = self._ref(target, where) if target.startswith(COMPONENT_SCHEMAS) else None
                if isinstance(ref, str):
                    refs[str(tag)] = ref
            out["mapping"] = refs
        return out

    def _ref(self, ref: Any, where: str) -> Any:
        if not isinstance(ref, str):
            return {}
        if ref.startswith(COMPONENT_SCHEMAS):
            return "#/schemas/" + ref[len(COMPONENT_SCHEMAS) :]
        if ref.startswith("#/") and ref not in self._inlining:
            self._inlining.add(ref)
            try:
                target = self.inline(ref)
                return self.convert(target, where) if target is not None else {}
            finally:
                self._inlining.discard(ref)
        self.warn(
            f"{where}: $ref {ref!r} cannot be followed (only refs inside the document); "
            "taken as any value"
        )
        return {}

    def _pattern_ok(self, pattern: str) -> bool:
        ok = self._patterns.get(pattern)
        if ok is None:
            try:
                re.compile(pattern)
                ok = True
            except (re.error, RecursionError, OverflowError):
                ok = False
            self._patterns[pattern] = ok
        return ok


_FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _is_type(schema: dict[str, Any], kind: str) -> bool:
    declared = schema.get("type")
    return declared == kind or (isinstance(declared, list) and kind in declared)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`nullable: true` in 2020-12 terms: null is one more type (or one more option)."""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "null" not in kinds:
            schema["type"] = [*kinds, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if "enum" in schema:
        if None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if not schema:
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _short(value: Any) -> str:
    """A value as a warning quotes it: JSON, cut at 60 characters."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
