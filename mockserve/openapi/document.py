"""Reading an OpenAPI document: the converter's shared state and bookkeeping.

`DocumentReader` holds what every part of the conversion reads (the document, its
converted schemas, the value generator, the warnings) and follows `$ref`s; the parts
that turn operations into routes, responses into answers and security requirements into
401s build on it (`convert.py`, `answers.py`, `security.py`).
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from ..pointer import resolve_pointer
from ..report import plural
from .dialect import Dialect
from .generate import Generator

_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+*-]+/[A-Za-z0-9!#$&^_.+*-]+$")


def bare_media(key: str) -> str | None:
    """A media type without its parameters (`application/json; charset=utf-8` ->
    `application/json`), or None when the text is not a media type at all."""
    base = str(key).split(";", 1)[0].strip().lower()
    return base if _MEDIA_TYPE.match(base) else None


def clean_path(key: str) -> str:
    """`/files/{id}#add_shared_link` and `/responses/{id}?beta=true` -> the URL's path."""
    for mark in ("#", "?"):
        key = key.split(mark, 1)[0]
    return key or "/"


def member(node: dict[str, Any], key: str) -> dict[str, Any]:
    """`node[key]` when it is a mapping, else an empty one (documents are not always valid)."""
    value = node.get(key)
    return value if isinstance(value, dict) else {}


def header_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def quote(text: str) -> str:
    return json.dumps(text)


class DocumentReader:
    """What every part of the conversion reads: the document, its schemas, the warnings."""

    def __init__(self, document: dict[str, Any], *, seed: int | None = None):
        self.document = document
        self._warnings: dict[str, None] = {}
        self._counts: dict[str, int] = {}
        self._route_name = ""  # the route being made, named in its 401 and 406 answers
        self._values: dict[Any, tuple[Any, Any]] = {}  # media (id or schema) -> (it, its value)
        self._seed = seed if seed is not None else 0
        # Routes whose conversion waits for their first request (spec(later=True)).
        self._pending: dict[int, tuple[Any, ...]] = {}
        # A route shared by operations told apart by a value in their path key, made whole
        # from its members (each converted then) when completed.
        self._groups: dict[int, tuple[dict[str, Any], list[tuple[str | None, dict[str, Any]]]]] = {}
        self._lock = threading.Lock()
        version = str(document.get("openapi", ""))
        self.dialect = Dialect(version.startswith("3.1"), self.warn, self.pointer)
        components = member(document, "components")
        self.components = components
        raw_schemas = member(components, "schemas")
        self.schemas = {}
        for name, schema in raw_schemas.items():
            self.dialect.component = str(name)
            self.schemas[str(name)] = self.dialect.convert(schema, f"components.schemas.{name}")
        self.dialect.component = None
        self.generator = Generator(self.schemas, seed)
        self._request_twins: dict[str, str] = {}  # component -> ref a request body uses
        self.uncovered: set[str] = set()  # routes answering 405 for undeclared methods
        self.schemes = member(components, "securitySchemes")

    # -- bookkeeping -------------------------------------------------------------------

    def warn(self, message: str) -> None:
        self._warnings.setdefault(message, None)

    def count(self, what: str) -> None:
        self._counts[what] = self._counts.get(what, 0) + 1

    def warnings(self) -> list[str]:
        summary = {
            "links": "links are not followed ({n} with them)",
            "mutualTLS": "mutualTLS security is not checked ({n})",
        }
        nouns = {
            "links": "response",
            "mutualTLS": "operation",
        }
        counted = [
            summary[k].format(n=plural(n, nouns[k]))
            for k, n in self._counts.items()
            if k in summary
        ]
        return counted + list(self._warnings)

    def pointer(self, ref: str) -> Any:
        """What a local `#/...` ref names, or None."""
        if not ref.startswith("#/"):
            return None
        try:
            return resolve_pointer(self.document, ref)
        except LookupError:
            return None

    def deref(self, node: Any, where: str = "") -> Any:
        """Follow `$ref`s of parameters, responses, bodies, examples and path items."""
        for _ in range(20):
            if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
                return node
            target = self.pointer(node["$ref"])
            if target is None:
                self.warn(f"{where}: $ref {node['$ref']!r} cannot be followed; ignored")
                return {}
            node = target
        return {}
