"""Read `curl` command lines: each one a route whose contract is the request it sends.

A command may continue over lines ending in `\\`. The route answers `200 {}` (a curl
line says nothing of the answer), and a warning says so for each line.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .common import Dropped, Entry, Imported, SourceError, is_json_type
from .routes import build_routes

_START = re.compile(r"^\s*curl(?:\.exe)?\s", re.MULTILINE)
_TAKES_VALUE = {
    "-o", "--output", "-m", "--max-time", "--connect-timeout", "-w", "--write-out",
    "--retry", "-x", "--proxy", "--cacert", "--cert", "--key", "-r", "--range",
    "--resolve", "-c", "--cookie-jar", "--limit-rate", "-T", "--upload-file",
}  # fmt: skip
_FLAGS = {
    "-s", "--silent", "-S", "--show-error", "-L", "--location", "-k", "--insecure",
    "-v", "--verbose", "-i", "--include", "--compressed", "-f", "--fail", "-N",
    "--no-buffer", "-g", "--globoff", "--http1.1", "--http2", "-#", "--progress-bar",
}  # fmt: skip
_DATA = {"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode"}
_NOT_CONTRACT = {"content-type", "content-length", "host", "accept-encoding", "connection"}


def looks_like(text: str) -> bool:
    return _START.search(text) is not None


def _commands(text: str) -> list[tuple[int, str]]:
    """(first line number, command text) for each `curl` command, continuations joined."""
    found: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not current:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = number
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            current.append(stripped[:-1])
            continue
        current.append(stripped)
        found.append((start, " ".join(current)))
        current = []
    if current:
        found.append((start, " ".join(current)))
    return found


def infer(value: Any) -> dict[str, Any]:
    """A JSON Schema of a value's shape: its types and the keys it has."""
    if isinstance(value, dict):
        return {
            "type": "object",
            "required": list(value),
            "properties": {k: infer(v) for k, v in value.items()},
        }
    if isinstance(value, list):
        return {"type": "array", "items": infer(value[0])} if value else {"type": "array"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if value is None:
        return {}
    return {"type": "string"}


def read(text: str, label: str) -> Imported:
    """One route per curl command of `text`."""
    imported = Imported(data={"mockserve": 1, "title": f"Imported from {label}"})
    entries: list[Entry] = []
    problems: list[str] = []
    for line, command in _commands(text):
        entry = _entry(command, label, line, imported, problems)
        if entry is not None:
            entries.append(entry)
    if problems:
        raise SourceError(problems)
    if not entries:
        raise SourceError([f"{label}:1: no curl command found"])
    imported.data["routes"] = build_routes(entries, imported)
    return imported


def _entry(
    command: str, label: str, line: int, imported: Imported, problems: list[str]
) -> Entry | None:
    try:
        words = shlex.split(command)
    except ValueError as exc:
        problems.append(f"{label}:{line}: cannot read the command line: {exc}")
        return None
    if not words or not words[0].startswith("curl"):
        problems.append(f"{label}:{line}: not a curl command")
        return None
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = []
    data: list[str] = []
    get = False

    def drop(what: str) -> None:
        imported.dropped.append(Dropped(label, str(line), what))

    index = 1
    while index < len(words):
        word = words[index]
        value = words[index + 1] if index + 1 < len(words) else None
        index += 1
        if word in ("-X", "--request"):
            method, index = (value or "GET").upper(), index + 1
        elif word in ("-H", "--header"):
            name, _, text = (value or "").partition(":")
            headers.append((name.strip(), text.strip()))
            index += 1
        elif word in _DATA or word == "--json":
            data.append(value or "")
            index += 1
            if word == "--json":
                headers += [("Content-Type", "application/json"), ("Accept", "application/json")]
        elif word in ("-u", "--user"):
            token = base64.b64encode((value or "").encode()).decode()
            headers.append(("Authorization", f"Basic {token}"))
            index += 1
        elif word in ("-b", "--cookie", "-A", "--user-agent", "-e", "--referer"):
            drop(f"option {word}: not part of the contract")
            index += 1
        elif word in ("-G", "--get"):
            get = True
        elif word in ("-I", "--head"):
            method = "HEAD"
        elif word == "--url":
            url, index = value, index + 1
        elif word in ("-F", "--form"):
            drop(f"option {word} (multipart form): the body is not checked")
            method = method or "POST"
            index += 1
        elif word in _TAKES_VALUE:
            index += 1
        elif word in _FLAGS or re.fullmatch(r"-[sSLkvifNg#]+", word):
            continue
        elif word.startswith("-"):
            drop(f"option {word}: not understood")
        else:
            url = word
    if url is None:
        problems.append(f"{label}:{line}: no URL in the curl command")
        return None
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    query = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    if get and data:
        query += [name for item in data for name, _ in parse_qsl(item, keep_blank_values=True)]
        data = []
    method = method or ("POST" if data else "GET")
    route: dict[str, Any] = {}
    if query:
        route["query"] = {"required": list(dict.fromkeys(query))}
    required = [n for n, _ in headers if n and n.lower() not in _NOT_CONTRACT]
    if required:
        route["headers"] = {"required": list(dict.fromkeys(required))}
    if data:
        route["body"] = _body("&".join(data), headers)
    path = unquote(parts.path) or "/"
    drop("the answer: a curl line has none, so the route answers 200 {} until edited")
    return Entry(
        methods=(method,),
        path=path,
        name=f"{method} {path}",
        origin=f"{label}:{line}",
        response={"json": {}},
        route_keys=route,
        where=(label, str(line)),
    )


def _body(text: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
    media = next(
        (v.split(";")[0].strip().lower() for n, v in headers if n.lower() == "content-type"),
        "application/x-www-form-urlencoded",  # what curl sends with -d
    )
    if is_json_type(media):
        try:
            return {"content_type": media, "schema": infer(json.loads(text))}
        except ValueError:
            return {"content_type": media}
    if media == "application/x-www-form-urlencoded":
        names = [n for n, _ in parse_qsl(text, keep_blank_values=True)]
        return {"content_type": media, "schema": {"required": list(dict.fromkeys(names))}}
    return {"content_type": media}
