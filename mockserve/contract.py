"""Check a request against a route's contract: query, headers, path and body.

Every part is checked and every failure is collected, so one 422 tells the client
everything that is wrong. Validators are built once, when the spec loads.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from jsonschema.protocols import Validator
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header

from .media import is_json_media, media_type
from .pointer import json_pointer
from .quickschema import Quick, quick_check
from .styles import compile_readers, validator_resolve
from .values import coerce, header_key

Failure = dict[str, str]

# JSON bodies nested deeper than this (arrays and objects) are refused: checking a schema
# against them, or echoing them in a template, would recurse as deep as the client chose.
MAX_BODY_DEPTH = 100


def schema_failures(
    validator: Validator, instance: Any, where: str, quick: Quick | None = None
) -> list[Failure]:
    """Every schema failure of `instance`, as `{in, path, message}`.

    `quick` (quickschema.py) answers first for a valid instance, which is most of them.
    """
    if quick is not None and quick(instance):
        return []
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
    return [
        {"in": where, "path": json_pointer(error.absolute_path), "message": error.message}
        for error in errors
    ]


def convert_fields(
    values: Any,
    types: dict[str, tuple[str, ...]],
    arrays: frozenset[str] = frozenset(),
    spelling: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Typed values by the schema's top-level property types (query, headers, form fields)."""
    result: dict[str, Any] = {}
    getlist = getattr(values, "getlist", None)
    for raw_name in values.keys():
        name = spelling.get(header_key(raw_name), raw_name) if spelling else raw_name
        items = getlist(raw_name) if getlist else values[raw_name]
        items = items if isinstance(items, list) else [items]
        wanted = types.get(name)
        if wanted:
            items = [coerce(item, wanted) if isinstance(item, str) else item for item in items]
        result[name] = items if name in arrays or len(items) != 1 else items[0]
    return result


def _marked(schema: Any) -> bool:
    """Whether a location schema has a property the OpenAPI converter marked with a style."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return isinstance(properties, dict) and any(
        isinstance(sub, dict) and "x-mockserve-style" in sub for sub in properties.values()
    )


def _without(values: Any, used: set[str], location: str) -> Any:
    """The raw values a style reader did not take (header names compared by `header_key`)."""
    if location == "headers":
        return Headers([(k, v) for k, v in values.items() if header_key(k) not in used])
    pairs = values.items(multi=True) if isinstance(values, MultiDict) else values.items()
    return MultiDict([(k, v) for k, v in pairs if k not in used])


@dataclass(frozen=True)
class ParameterContract:
    """Query, header or path parameters: strings, converted where the schema says so."""

    location: str
    validator: Validator
    types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spelling: dict[str, str] = field(default_factory=dict)  # lower-case name -> schema's
    arrays: frozenset[str] = frozenset()  # names whose schema is an array: always a list
    # OpenAPI `style`/`explode` readers (styles.py), compiled from the schema
    readers: Any = field(default=None, init=False, repr=False, compare=False)
    quick: Quick | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        schema = getattr(self.validator, "schema", None)
        object.__setattr__(self, "quick", quick_check(schema))
        if _marked(schema):
            readers = compile_readers(schema, self.location, validator_resolve(self.validator))
            object.__setattr__(self, "readers", readers)

    def convert(self, values: Mapping[str, Any] | Headers) -> dict[str, Any]:
        """Turn raw values into what the schema checks: typed scalars, lists for repeats."""
        if self.location == "path":  # an empty segment (`/things//parts`) is a missing value
            values = {name: value for name, value in values.items() if value != ""}
        if self.readers is None:
            return convert_fields(values, self.types, self.arrays, self.spelling)
        styled, used = self.readers.read(values)  # OpenAPI styles: read, the rest as usual
        rest = _without(values, used, self.location)
        return {**convert_fields(rest, self.types, self.arrays, self.spelling), **styled}

    def check(self, values: dict[str, Any]) -> list[Failure]:
        return schema_failures(self.validator, values, self.location, self.quick)


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class BodyContract:
    """What the request body must be: a content type, then a schema.

    `alternatives` are more accepted media types, each with its own schema (an OpenAPI
    request body may declare JSON, XML and form at once); `*/*` and `image/*` match
    any type of that family. Form and multipart fields are converted by `types` first.
    """

    content_type: str
    validator: Validator | None
    types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    arrays: frozenset[str] = frozenset()
    required: bool = True
    alternatives: tuple[BodyContract, ...] = ()
    # XML bodies: the schema's layout, compiled once (xmlbody.py)
    xml: Any = field(default=None, init=False, repr=False, compare=False)
    # Form bodies: bracketed names (`address[city]`) read by the schema (formbody.py)
    form: Any = field(default=None, init=False, repr=False, compare=False)
    quick: Quick | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Form and XML bodies: how their schema reads them, compiled once."""
        if self.validator is None:
            return
        object.__setattr__(self, "quick", quick_check(getattr(self.validator, "schema", None)))
        if self.content_type in (FORM, MULTIPART):
            from .formbody import compile_form

            reader: Any = compile_form
            slot = "form"
        elif "xml" in self.content_type:  # imported only for a body that may be XML
            from .xmlbody import compile_xml, is_xml

            if not is_xml(self.content_type):
                return
            reader, slot = compile_xml, "xml"
        else:
            return
        schema = getattr(self.validator, "schema", None)
        object.__setattr__(self, slot, reader(schema, validator_resolve(self.validator)))

    def accepts(self, media: str) -> bool:
        wanted = self.content_type
        if wanted == "*/*":
            return bool(media)
        if wanted.endswith("/*"):
            return media.startswith(wanted[:-1])
        return media == wanted

    def for_media(self, media: str) -> BodyContract | None:
        """The contract for a request of this media type, or None when none accepts it."""
        return next((c for c in (self, *self.alternatives) if c.accepts(media)), None)


@dataclass(frozen=True)
class ParsedBody:
    text: str
    value: Any  # parsed JSON or form object, else the text; None when empty or unparsable
    json: Any
    failures: list[Failure]


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are Python's extensions, not JSON: refuse them like other bad JSON."""
    raise ValueError(f"{name} is not a JSON value")


def parse_body(raw: bytes, content_type: str | None) -> ParsedBody:
    """Parse a body by its Content-Type, recording why it could not be parsed."""
    if not raw:
        return ParsedBody("", None, None, [])
    kind = media_type(content_type)
    if kind == MULTIPART:
        return _parse_multipart(raw, content_type or "")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", "replace")
        if kind and not (kind.startswith("text/") or kind == FORM or "json" in kind):
            return ParsedBody(text, text, None, [])  # binary uploads are not text
        message = f"body is not valid UTF-8 (byte {exc.start})"
        return ParsedBody(text, None, None, [{"in": "body", "path": "", "message": message}])
    if is_json_media(kind):
        too_deep = f"body is nested more than {MAX_BODY_DEPTH} levels deep"
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            message = (
                too_deep if isinstance(exc, RecursionError) else f"body is not valid JSON: {exc}"
            )
            return ParsedBody(text, None, None, [{"in": "body", "path": "", "message": message}])
        if _deeper_than(value, text, MAX_BODY_DEPTH):
            return ParsedBody(text, None, None, [{"in": "body", "path": "", "message": too_deep}])
        return ParsedBody(text, value, value, [])
    if kind == FORM:
        fields = MultiDict(parse_qsl(text, keep_blank_values=True))
        value = {key: (items[0] if len(items) == 1 else items) for key, items in fields.lists()}
        return ParsedBody(text, value, None, [])
    return ParsedBody(text, text, None, [])


def _deeper_than(value: Any, text: str, limit: int) -> bool:
    """True when arrays and objects nest more than `limit` levels (`[]` is one level)."""
    if text.count("[") + text.count("{") <= limit:  # cheap and common: it cannot be
        return False
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _parse_multipart(raw: bytes, content_type: str) -> ParsedBody:
    """Multipart fields as an object of strings; an uploaded file as its text."""
    text = raw.decode("utf-8", "replace")
    mimetype, options = parse_options_header(content_type)
    try:
        _, form, files = FormDataParser().parse(io.BytesIO(raw), mimetype, len(raw), options)
    except ValueError as exc:
        message = f"body is not valid multipart: {exc}"
        return ParsedBody(text, None, None, [{"in": "body", "path": "", "message": message}])
    fields = MultiDict(form)
    for name, upload in files.items(multi=True):
        fields.add(name, upload.read().decode("utf-8", "replace"))
    value = {key: (items[0] if len(items) == 1 else items) for key, items in fields.lists()}
    return ParsedBody(text, value, None, [])


def check_body(contract: BodyContract, content_type: str | None, body: ParsedBody) -> list[Failure]:
    """Presence first (no body says more than its missing type), then type, parsing, schema."""
    got = media_type(content_type)
    chosen = contract.for_media(got)
    if not body.text and body.value is None:
        if not contract.required or (chosen is not None and chosen.validator is None):
            return []  # an empty upload of a declared type (`image/jpeg`) is a body too
        return [{"in": "body", "path": "", "message": "a request body is required"}]
    if chosen is None:
        shown = content_type or "none"
        wanted = " or ".join(c.content_type for c in (contract, *contract.alternatives))
        message = f"Content-Type must be {wanted}, got {shown}"
        return [{"in": "headers", "path": "/content-type", "message": message}]
    if body.failures:
        return body.failures
    if chosen.validator is None:
        return []
    value = body.value
    if chosen.xml is not None:  # read by the schema's `xml` objects, then checked like JSON
        from .xmlbody import named

        value, names, failures = chosen.xml.read(body.text)
        failed = schema_failures(chosen.validator, value, "body", chosen.quick)
        return failures or named(failed, names)
    if chosen.form is not None and isinstance(value, dict) and got in (FORM, MULTIPART):
        value = chosen.form.read(value)
    if (chosen.types or chosen.arrays) and isinstance(value, dict) and got in (FORM, MULTIPART):
        value = convert_fields(value, chosen.types, chosen.arrays)
        # A form cannot send an empty array: it is no field at all.
        value.update((name, []) for name in chosen.arrays if name not in value)
    return schema_failures(chosen.validator, value, "body", chosen.quick)
