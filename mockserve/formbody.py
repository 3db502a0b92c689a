"""Form fields in bracket notation, read into the nested value their schema checks.

A form cannot nest, so clients spell nesting in the field names: Stripe's SDKs,
PHP, Rails and qs (which Mockoon reads forms with) send `address[city]=Paris`,
`items[0][price]=p_1` and `expand[]=customer`, and OpenAPI calls it `deepObject`
(Stripe's document declares 1,139 such encodings). A body's fields are read into
objects and lists here, then each text is converted by the type its schema declares
there (`items[0][quantity]=2` is the integer 2), so the schema checks what was meant.
A name the schema declares as it is (`a[b]` as a property) is left alone. A field
whose schema is an object may also arrive as JSON text (`address={"city":"Paris"}`),
OpenAPI's default encoding for objects in a form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .values import CONVERTED, coerce, declared_types, layout, merged_schema

Resolve = Callable[[Any], Any]
Options = Callable[[Any], list[dict[str, Any]]]  # a schema's own options (see `_options`)
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")  # name[a][0][]
_PART = re.compile(r"\[([^\[\]]*)\]")
_MAX_DEPTH = 16  # deeper names are left as they are: no real client nests further


@dataclass(frozen=True)
class FormReader:
    """A form body's schema, for reading bracketed names (built once per body contract)."""

    schema: Any
    resolve: Resolve
    declared: frozenset[str]  # top-level property names, taken as they are
    # fields that may arrive as JSON text, OpenAPI's default `encoding` for objects:
    # name -> "object" (the field is one), or "items" (an array of them)
    json_fields: dict[str, str] = field(default_factory=dict)
    # each schema's options, worked out on the first request that reaches it: by id, with
    # the schema itself kept so that its id stays its own
    _seen: dict[int, tuple[Any, list[dict[str, Any]]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def options(self, schema: Any) -> list[dict[str, Any]]:
        """`_options(schema)`, each worked out once."""
        known = self._seen.get(id(schema))
        if known is None or known[0] is not schema:
            known = self._seen[id(schema)] = (schema, _options(schema, self.resolve))
        return known[1]

    def read(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Fields (name -> text, or texts when repeated) with bracketed names nested."""
        if self.json_fields and self.json_fields.keys() & fields.keys():
            fields = {**fields, **self._json(fields)}
        if not any("[" in name for name in fields):
            return fields
        value: dict[str, Any] = {}
        nested: dict[str, Any] = {}
        for name, texts in fields.items():
            match = _KEY.match(name) if name not in self.declared else None
            parts = _PART.findall(match[2]) if match else []
            if not match or len(parts) > _MAX_DEPTH:
                value[name] = texts
                continue
            for text in texts if isinstance(texts, list) else [texts]:
                _put(nested, [match[1], *parts], text)
        for name, tree in nested.items():
            sub = _property(self.schema, name, self.options)
            value[name] = _typed(_lists(tree, sub, self.options), sub, self.options)
        return value

    def _json(self, fields: dict[str, Any]) -> dict[str, Any]:
        """`address={"city": "Paris"}` as the object; text that is not one stays text."""
        read: dict[str, Any] = {}
        for name, how in self.json_fields.items():
            texts = fields.get(name)
            if how == "object" and isinstance(texts, str):
                read[name] = _json_object(texts)
            elif how == "items" and texts is not None:
                items = texts if isinstance(texts, list) else [texts]
                read[name] = [_json_object(text) for text in items]
        return read


def compile_form(schema: Any, resolve: Resolve) -> FormReader | None:
    """A reader for a form body schema with properties; None when it has none."""
    merged = merged_schema(schema, resolve)
    properties = merged.get("properties") if isinstance(merged, dict) else None
    if not isinstance(properties, dict):
        return None
    json_fields = {}
    options = partial(_options, resolve=resolve)
    for name, sub in properties.items():
        kinds = {layout(option) for option in options(sub)}
        if "object" in kinds:
            json_fields[str(name)] = "object"
        elif "array" in kinds and any(
            layout(option) == "object" for option in options(_items(sub, options))
        ):
            json_fields[str(name)] = "items"
    return FormReader(merged, resolve, frozenset(str(name) for name in properties), json_fields)


def _json_object(text: Any) -> Any:
    if not isinstance(text, str) or not text.startswith("{"):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict) else text


def _put(tree: dict[str, Any], parts: list[str], text: str) -> None:
    """Store `text` at `parts` (`[]` appends: its key is the count so far)."""
    node = tree
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "":
            part = str(len(node))
        if last:
            node[part] = text
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child


def _options(schema: Any, resolve: Resolve) -> list[dict[str, Any]]:
    """The schema and, for `anyOf`/`oneOf`, each option (Stripe: an object, or `""`)."""
    schema = merged_schema(schema, resolve)
    if not isinstance(schema, dict):
        return []
    options = [schema]
    for keyword in ("anyOf", "oneOf"):
        for option in schema.get(keyword) or []:
            options.append(merged_schema(option, resolve))
    return [option for option in options if isinstance(option, dict)]


def _property(schema: Any, name: str, options: Options) -> Any:
    for option in options(schema):
        properties = option.get("properties")
        if isinstance(properties, dict) and name in properties:
            return properties[name]
        extra = option.get("additionalProperties")
        if isinstance(extra, dict):
            return extra
    return None


def _items(schema: Any, options: Options) -> Any:
    for option in options(schema):
        if layout(option) == "array":
            return option.get("items")
    return None


def _wants_array(schema: Any, options: Options) -> bool:
    return any(layout(option) == "array" for option in options(schema))


def _lists(tree: Any, schema: Any, options: Options) -> Any:
    """Objects keyed 0, 1, 2... become lists where the schema wants an array there."""
    if not isinstance(tree, dict):
        return tree
    if tree and all(key.isdigit() for key in tree) and _wants_array(schema, options):
        items = _items(schema, options)
        return [_lists(tree[key], items, options) for key in sorted(tree, key=int)]
    return {
        key: _lists(child, _property(schema, key, options), options) for key, child in tree.items()
    }


def _typed(value: Any, schema: Any, options: Options) -> Any:
    """Texts converted by the scalar types their schema declares (any option's)."""
    if isinstance(value, dict):
        return {
            key: _typed(child, _property(schema, key, options), options)
            for key, child in value.items()
        }
    if isinstance(value, list):
        items = _items(schema, options)
        return [_typed(child, items, options) for child in value]
    if not isinstance(value, str) or schema is None:
        return value
    types: list[str] = []
    for option in options(schema):
        for name in declared_types(option):
            if name in CONVERTED and name not in types:
                types.append(name)
    return coerce(value, tuple(types)) if types else value
