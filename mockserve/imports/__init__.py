"""Read what other mock tools write (Postman, WireMock, Mockoon, cURL) as mockserve spec data.

Each reader returns an `Imported`: the spec as plain data, fixture files for binary
bodies, a comment per route saying where it came from, and every feature it could not
carry as a located `Dropped` note. `detect` names the format of a source; `read`
dispatches to its reader. HAR and OpenAPI have readers of their own (`har`, `openapi`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .common import Dropped, Imported, SourceError

FORMATS = ("postman", "wiremock", "mockoon", "curl", "har", "openapi")
READERS = ("postman", "wiremock", "mockoon", "curl")

__all__ = ["FORMATS", "Dropped", "Imported", "SourceError", "detect", "read"]


def _kind(data: Any) -> str | None:
    """The format of parsed JSON, by the keys each tool always writes."""
    from . import mockoon, postman, wiremock

    if not isinstance(data, dict):
        return None
    if isinstance(data.get("log"), dict) and isinstance(data["log"].get("entries"), list):
        return "har"
    if "openapi" in data or "swagger" in data:
        return "openapi"
    if postman.looks_like(data):
        return "postman"
    if mockoon.looks_like(data):
        return "mockoon"
    if wiremock.looks_like(data):
        return "wiremock"
    return None


def parse_json(text: str, label: str) -> Any:
    """`text` as JSON, or a SourceError at the line and column where it stops being JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError([f"{label}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}"]) from None


def detect(source: Path | None, text: str | None, label: str) -> str:
    """The format of a folder (WireMock), or of a file's text; a SourceError when unknown."""
    from . import curl

    if source is not None and source.is_dir():
        return "wiremock"
    assert text is not None
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        data = parse_json(text, label)
        kind = _kind(data)
        if kind is None:
            raise SourceError(
                [f"{label}:/: JSON of no known format ({shape(data)}); expected {EXPECTED}; "
                 "name one with --from"]
            )  # fmt: skip
        return kind
    if curl.looks_like(text):
        return "curl"
    if "openapi:" in text or "swagger:" in text:
        return "openapi"
    if re.search(r"^mockserve:", text, re.M):
        raise SourceError(
            [f"{label}:1: already a mockserve spec: `mockserve run {label}` serves it as it is"]
        )
    raise SourceError(
        [f"{label}:1: not a format mockserve imports ({_what_text(stripped)}): expected "
         f"{EXPECTED} (name one with --from)"]
    )  # fmt: skip


EXPECTED = (
    "an OpenAPI document, a HAR file, a Postman collection, WireMock mappings, a Mockoon "
    "environment or curl lines"
)


def shape(data: Any) -> str:
    """What parsed data is, in a few words: `an object with keys 'a', 'b'`, `a list`."""
    if isinstance(data, dict):
        keys = ", ".join(repr(str(key)) for key in list(data)[:5])
        more = ", ..." if len(data) > 5 else ""
        return f"an object with keys {keys}{more}" if data else "an empty object"
    names: dict[type, str] = {list: "a list", str: "a text", type(None): "nothing"}
    return names.get(type(data), f"a {type(data).__name__}")


def _what_text(text: str) -> str:
    """What text that is not JSON is: empty, YAML of some shape, or neither."""
    import yaml

    if not text.strip():
        return "the file is empty"
    try:
        return f"YAML: {shape(yaml.safe_load(text))}"
    except yaml.YAMLError:
        return "neither JSON nor YAML"


def read(kind: str, source: Path | None, text: str | None, label: str) -> Imported:
    """Read a source of format `kind` (one of READERS); SourceError when it is not one."""
    from . import curl, mockoon, postman, wiremock

    if kind == "wiremock" and source is not None and source.is_dir():
        return wiremock.read(source, label)
    if text is None:
        raise SourceError([f"{label}: a folder is only read as WireMock mappings"])
    if kind == "curl":
        return curl.read(text, label)
    data = parse_json(text, label)
    checks = {"postman": postman, "mockoon": mockoon, "wiremock": wiremock}
    module = checks[kind]
    if not module.looks_like(data):
        found = _kind(data)
        also = f" (it looks like {found})" if found else ""
        raise SourceError([f"{label}:/: not a {kind} file{also}"])
    base = source.resolve().parent if source is not None else Path.cwd()
    if kind == "wiremock":
        return wiremock.read(source if source is not None else Path(label), label, data)
    if kind == "mockoon":
        return mockoon.read(data, label, base)
    return postman.read(data, label)
