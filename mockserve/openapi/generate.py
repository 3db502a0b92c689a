"""Make a value that a JSON Schema accepts: the body of an answer nobody wrote an example for.

Values come from the schema's own words first (`const`, `examples`, `default`, `enum`),
then from its type, format, pattern and bounds. A seeded random source makes the same
document give the same answers every time. Recursion is bounded: optional branches are
cut once a model repeats or the value grows deep.
"""

from __future__ import annotations

import random
from typing import Any

from jsonschema import Draft202012Validator

from ..pointer import resolve_pointer, unescape_token
from .scalars import CannotGenerate, ScalarValues, format_spelling

_MAX_DEPTH = 12
_OPTIONAL_DEPTH = 4  # optional properties are filled in down to this depth


def _dict(node: dict[str, Any], key: str) -> dict[str, Any]:
    value = node.get(key)
    return value if isinstance(value, dict) else {}


def _list(node: dict[str, Any], key: str) -> list[Any]:
    value = node.get(key)
    return value if isinstance(value, list) else []


def _resolve(root: dict[str, Any], ref: str) -> Any:
    try:
        return resolve_pointer(root, ref)
    except LookupError:
        raise CannotGenerate(f"unknown $ref {ref!r}") from None


class Generator(ScalarValues):
    """Values for schemas whose refs point into `{"schemas": schemas}`."""

    def __init__(self, schemas: dict[str, Any], seed: int | None):
        self.root = {"schemas": schemas}
        super().__init__(random.Random(seed if seed is not None else 0))
        self.minimal = False  # only required properties (a retry when a full value fails)
        # a last resort for a schema no value fits: each part that cannot be made is a
        # plain value of its type, so the answer still has the declared shape
        self.lenient = False
        self.answers = True  # values for answers: writeOnly properties are left out
        self._examples: dict[tuple[int, str], tuple[Any, bool]] = {}  # (id, key) -> fits
        # what the last values had to make do with, for the converter to warn about
        self.notes: list[str] = []

    def value(self, schema: Any) -> Any:
        """A value for `schema`; raise CannotGenerate when none can be made."""
        return self._value(schema, 0, ())

    def _example_fits(self, schema: dict[str, Any], example: Any, what: str = "example") -> bool:
        """Real documents' schema examples are often wrong (a null where a string is due)."""
        key = (id(schema), what)
        if key not in self._examples:
            fits = _fits_type(example, schema) and self.valid(schema, example)
            self._examples[key] = (schema, fits)
            if not fits:
                self.notes.append(f"the {what} {_short(example)} fails its own schema; not used")
        return self._examples[key][1]

    def valid(self, schema: Any, value: Any) -> bool:
        """Whether `value` passes `schema` (refs into the schemas resolve)."""
        if not isinstance(schema, dict):
            return schema is not False
        validator = Draft202012Validator(
            {**schema, "schemas": self.root["schemas"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        try:
            return validator.is_valid(value)
        except Exception:  # noqa: BLE001 - a schema jsonschema cannot use: do not judge
            return True

    # -- the walk -------------------------------------------------------------------

    def _value(self, schema: Any, depth: int, stack: tuple[str, ...]) -> Any:
        if not self.lenient:
            return self._made(schema, depth, stack)
        try:
            return self._made(schema, depth, stack)
        except CannotGenerate:
            return _plain(schema)

    def _made(self, schema: Any, depth: int, stack: tuple[str, ...]) -> Any:
        if depth > _MAX_DEPTH:
            raise CannotGenerate("too deep")
        if schema is True or schema is None:
            return "value"
        if schema is False or not isinstance(schema, dict):
            raise CannotGenerate("false schema")
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if stack.count(ref) >= 2:
                raise CannotGenerate(f"recursion through {ref}")
            target = _resolve(self.root, ref)
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if any(
                k not in ("description", "title", "readOnly", "writeOnly", "deprecated")
                for k in rest
            ):
                target = {"allOf": [rest, target]}  # where they disagree, the ref's wins
            value = self._value(target, depth, stack + (ref,))
            return self._discriminated(self._discriminator_of(target), {"$ref": ref}, value)
        if "const" in schema:
            return schema["const"]
        examples = schema.get("examples")
        if isinstance(examples, list) and examples and self._example_fits(schema, examples[0]):
            return examples[0]
        if "default" in schema and self._example_fits(schema, schema["default"], "default"):
            return schema["default"]  # (`default: null` on a non-nullable object is common)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return next((e for e in enum if e is not None), enum[0])
        if "allOf" in schema:
            return self._value(self._merge(schema, depth, stack), depth, stack)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                rest = {k: v for k, v in schema.items() if k != key}
                last: CannotGenerate | None = None
                # a non-null option first: null is a poor example
                ordered = sorted(
                    options, key=lambda o: isinstance(o, dict) and o.get("type") == "null"
                )
                first: list[Any] = []  # the first option's value, when none fits exactly
                for option in ordered:
                    candidate = {"allOf": [rest, option]} if _has_constraints(rest) else option
                    for minimal in (self.minimal, True):
                        was, self.minimal = self.minimal, minimal
                        try:
                            value = self._value(candidate, depth, stack)
                        except CannotGenerate as exc:
                            last = exc
                            continue
                        finally:
                            self.minimal = was
                        value = self._discriminated(schema, option, value)
                        # oneOf wants exactly one match: a value that fits two options fails
                        if key == "anyOf" or depth > _OPTIONAL_DEPTH or self.valid(schema, value):
                            return value
                        if not first:
                            first.append(value)
                        last = CannotGenerate(f"a value for one {key} option fits another too")
                if first:
                    self.notes.append(
                        f"no value fits exactly one {key} option (they overlap); "
                        "the answer follows the first"
                    )
                    return first[0]
                raise last or CannotGenerate(key)
        if "not" in schema and not self.minimal:
            value = self._typed(schema, depth, stack)
            if not self.valid(schema["not"], value):
                return value
            self.minimal = True
            try:
                return self._typed(schema, depth, stack)
            finally:
                self.minimal = False
        return self._typed(schema, depth, stack)

    def _discriminated(self, schema: Any, option: Any, value: Any) -> Any:
        """The discriminator's tag set on `value`, unless the option's own schema refuses it
        (a document whose `type: {enum: [track]}` disagrees with its schema's name)."""
        tagged = _discriminated(schema, option, value)
        if tagged is value or self.valid(option, tagged) or not self.valid(option, value):
            return tagged
        return value

    def _discriminator_of(self, schema: Any) -> dict[str, Any]:
        """The schema itself when it (or a part of its `allOf`) has a discriminator."""
        if not isinstance(schema, dict):
            return {}
        if isinstance(schema.get("discriminator"), dict):
            # with its own options, the oneOf/anyOf branch has said which one was made
            return {} if "oneOf" in schema or "anyOf" in schema else schema
        for part in schema.get("allOf") or []:
            if isinstance(part, dict) and isinstance(part.get("$ref"), str):
                try:
                    part = _resolve(self.root, part["$ref"])
                except CannotGenerate:
                    continue
            if isinstance(part, dict) and isinstance(part.get("discriminator"), dict):
                return part
        return {}

    def _typed(self, schema: dict[str, Any], depth: int, stack: tuple[str, ...]) -> Any:
        kind = _kind(schema)
        if kind == "null":
            return None
        if kind == "boolean":
            return True
        if kind == "integer":
            return self._number(schema, integer=True)
        if kind == "number":
            return self._number(schema, integer=False)
        if kind == "string":
            return self._string(schema)
        if kind == "array":
            return self._array(schema, depth, stack)
        return self._object(schema, depth, stack)

    def _merge(self, schema: dict[str, Any], depth: int, stack: tuple[str, ...]) -> dict[str, Any]:
        """Fold `allOf` into one schema: properties and required add up, the rest overrides."""
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        parts = list(schema.get("allOf") or [])
        seen = 0
        while parts and seen < 50:
            seen += 1
            part = parts.pop(0)
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("$ref"), str):
                ref = part["$ref"]
                if stack.count(ref) >= 2:
                    raise CannotGenerate(f"recursion through {ref}")
                target = _resolve(self.root, ref)
                rest = {k: v for k, v in part.items() if k != "$ref"}
                parts[:0] = [target, rest] if rest else [target]
                continue
            if "allOf" in part:
                parts[:0] = list(part["allOf"]) + [{k: v for k, v in part.items() if k != "allOf"}]
                continue
            for key, value in part.items():
                if key == "properties" and isinstance(value, dict):
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required" and isinstance(value, list):
                    merged["required"] = list(dict.fromkeys(merged.get("required", []) + value))
                elif key == "type" and "type" in merged:
                    mine = merged["type"] if isinstance(merged["type"], list) else [merged["type"]]
                    theirs = value if isinstance(value, list) else [value]
                    both = [t for t in mine if t in theirs] or theirs
                    merged["type"] = both[0] if len(both) == 1 else both
                elif key in ("oneOf", "anyOf") and key in merged:
                    merged.setdefault("allOf", []).append({key: value})
                else:
                    merged[key] = value
        return merged

    def _write_only(self, schema: Any) -> bool:
        """Whether a property's schema (through its `$ref`s and `allOf` parts) is writeOnly."""
        for _ in range(10):
            if not isinstance(schema, dict):
                return False
            if schema.get("writeOnly") is True:
                return True
            parts = [p for p in schema.get("allOf") or [] if isinstance(p, dict)]
            if any(self._write_only(part) for part in parts):
                return True
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                return False
            try:
                schema = _resolve(self.root, ref)
            except CannotGenerate:
                return False
        return False

    def _array(self, schema: dict[str, Any], depth: int, stack: tuple[str, ...]) -> list[Any]:
        low = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
        high = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
        prefix = _list(schema, "prefixItems")
        items = schema.get("items", True)
        result = [self._value(p, depth + 1, stack) for p in prefix]
        wanted = max(low, 1 if depth < _OPTIONAL_DEPTH + 2 else 0)
        if high is not None:
            wanted = min(wanted, high)
        if items is False:
            return result
        while len(result) < wanted:
            try:
                value = self._value(items, depth + 1, stack)
            except CannotGenerate:
                if len(result) >= low:
                    break
                raise
            if schema.get("uniqueItems") and value in result:
                if len(result) >= low:
                    break
                value = self._distinct(items, result, depth, stack)
            result.append(value)
        return result

    def _distinct(self, items: Any, taken: list[Any], depth: int, stack: tuple[str, ...]) -> Any:
        # Drawn again without the schema's one fixed value (a uuid's `default`): a string
        # of a format stays of that format; suffixes are the last resort.
        if isinstance(items, dict):
            drawn = {k: v for k, v in items.items() if k not in ("default", "examples", "const")}
            for _ in range(5):
                try:
                    value = self._value(drawn, depth + 1, stack)
                except CannotGenerate:
                    break
                if value not in taken:
                    return value
        for _ in range(20):
            value = self._value(items, depth + 1, stack)
            if isinstance(value, str):
                value = value + str(len(taken))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                value = value + len(taken)
            if value not in taken:
                return value
        raise CannotGenerate("cannot make unique items")

    def _object(self, schema: dict[str, Any], depth: int, stack: tuple[str, ...]) -> dict[str, Any]:
        properties = _dict(schema, "properties")
        required = [n for n in schema.get("required", []) if isinstance(n, str)]
        result: dict[str, Any] = {}
        for name in required:
            sub = properties.get(name, schema.get("additionalProperties", True))
            if self.answers and self._write_only(sub):
                continue  # required of requests only: never in an answer
            if sub is False:
                raise CannotGenerate(f"{name!r} is required but not allowed")
            result[name] = self._value(sub, depth + 1, stack)
        if depth < _OPTIONAL_DEPTH and not self.minimal:
            for name, sub in properties.items():
                if name in result or (self.answers and self._write_only(sub)):
                    continue
                try:
                    result[name] = self._value(sub, depth + 1, stack)
                except CannotGenerate:
                    continue
        low = schema.get("minProperties", 0) if isinstance(schema.get("minProperties"), int) else 0
        for name, sub in properties.items():  # too few: declared properties first
            if len(result) >= low:
                break
            if name not in result:
                try:
                    result[name] = self._value(sub, depth + 1, stack)
                except CannotGenerate:
                    continue
        extra = schema.get("additionalProperties", True)
        index = 0
        while len(result) < low and extra is not False and index < 100:
            index += 1
            key = f"key{index}"
            if key not in result:
                result[key] = self._value(extra, depth + 1, stack)
        high = schema.get("maxProperties")
        if isinstance(high, int) and len(result) > high:
            for name in [n for n in result if n not in required][: len(result) - high]:
                del result[name]
        return result


_PYTHON_TYPES: dict[str, Any] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "null": type(None),
}


def _fits_type(value: Any, schema: dict[str, Any]) -> bool:
    """Whether `value` has one of the schema's declared types (the cheap part of validity)."""
    declared = schema.get("type")
    if declared is None:
        return True
    for kind in declared if isinstance(declared, list) else [declared]:
        if kind in ("integer", "number"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if kind == "number" or float(value).is_integer():
                return True
        elif isinstance(value, _PYTHON_TYPES.get(kind, object)) and not (
            kind != "boolean" and isinstance(value, bool)
        ):
            return True
    return False


def _discriminated(schema: Any, option: Any, value: Any) -> Any:
    """A value made from `option` of a schema with a `discriminator`, saying which it is
    (by the mapping, else by the option's schema name)."""
    discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
    ref = option.get("$ref") if isinstance(option, dict) else None
    if not isinstance(discriminator, dict) or not isinstance(ref, str):
        return value
    name = discriminator.get("propertyName")
    if not isinstance(name, str) or not isinstance(value, dict):
        return value
    mapping = _dict(discriminator, "mapping")
    tag = next((k for k, v in mapping.items() if v == ref), None)
    if tag is None:
        if mapping and name in value and value[name] in mapping:
            return value
        tag = unescape_token(ref.rsplit("/", 1)[-1])
    return {**value, name: tag}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _has_constraints(schema: dict[str, Any]) -> bool:
    return any(
        k not in ("description", "title", "discriminator", "readOnly", "writeOnly", "deprecated")
        for k in schema
    )


_PLAIN: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "integer": 0,
    "number": 0,
    "array": [],
    "object": {},
}


def _plain(schema: Any) -> Any:
    """A value of the schema's type with its constraints aside (`"string"`, `0`, `{}`);
    a string of a known format is spelled as one (a date-time is never `"string"`)."""
    if not isinstance(schema, dict):
        return None
    kind = _kind(schema)
    if kind in _PLAIN:
        return _PLAIN[kind]
    return format_spelling(schema.get("format")) or "string"


def _kind(schema: dict[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), declared[0] if declared else None)
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("pattern", "minLength", "maxLength", "format")):
        return "string"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return "string"
