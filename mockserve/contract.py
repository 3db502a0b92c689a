"""Check a request against a route's contract: query, headers, path and body.

Every part is checked and every failure is collected, so one 422 tells the client
everything that is wrong. Validators are built once, when the spec loads.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl
from dataclasses import dataclass, field
from typing import Any

from jsonschema.protocols import Validator
from werkzeug.datastructures import MultiDict

Failure = dict[str, str]

_CONVERTERS = {"integer": int, "number": float}


def json_pointer(parts: Any) -> str:
    """The RFC 6901 pointer for a jsonschema error path (`""` for the whole)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def schema_failures(validator: Validator, instance: Any, where: str) -> list[Failure]:
    """Every schema failure of `instance`, as `{in, path, message}`."""
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
    return [
        {"in": where, "path": json_pointer(error.absolute_path), "message": error.message}
        for error in errors
    ]


def _coerce(value: str, types: tuple[str, ...]) -> Any:
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


@dataclass(frozen=True)
class ParameterContract:
    """Query, header or path parameters: strings, converted where the schema says so."""

    location: str
    validator: Validator
    types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spelling: dict[str, str] = field(default_factory=dict)  # lower-case name -> schema's
    arrays: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> item types

    def convert(self, values: MultiDict | dict[str, Any]) -> dict[str, Any]:
        """Turn raw values into what the schema checks: typed scalars, lists for repeats."""
        result: dict[str, Any] = {}
        getlist = getattr(values, "getlist", None)
        for raw_name in values.keys():
            name = self.spelling.get(raw_name.lower(), raw_name) if self.spelling else raw_name
            items = getlist(raw_name) if getlist else [values[raw_name]]
            if name in self.arrays:  # `type: array`: a list even when given once
                types = self.arrays[name]
                result[name] = [_coerce(i, types) if isinstance(i, str) else i for i in items]
                continue
            types = self.types.get(name)
            if types:
                items = [_coerce(item, types) if isinstance(item, str) else item for item in items]
            result[name] = items[0] if len(items) == 1 else items
        return result

    def check(self, values: dict[str, Any]) -> list[Failure]:
        return schema_failures(self.validator, values, self.location)


@dataclass(frozen=True)
class BodyContract:
    """What the request body must be: a content type, then a schema."""

    content_type: str
    validator: Validator | None


@dataclass(frozen=True)
class ParsedBody:
    text: str
    value: Any  # parsed JSON or form object, else the text; None when empty or unparsable
    json: Any
    failures: list[Failure]


FORM = "application/x-www-form-urlencoded"


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are Python's extensions, not JSON: refuse them like other bad JSON."""
    raise ValueError(f"{name} is not a JSON value")


def parse_body(raw: bytes, content_type: str | None) -> ParsedBody:
    """Parse a body by its Content-Type, recording why it could not be parsed."""
    if not raw:
        return ParsedBody("", None, None, [])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"body is not valid UTF-8 (byte {exc.start})"
        return ParsedBody(raw.decode("utf-8", "replace"), None, None,
                          [{"in": "body", "path": "", "message": message}])
    kind = media_type(content_type)
    if kind == "application/json" or kind.endswith("+json"):
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
            message = f"body is not valid JSON: {reason}"
            return ParsedBody(text, None, None, [{"in": "body", "path": "", "message": message}])
        return ParsedBody(text, value, value, [])
    if kind == FORM:
        fields = MultiDict(parse_qsl(text, keep_blank_values=True))
        value = {key: (items[0] if len(items) == 1 else items) for key, items in fields.lists()}
        return ParsedBody(text, value, None, [])
    return ParsedBody(text, text, None, [])


def check_body(contract: BodyContract, content_type: str | None, body: ParsedBody) -> list[Failure]:
    """Presence first (no body says more than its missing type), then type, parsing, schema."""
    if not body.text and body.value is None:
        return [{"in": "body", "path": "", "message": "a request body is required"}]
    got = media_type(content_type)
    if got != contract.content_type:
        shown = content_type or "none"
        message = f"Content-Type must be {contract.content_type}, got {shown}"
        return [{"in": "headers", "path": "/content-type", "message": message}]
    if body.failures:
        return body.failures
    if contract.validator is None:
        return []
    return schema_failures(contract.validator, body.value, "body")
