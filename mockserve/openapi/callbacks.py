"""An operation's OpenAPI `callbacks` and a 3.1 document's `webhooks`, as spec entries.

A callback's URL is written with runtime expressions (`{$request.body#/callbackUrl}/data`);
each becomes the template expression that reads the same value (`request.json.callbackUrl`),
so the loader compiles them like any other callback. The body sent is the callback
operation's example, else one generated from its schema, fixed at conversion time.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from ..pointer import unescape_token
from ..templating import literal, literal_value
from .terms import METHODS, NO_BODY, is_json_media


class Converter(Protocol):
    """What callbacks need of the document's converter (which calls them)."""

    document: dict[str, Any]

    def deref(self, value: Any, where: str) -> Any: ...

    def warn(self, message: str) -> None: ...

    def example_value(self, media: dict[str, Any], where: str) -> Any: ...


_EMBEDDED = re.compile(r"\{(\$[^{}]*)\}")


class NotAnExpression(ValueError):
    """A runtime expression mockserve cannot read (the callback is skipped, with a warning)."""


def _pointer(pointer: str) -> str:
    """`#/a/0/b~1c` as Jinja subscripts: `["a"][0]["b/c"]`."""
    if not pointer:
        return ""
    if not pointer.startswith("/"):
        raise NotAnExpression(f"#{pointer} is not a JSON Pointer")
    parts = []
    for token in pointer[1:].split("/"):
        token = unescape_token(token)
        parts.append(f"[{token}]" if token.isdigit() else f"[{json.dumps(token)}]")
    return "".join(parts)


def expression(text: str, renamed: dict[str, str]) -> str:
    """One runtime expression (`$request.query.x`) as a template expression."""
    source, _, pointer = text.partition("#")
    if source == "$url":
        return "request.url"
    if source == "$method":
        return "request.method"
    if source == "$statusCode":
        return "response.status"
    if source in ("$request.body", "$response.body"):
        base = "request.json" if source.startswith("$request") else "response.json"
        return base + _pointer(pointer)
    place, _, name = source.partition(".")[2].partition(".")
    if not name or pointer:
        raise NotAnExpression(f"{text!r} is not a runtime expression mockserve reads")
    if source.startswith("$request."):
        if place == "path":
            return f"path[{json.dumps(renamed.get(name, name))}]"
        if place == "query":
            return f"request.query[{json.dumps(name)}]"
        if place == "header":
            return f"headers[{json.dumps(name.lower())}]"
    if source.startswith("$response.") and place == "header":
        return f"response.headers[{json.dumps(name)}]"
    raise NotAnExpression(f"{text!r} is not a runtime expression mockserve reads")


def url_template(key: str, renamed: dict[str, str]) -> str:
    """A callback's URL key as a template: a bare expression, or text with `{$...}` in it."""
    if key.startswith("$"):
        return "{{ " + expression(key, renamed) + " }}"
    pieces, last = [], 0
    for found in _EMBEDDED.finditer(key):
        pieces.append(literal(key[last : found.start()]))
        pieces.append("{{ " + expression(found.group(1), renamed) + " }}")
        last = found.end()
    pieces.append(literal(key[last:]))
    return "".join(pieces)


def _request(converter: Converter, operation: dict[str, Any], where: str) -> dict[str, Any]:
    """The method-independent part of a callback or webhook: its body, by example or schema."""
    sent: dict[str, Any] = {}
    body = converter.deref(operation.get("requestBody"), where)
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict) or not content:
        return sent
    media_type, media = next(iter(content.items()))
    media = converter.deref(media, where)
    if not isinstance(media, dict):
        return sent
    value = converter.example_value(media, where + " requestBody")
    if value is NO_BODY:
        return sent
    if is_json_media(str(media_type)):
        sent["json"] = literal_value(value)
    else:
        sent["text"] = literal(value if isinstance(value, str) else json.dumps(value))
        sent["headers"] = {"Content-Type": str(media_type)}
    return sent


def route_callbacks(
    converter: Converter, operation: dict[str, Any], renamed: dict[str, str], where: str
) -> list[dict[str, Any]]:
    """The `callbacks:` of the route made from `operation`, in the document's order."""
    found = []
    callbacks = operation.get("callbacks")
    for name, item in callbacks.items() if isinstance(callbacks, dict) else ():
        item = converter.deref(item, f"{where} callbacks.{name}")
        for key, path_item in item.items() if isinstance(item, dict) else ():
            path_item = converter.deref(path_item, f"{where} callbacks.{name}")
            at = f"{where} callbacks.{name}[{key!r}]"
            try:
                url = url_template(str(key), renamed)
            except NotAnExpression as exc:
                converter.warn(f"{at}: {exc}; this callback is not sent")
                continue
            for method in METHODS:
                callback = path_item.get(method) if isinstance(path_item, dict) else None
                if isinstance(callback, dict):
                    sent = _request(converter, callback, f"{at} {method}")
                    found.append({"name": str(name), "url": url, "method": method.upper(), **sent})
    return found


def document_webhooks(converter: Converter) -> dict[str, dict[str, Any]]:
    """A 3.1 document's `webhooks`, each the first operation of its path item."""
    webhooks = converter.document.get("webhooks")
    found = {}
    for name, item in webhooks.items() if isinstance(webhooks, dict) else ():
        item = converter.deref(item, f"webhooks.{name}")
        for method in METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict):
                sent = _request(converter, operation, f"webhooks.{name} {method}")
                found[str(name)] = {"method": method.upper(), **sent}
                break
    return found
