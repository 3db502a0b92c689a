"""JSON Pointers (RFC 6901), as `$ref` fragments use them: `#/schemas/Order/properties/qty`."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote


def escape_token(token: Any) -> str:
    """One reference token of a pointer: `~` as `~0`, `/` as `~1` (`a/b` -> `a~1b`)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """A reference token as the key it names: `a~1b` -> `a/b`."""
    return token.replace("~1", "/").replace("~0", "~")


def json_pointer(parts: Any) -> str:
    """The pointer of a path of keys and indexes: `["qty", 0]` -> `/qty/0`."""
    return "".join("/" + escape_token(part) for part in parts)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value `pointer` (`/a/0`, or a `#/a/0` fragment) names in `document`.

    Raises LookupError when it names nothing. A fragment is percent-decoded first, as
    in a URI (`#/paths/~1pets%7Bid%7D`).
    """
    if pointer.startswith("#"):
        pointer = unquote(pointer[1:])
    node = document
    if pointer in ("", "/"):
        return node
    for raw in pointer.lstrip("/").split("/"):
        part = unescape_token(raw)
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise LookupError(f"nothing at {pointer!r}")
    return node
