"""Read a request or a response as a pact of a given specification version writes it.

V1/V2 write the query as a string, V3/V4 as lists by name; V4 writes bodies as
`{"content", "contentType", "encoded"}` and header values as lists. Each reader raises
`PartError` with the JSON pointer of what is wrong, relative to the part.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl

from ..pointer import json_pointer
from .generators import GeneratorError, read_generator
from .model import EMPTY, MISSING, NULL, PRESENT, Body, Request, Response, is_json_type
from .rules import RuleError, read_matching_rules


class PartError(ValueError):
    """Something in a request or response that cannot be read: where (a pointer) and why."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def major(version: str) -> int:
    """`"1.0.0"` -> 1, `"4.0"` -> 4."""
    head = str(version).lstrip("vV").split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def read_request(raw: Any, version: int) -> Request:
    """An interaction's request, of specification `version` (1 to 4)."""
    if not isinstance(raw, dict):
        raise PartError("", "a request is an object")
    method = raw.get("method", "GET")
    path = raw.get("path", "/")
    if not isinstance(method, str) or not method:
        raise PartError("/method", "the method is a string")
    if not isinstance(path, str):
        raise PartError("/path", "the path is a string")
    headers = read_headers(raw.get("headers"))
    return Request(
        method=method.upper(),
        path=path,
        query=read_query(raw["query"], version) if "query" in raw else None,
        query_text=raw["query"] if isinstance(raw.get("query"), str) else None,
        headers=headers,
        body=read_body(raw, headers, version),
        rules=_rules(raw, version),
        generators=_generators(raw),
    )


def read_response(raw: Any, version: int) -> Response:
    """An interaction's response, of specification `version` (1 to 4)."""
    if not isinstance(raw, dict):
        raise PartError("", "a response is an object")
    status = raw.get("status", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise PartError("/status", f"the status is a number from 100 to 599, not {status!r}")
    headers = read_headers(raw.get("headers"))
    return Response(
        status=status,
        headers=headers,
        body=read_body(raw, headers, version),
        rules=_rules(raw, version),
        generators=_generators(raw),
    )


def read_query(raw: Any, version: int) -> dict[str, tuple[str, ...]]:
    """`"a=1&b=2"` (V1/V2) or `{"a": ["1"]}` (V3/V4; a lone string is one value)."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(raw, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        return {name: tuple(values) for name, values in query.items()}
    if not isinstance(raw, dict):
        raise PartError("/query", "the query is a string or an object of lists")
    result: dict[str, tuple[str, ...]] = {}
    for name, values in raw.items():
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise PartError(f"/query/{name}", "a query parameter's values are strings")
        result[name] = tuple(values)
    return result


def read_headers(raw: Any) -> tuple[tuple[str, str], ...]:
    """`{"Accept": "a, b"}`, or V4's `{"Accept": ["a", "b"]}` (one value: `a, b`)."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise PartError("/headers", "the headers are an object")
    headers = []
    for name, value in raw.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(value)
        if not isinstance(value, str):
            raise PartError(f"/headers/{name}", "a header's value is a string (or a list)")
        headers.append((str(name), value))
    return tuple(headers)


def _content_type(headers: tuple[tuple[str, str], ...]) -> str | None:
    for name, value in headers:
        if name.lower() == "content-type":
            return value
    return None


def read_body(raw: dict[str, Any], headers: tuple[tuple[str, str], ...], version: int) -> Body:
    """A body: missing, null, empty, JSON, or text (V4: content, contentType, encoded)."""
    if "body" not in raw:
        return Body(MISSING)
    body = raw["body"]
    content_type = _content_type(headers)
    if version >= 4 and isinstance(body, dict) and "content" in body:
        return _v4_body(body, content_type)
    if body is None:
        return Body(NULL, b"", content_type)
    if body == "":
        return Body(EMPTY, b"", content_type)
    if isinstance(body, str) and not is_json_type(content_type):
        return Body(PRESENT, body.encode(), content_type)
    return Body.of_json(body, content_type or "application/json")


def _v4_body(body: dict[str, Any], header_type: str | None) -> Body:
    content = body.get("content")
    content_type = body.get("contentType") or header_type
    encoded = body.get("encoded", False)
    if content is None:
        return Body(NULL, b"", content_type)
    if content == "":
        return Body(EMPTY, b"", content_type)
    if isinstance(encoded, str) and encoded.lower() == "base64":
        if not isinstance(content, str):
            raise PartError("/body/content", "base64 content is a string")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise PartError("/body/content", "not valid base64") from None
        return Body.of_bytes(data, content_type, json_expected=False)
    if isinstance(encoded, str) and encoded.lower() == "json" and isinstance(content, str):
        try:
            return Body.of_json(json.loads(content), content_type or "application/json")
        except ValueError:
            raise PartError("/body/content", "'encoded: json' content is not JSON") from None
    if isinstance(content, str) and not is_json_type(content_type):
        return Body(PRESENT, content.encode(), content_type)
    return Body.of_json(content, content_type or "application/json")


def _rules(raw: dict[str, Any], version: int) -> Any:
    try:
        return read_matching_rules(raw.get("matchingRules"), version)
    except RuleError as exc:
        raise PartError("/matchingRules" + json_pointer(exc.where), exc.message) from None


def _generators(raw: dict[str, Any]) -> dict[str, Any]:
    generators = raw.get("generators") or {}
    if not isinstance(generators, dict):
        raise PartError("/generators", "'generators' is an object of categories")
    for category, entries in generators.items():
        if category in ("status", "method", "path") and isinstance(entries, dict):
            entries = {"": entries} if "type" in entries else entries
        if not isinstance(entries, dict):
            raise PartError(f"/generators/{category}", "a category's generators are an object")
        for where, generator in entries.items():
            try:
                read_generator(generator, {})
            except GeneratorError as exc:
                raise PartError(f"/generators/{category}/{where}".rstrip("/"), str(exc)) from None
    return generators
