"""What every reader of a foreign format shares: routes to merge, bodies, conditions, drops.

A reader turns its source into `Entry` values (one per stub, example or line, in the
source's order) and `Dropped` notes; `build_routes` merges the entries that share a
method and path into one route whose responses are `when` branches, as a person would.
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import MockserveError
from ..templating import expression_literal as jinja  # `when` literals, as the recorder writes
from ..templating import literal, literal_value

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Headers that say how bytes travelled, not what the answer is: the server sets its own.
HOP_HEADERS = frozenset(
    {"connection", "content-length", "transfer-encoding", "content-encoding", "keep-alive", "date"}
)


class SourceError(MockserveError):
    """A source that cannot be imported (not JSON, another format, a broken stub)."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Dropped:
    """One feature of the source that the spec does not carry: `SOURCE:WHERE: what`."""

    source: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.source}:{self.where}: {self.what}"


@dataclass
class Entry:
    """One answer of the source at one method and path (a stub, an example, a line)."""

    methods: tuple[str, ...]
    path: str
    name: str
    origin: str  # where it came from, for the route's comment
    response: dict[str, Any]
    when: str | None = None
    priority: int = 0  # lower first among the entries of one route (WireMock's priority)
    route_keys: dict[str, Any] = field(default_factory=dict)  # query/headers/body contract
    fault: str | None = None  # a fault kind answering every request of the route
    answers: list[dict[str, Any]] | None = None  # a whole `responses` list (random, cycle)
    where: tuple[str, str] = ("", "")  # (source, pointer) for drops found while merging


@dataclass
class Imported:
    """What a reader produced: the spec data, fixture files to write, and what it dropped."""

    data: dict[str, Any]
    comments: dict[int, str] = field(default_factory=dict)  # id(route) -> where it came from
    fixtures: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes
    dropped: list[Dropped] = field(default_factory=list)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def member(base: str, key: str) -> str:
    """`base.key`, or `base["key"]` when the key is not a plain name."""
    if _NAME.match(key) and not key.startswith("_"):
        return f"{base}.{key}"
    return f"{base}[{jinja(key)}]"


def header_ref(name: str) -> str:
    return member("headers", name)


def both(conditions: list[str]) -> str | None:
    """Conditions joined by `and` (each parenthesised when it has an `or`), or None."""
    if not conditions:
        return None
    return " and ".join(conditions)


def content_type_of(headers: dict[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value.split(";")[0].strip().lower()
    return ""


def is_json_type(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def body_fields(
    text: str | None,
    headers: dict[str, str],
    *,
    templated: bool = False,
    guess_json: bool = False,
) -> dict[str, Any]:
    """The response keys that send `text` as the source does: `json` when it is JSON, else text.

    `templated`: the text is already translated to mockserve's templates; otherwise any
    `{{` in it is kept literal. The source's Content-Type is kept as a header.
    """
    if text is None or text == "":
        return {}
    media = content_type_of(headers)
    if is_json_type(media) or (guess_json and not media):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = _MISSING
        if parsed is not _MISSING and (media or isinstance(parsed, (dict, list))):
            return {"json": as_text(parsed) if templated else literal_value(parsed)}
    value = text if templated else literal(text)
    if not media:
        return {"text": value}
    if media == "text/plain":
        return {"text": value}
    return {"body": value}


_MISSING = object()
_LONE = re.compile(r"\{\{ (.*) \}\}\Z", re.DOTALL)


def as_text(value: Any) -> Any:
    """JSON whose quoted templates render text, as the source's did: `{{ x | string }}`.

    In mockserve a lone expression keeps its type (a missing value is null); the tools
    imported render templates as text (a missing value is empty), quotes included.
    """
    if isinstance(value, str):
        lone = _LONE.match(value)
        if lone and "{{" not in lone.group(1):
            return "{{ " + lone.group(1) + " | string }}"
        return value
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return value


def fixture_name(stem: str, media: str, taken: dict[str, bytes]) -> str:
    """A free `fixtures/NAME.EXT` path, the extension from the media type."""
    extension = mimetypes.guess_extension(media or "") or ".bin"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "body"
    name, count = f"fixtures/{safe}{extension}", 1
    while name in taken:
        count += 1
        name = f"fixtures/{safe}-{count}{extension}"
    return name


def response_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Headers to send, last value of a name winning, without the hop-by-hop ones."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        if not name or name.lower() in HOP_HEADERS:
            continue
        for known in list(headers):
            if known.lower() == name.lower():
                del headers[known]
        headers[name] = literal(str(value))
    return headers
