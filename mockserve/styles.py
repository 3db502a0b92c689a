"""OpenAPI parameters read by their `style` and `explode`, compiled once per route.

The converter marks a parameter whose value is not one plain string with `STYLE`
(`{"style": "form", "explode": false}`) on its schema, and cookie parameters as one
`cookie` property of the headers schema (`{"in": "cookie"}`). When the route's contract
is compiled, each marked parameter gets a `Reader`: at request time it only splits
text and converts the pieces by the types its schema declared, then the schema checks
the value as usual (a 422 names `/filter/size`, `/ids/1` or `/cookie/session`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_cookie

from .values import coerce, converted_types, header_key, layout, merged_schema

STYLE = "x-mockserve-style"
COOKIE = "cookie"  # the headers property that holds the cookie parameters

# OpenAPI's defaults: `form` (exploded) for query and cookie, `simple` for path and header
DEFAULT_STYLES = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
_PREFIXED = ("label", "matrix")  # styles that add text even to a single value
_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|", "simple": ","}
_OWN_NAMES = ("form", "spaceDelimited", "pipeDelimited")  # exploded objects: names of their own

Resolve = Callable[[Any], Any]


def annotation(parameter: dict[str, Any], location: str, schema: Any) -> dict[str, Any] | None:
    """How a parameter is serialized, for its schema: None when it is one plain string."""
    default = DEFAULT_STYLES.get(location, "simple")
    style = parameter.get("style") if isinstance(parameter.get("style"), str) else default
    explode = parameter.get("explode")
    if not isinstance(explode, bool):
        explode = style == "form"
    if layout(schema) == "scalar" and style not in _PREFIXED and location != "cookie":
        return None
    return {"style": style, "explode": explode}


@dataclass(frozen=True)
class Shape:
    """What a parameter's value is, read from its schema once: types to convert to."""

    kind: str  # array | object | scalar
    types: tuple[str, ...] = ()  # a scalar's or an array's items' types
    properties: dict[str, tuple[str, ...]] = field(default_factory=dict)  # an object's
    free: bool = True  # an object that takes names it does not declare


def shape(schema: Any, resolve: Resolve) -> Shape:
    """The shape of a parameter's schema (refs followed through `resolve`)."""
    schema = merged_schema(schema, resolve)
    kind = layout(schema)
    if kind == "array":
        items = resolve(schema.get("items"))
        return Shape("array", converted_types(items))
    if kind == "object":
        declared = schema.get("properties") or {}
        properties = {str(name): converted_types(resolve(sub)) for name, sub in declared.items()}
        return Shape("object", (), properties, schema.get("additionalProperties") is not False)
    return Shape("scalar", converted_types(schema))


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def _pairs(parts: list[str]) -> dict[str, str] | None:
    """`[k, v, k, v]` as an object; None when the count is odd."""
    if len(parts) % 2:
        return None
    return dict(zip(parts[::2], parts[1::2], strict=True))


def _assignments(parts: Iterable[str]) -> dict[str, str]:
    """`["k=v", "k2=v2"]` as an object."""
    return dict(part.partition("=")[::2] for part in parts if part)


@dataclass(frozen=True)
class Reader:
    """One parameter: its raw text(s) in, the structured value its schema checks out."""

    name: str
    style: str
    explode: bool
    shape: Shape
    others: frozenset[str] = frozenset()  # the location's other parameters: never taken
    key: str = ""  # the raw name it arrives under, when not `name` (headers: lower case)

    def read(self, values: MultiDict) -> tuple[Any, list[str]]:
        """The value (or MISSING) and the raw names it consumed besides its own."""
        if self.style == "deepObject":
            prefix = self.name + "["
            found = {
                key[len(prefix) : -1]: values.getlist(key)[-1]
                for key in values.keys()
                if key.startswith(prefix) and key.endswith("]")
            }
            if not found:
                return MISSING, []
            return self._typed(found), [prefix + key + "]" for key in found]
        if self.shape.kind == "object" and self.explode and self.style in _OWN_NAMES:
            return self._exploded_object(values)
        texts = values.getlist(self.key or self.name)
        if not texts:
            return MISSING, []
        if self.style in ("label", "matrix"):
            return self._typed(self._prefixed(texts[-1])), []
        if self.style == "simple":  # a header sent twice is one list: join, then split
            texts = [",".join(texts)]
        return self._typed(self._delimited(texts)), []

    def _exploded_object(self, values: MultiDict) -> tuple[Any, list[str]]:
        """`?color=blue&size=M` is `filter: {color: blue, size: M}`: names from the object."""
        wanted = [
            key
            for key in values.keys()
            if key in self.shape.properties or (self.shape.free and key not in self.others)
        ]
        if not wanted:
            return MISSING, []
        return self._typed({key: values.getlist(key)[-1] for key in wanted}), wanted

    def _delimited(self, texts: list[str]) -> Any:
        if self.shape.kind == "scalar":
            return texts[-1]
        delimiter = _DELIMITERS.get(self.style, ",")
        if self.shape.kind == "array":
            if self.explode and self.style != "simple":
                return texts  # repeated: `?id=1&id=2`
            return [part for text in texts if text for part in text.split(delimiter)]
        text = texts[-1]
        if self.style == "simple" and self.explode:
            return _assignments(text.split(","))  # `role=admin,name=Alex`
        pairs = _pairs(text.split(delimiter))
        return text if pairs is None else pairs

    def _prefixed(self, text: str) -> Any:
        """`label` (`.a.b`, `.a,b`) and `matrix` (`;id=5`, `;id=3;id=4`) path values."""
        if self.style == "label":
            if not text.startswith("."):
                return text
            body = text[1:]
            separator = "." if self.explode else ","
            if self.shape.kind == "scalar":
                return body
            parts = body.split(separator) if body else []
            if self.shape.kind == "array":
                return parts
            if self.explode:
                return _assignments(parts)
            pairs = _pairs(parts)
            return text if pairs is None else pairs
        if not text.startswith(";"):
            return text
        parts = text[1:].split(";")
        if self.shape.kind == "object" and self.explode:
            return _assignments(parts)
        named = [part.partition("=")[2] for part in parts if part.partition("=")[0] == self.name]
        if not named:
            return text
        if self.shape.kind == "scalar":
            return named[-1]
        if self.shape.kind == "array":
            if self.explode:
                return named
            return named[-1].split(",") if named[-1] else []
        pairs = _pairs(named[-1].split(","))
        return text if pairs is None else pairs

    def _typed(self, value: Any) -> Any:
        """Pieces of text converted by the schema's types, as a top-level value is."""
        if isinstance(value, list):
            return [coerce(item, self.shape.types) for item in value]
        if isinstance(value, dict):
            types = self.shape.properties
            return {k: coerce(v, types[k]) if types.get(k) else v for k, v in value.items()}
        return coerce(value, self.shape.types) if isinstance(value, str) else value


@dataclass(frozen=True)
class Readers:
    """A location's readers; `cookies` reads the Cookie header into one object."""

    location: str
    readers: tuple[Reader, ...] = ()
    cookies: Readers | None = None
    cookie_name: str = COOKIE
    names: frozenset[str] = frozenset()  # the parameters read by a style

    def read(self, values: Any) -> tuple[dict[str, Any], set[str]]:
        """Structured values by parameter name, and every raw name they were read from."""
        multi = _multi(values, self.location)
        result: dict[str, Any] = {}
        used: set[str] = set()
        for reader in self.readers:
            value, consumed = reader.read(multi)
            used.add(reader.key or reader.name)
            used.update(consumed)
            if value is not MISSING:
                result[reader.name] = value
        if self.cookies is not None:
            header = ", ".join(multi.getlist(header_key(self.cookie_name)))
            jar = MultiDict(parse_cookie(header.replace(", ", "; ")))
            result[self.cookie_name] = self.cookies.read(jar)[0]
            used.add(self.cookie_name)
        if self.location == "headers":
            used = {header_key(name) for name in used}
        return result, used


def _multi(values: Any, location: str) -> MultiDict:
    """Query args, path values or headers as one MultiDict (headers by lower-case name)."""
    if location == "headers":
        return MultiDict((header_key(k), v) for k, v in values.items())
    if isinstance(values, MultiDict):
        return values
    return MultiDict(values)


def compile_readers(schema: Any, location: str, resolve: Resolve) -> Readers | None:
    """Readers for a location schema's marked properties; None when none is marked."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return None
    names = frozenset(str(name) for name in properties)
    readers = []
    cookies = None
    cookie_name = COOKIE
    for name, sub in properties.items():
        mark = sub.get(STYLE) if isinstance(sub, dict) else None
        if not isinstance(mark, dict):
            continue
        if mark.get("in") == "cookie":
            cookies = compile_readers(merged_schema(sub, resolve), "cookie", resolve)
            cookies = cookies or Readers("cookie")
            cookie_name = str(name)
            continue
        readers.append(
            Reader(
                str(name),
                str(mark.get("style", DEFAULT_STYLES.get(location, "simple"))),
                bool(mark.get("explode", False)),
                shape(sub, resolve),
                names - {str(name)},
                header_key(str(name)) if location == "headers" else "",
            )
        )
    if location == "cookie":  # every cookie is read here: the Cookie header is one text
        marked = {reader.name for reader in readers}
        readers += [
            Reader(str(name), "form", True, shape(sub, resolve))
            for name, sub in properties.items()
            if str(name) not in marked
        ]
    if not readers and cookies is None:
        return None
    names = frozenset(reader.name for reader in readers)
    return Readers(location, tuple(readers), cookies, cookie_name, names)


def validator_resolve(validator: Any) -> Resolve:
    """Follow a compiled schema's `$ref`s through its validator's registry."""
    resolver = getattr(validator, "_resolver", None)

    def resolve(schema: Any) -> Any:
        for _ in range(20):
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if not isinstance(ref, str) or resolver is None:
                return schema
            try:
                target = resolver.lookup(ref).contents
            except Exception:  # an unresolvable ref is the validator's to report
                return schema
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **extra} if isinstance(target, dict) and extra else target
        return schema

    return resolve
