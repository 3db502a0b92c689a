"""JSON Schemas inside a spec: checked, `$ref`s into `schemas` wired up, compiled once."""

from __future__ import annotations

import threading
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ..pointer import escape_token, resolve_pointer
from .metaschema import surely_valid

SPEC_URI = "urn:mockserve:spec"
_SCHEMAS_PREFIX = "#/schemas/"
_LITERAL_KEYWORDS = frozenset(("const", "enum", "default", "examples", "example"))
_SPEC_SCHEMAS = SPEC_URI + _SCHEMAS_PREFIX
_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


class SchemaProblem(ValueError):
    """A schema that cannot be compiled; `path` locates it inside the schema."""

    def __init__(self, message: str, path: tuple[Any, ...] = ()):
        super().__init__(message)
        self.path = path


def _resolves(root: Any, pointer: str) -> bool:
    try:
        resolve_pointer(root, pointer)
    except LookupError:
        return False
    return True


_ANCHORS = frozenset({"$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$schema"})


def _movable(schema: Any) -> bool:
    """True when `schema` means the same wherever it stands: no local refs, no ids."""
    if isinstance(schema, list):
        return all(_movable(item) for item in schema)
    if not isinstance(schema, dict):
        return True
    if _ANCHORS & schema.keys():
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        return False
    return all(_movable(value) for key, value in schema.items() if key not in _LITERAL_KEYWORDS)


class SchemaCompiler:
    """Compiles the spec's schemas; `#/schemas/NAME` refs resolve into the spec's `schemas`."""

    def __init__(self, schemas: dict[str, Any]):
        self.names = set(schemas)
        self._lock = threading.Lock()
        self._root: dict[str, Any] = {"schemas": {}}
        self._problems: dict[str, SchemaProblem] = {}  # what `check(name=...)` reports
        for name, schema in schemas.items():
            try:
                self._root["schemas"][name] = self._rewrite(schema, name)
            except SchemaProblem as exc:
                self._problems[name] = exc
                self._root["schemas"][name] = {}
        resource = Resource.from_contents(self._root, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)

    def learn(self, schemas: dict[str, Any]) -> None:
        """Add the named schemas not known yet: a lazily converted route may bring some
        (an OpenAPI request body's twin without its readOnly requirements)."""
        with self._lock:
            # list(dict) copies the keys at once: another route's conversion may add more.
            new = {name: schemas[name] for name in list(schemas) if name not in self.names}
            self.names |= new.keys()
            for name, schema in new.items():
                try:
                    self._root["schemas"][name] = self._rewrite(schema, name)
                except SchemaProblem as exc:
                    self._problems[name] = exc
                    self._root["schemas"][name] = {}

    def _rewrite(self, schema: Any, name: str | None = None) -> Any:
        """Point `#/schemas/X` refs at the spec; check every other ref resolves.

        Copies containers only (one pass, no deepcopy): large OpenAPI documents have
        thousands of schemas to rewrite at load.
        """
        if not isinstance(schema, (dict, list)):
            return schema
        # A named schema is its own document to its author: its local refs (`#/$defs/x`)
        # must keep pointing into it once it sits inside the spec's `schemas`.
        home = ""
        if name is not None:
            home = SPEC_URI + _SCHEMAS_PREFIX + escape_token(name)
        return self._rewrite_node(schema, schema, (), home)

    def _rewrite_node(self, node: Any, root: Any, path: tuple[Any, ...], home: str) -> Any:
        if isinstance(node, list):
            return [
                self._rewrite_node(v, root, path + (i,), home) if isinstance(v, (dict, list)) else v
                for i, v in enumerate(node)
            ]
        out = {}
        for key, value in node.items():
            if isinstance(value, (dict, list)) and key not in _LITERAL_KEYWORDS:
                value = self._rewrite_node(value, root, path + (key,), home)
            out[key] = value
        ref = node.get("$ref")
        if isinstance(ref, str):
            out["$ref"] = self._rewrite_ref(ref, root, path, home)
        return out

    def _rewrite_ref(self, ref: str, root: Any, path: tuple[Any, ...], home: str = "") -> str:
        if ref.startswith(_SCHEMAS_PREFIX):
            name = ref[len(_SCHEMAS_PREFIX) :].split("/", 1)[0]
            if name not in self.names:
                known = ", ".join(sorted(self.names)) or "none"
                raise SchemaProblem(f"unknown $ref {ref!r} (schemas: {known})", path + ("$ref",))
            return SPEC_URI + ref
        if ref.startswith("#"):
            if not _resolves(root, ref[1:]):
                raise SchemaProblem(f"unknown $ref {ref!r}", path + ("$ref",))
            return home + ref[1:] if home else ref
        if not ref.startswith(SPEC_URI):
            raise SchemaProblem(
                f"unsupported $ref {ref!r}: refs must point into #/schemas/ or this schema",
                path + ("$ref",),
            )
        return ref

    def resolve_top(self, schema: Any) -> Any:
        """The schema itself, or what a top-level `#/schemas/NAME` ref (or allOf of them) names."""
        for _ in range(10):
            if not isinstance(schema, dict):
                return schema
            ref = schema.get("$ref")
            if isinstance(ref, str):
                name = ref.split("#/schemas/", 1)[-1] if "#/schemas/" in ref else None
                if name is None or "/" in name or name not in self._root["schemas"]:
                    return schema
                schema = self._root["schemas"][name]
                continue
            if isinstance(schema.get("allOf"), list) and "properties" not in schema:
                merged: dict[str, Any] = {}
                for part in schema["allOf"]:
                    part = self.resolve_top(part)
                    if isinstance(part, dict):
                        merged.update(part.get("properties") or {})
                return {"properties": merged}
            return schema
        return schema

    def _inline(self, schema: Any, seen: frozenset[str]) -> Any:
        """Replace a schema that is only `{$ref: #/schemas/NAME}` by NAME's schema.

        The errors (paths and messages) are the same; jsonschema no longer resolves the
        reference for every request it validates. Recursive schemas, and ones whose own
        refs or ids would resolve differently once moved, keep their `$ref`.
        """
        if isinstance(schema, list):
            return [self._inline(item, seen) for item in schema]
        if not isinstance(schema, dict):
            return schema
        ref = schema.get("$ref")
        if len(schema) == 1 and isinstance(ref, str) and ref.startswith(_SPEC_SCHEMAS):
            name = ref[len(_SPEC_SCHEMAS) :]
            target = self._root["schemas"].get(name)
            if name not in seen and target is not None and _movable(target):
                return self._inline(target, seen | {name})
            return schema
        return {
            key: value if key in _LITERAL_KEYWORDS else self._inline(value, seen)
            for key, value in schema.items()
        }

    def check(self, schema: Any, *, meta: bool = True, name: str | None = None) -> None:
        """Raise SchemaProblem when `schema` is not a valid JSON Schema or has a bad ref.

        `name`: the schema is the spec's `schemas.NAME`, whose refs were checked when it
        was rewritten for the registry.
        """
        try:
            if meta and not surely_valid(schema):
                Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            path = tuple(exc.path)
            message = exc.message
            if path and path[-1] == "type":
                message = f"{exc.instance!r} is not a JSON Schema type (use {', '.join(_TYPES)})"
            raise SchemaProblem(f"invalid JSON Schema: {message}", path) from None
        if name is not None and name in self.names:
            if name in self._problems:
                raise self._problems[name]
            return
        self._rewrite(schema)

    def compile(self, schema: Any) -> Validator:
        """A validator for `schema`; call `check` first."""
        return Draft202012Validator(
            self._inline(self._rewrite(schema), frozenset()),
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
