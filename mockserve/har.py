"""Write a spec from a HAR file (a browser's or a proxy's saved traffic), as `record` would.

A HAR is JSON with `log.entries`; each entry's request and response become a
`Recording`, and the recorder's writer does the rest. HAR bodies are already decoded
(base64 when `content.encoding` says so), so their Content-Encoding is not kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .record.recorder import forwarded_headers, merged_text
from .record.recording import Recording
from .record.routes import Writer


class HarError(ValueError):
    """A file that looks like a HAR but cannot be read as one."""


_STARTS_WITH_LOG = re.compile(r'\ufeff?\s*\{\s*"log"\s*:')


def read_har(path: str | Path) -> dict[str, Any] | None:
    """The HAR in `path`, or None when the file is not one (JSON with `log.entries`)."""
    try:
        text = Path(path).read_text("utf-8")
        # `log` is a HAR's only key: anything else (a 13 MB OpenAPI document) is not
        # parsed twice to find that out.
        data = json.loads(text) if _STARTS_WITH_LOG.match(text) else None
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("log"), dict):
        if isinstance(data["log"].get("entries"), list):
            return data
    return None


def _headers(raw: Any) -> list[tuple[str, str]]:
    pairs = [
        (str(h.get("name", "")), str(h.get("value", ""))) for h in raw or [] if isinstance(h, dict)
    ]
    # HTTP/2 pseudo-headers (`:status`) and how the bytes travelled are not the answer.
    pairs = [(n, v) for n, v in pairs if n and not n.startswith(":")]
    return [(n, v) for n, v in forwarded_headers(pairs) if n.lower() not in ("content-encoding",)]


def _query(url: str) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key in query:
            query[key] = (
                [*query[key], value] if isinstance(query[key], list) else [query[key], value]
            )
        else:
            query[key] = value
    return query


def recordings(har: dict[str, Any]) -> list[Recording]:
    """Each entry with a request URL and a response status, in the file's order."""
    found = []
    for index, entry in enumerate(har["log"]["entries"]):
        request = entry.get("request") if isinstance(entry, dict) else None
        response = entry.get("response") if isinstance(entry, dict) else None
        if not isinstance(request, dict) or not isinstance(response, dict):
            continue
        url = str(request.get("url", ""))
        status = response.get("status")
        if not url or not isinstance(status, int) or status <= 0:  # 0: the request failed
            continue
        post = _object(request.get("postData"))
        content = _object(response.get("content"))
        text = content.get("text") or ""
        try:
            body = (
                base64.b64decode(text, validate=True)
                if content.get("encoding") == "base64"
                else str(text).encode("utf-8")
            )
        except (binascii.Error, ValueError):
            raise HarError(f"log.entries[{index}].response.content: bad base64") from None
        found.append(
            Recording(
                method=str(request.get("method", "GET")).upper(),
                path=unquote(urlsplit(url).path) or "/",
                query=_query(url),
                body=str(post.get("text") or "").encode("utf-8"),
                content_type=str(post.get("mimeType") or ""),
                status=status,
                headers=_headers(response.get("headers")),
                answer=body,
            )
        )
    return found


def write_spec(har: dict[str, Any], source: str, output: str | Path) -> dict[str, Any]:
    """Write the spec that answers as the HAR's traffic was answered; what was written."""
    output = Path(output)
    writer = Writer(output.resolve().parent)
    header = (
        f"# Imported from {source} by mockserve\n"
        f"mockserve: 1\ntitle: {json.dumps('Recorded in ' + Path(source).name)}\n"
    )
    text, routes = merged_text("", recordings(har), writer, header=header)
    writer.notes += _hosts_merged(har)
    output.write_text(text, "utf-8")
    return {
        "file": str(output),
        "routes": routes,
        "fixtures": len(writer.fixtures),
        "notes": writer.notes,
    }


def _hosts_merged(har: dict[str, Any]) -> list[str]:
    """A note when the traffic went to several hosts: a spec serves one, so a route
    answers for its path whatever the host; say which routes merge answers of several."""
    hosts_of: dict[tuple[str, str], set[str]] = {}
    for entry in har["log"]["entries"]:
        request = entry.get("request") if isinstance(entry, dict) else None
        if isinstance(request, dict) and request.get("url"):
            parts = urlsplit(str(request["url"]))
            key = (str(request.get("method", "GET")).upper(), unquote(parts.path) or "/")
            hosts_of.setdefault(key, set()).add(parts.netloc)
    hosts = sorted(set().union(*hosts_of.values())) if hosts_of else []
    if len(hosts) < 2:
        return []
    shared = [f"{m} {p}" for (m, p), seen in hosts_of.items() if len(seen) > 1]
    merged = (
        f"; {', '.join(shared[:5])}{', ...' if len(shared) > 5 else ''} answer"
        f"{'s' if len(shared) == 1 else ''} for {'both' if len(hosts) == 2 else 'all'}"
        if shared
        else ""
    )
    return [f"traffic to {len(hosts)} hosts ({', '.join(hosts)}) is written as one spec{merged}"]


def _object(value: Any) -> dict[str, Any]:
    """A HAR member that should be an object, or an empty one."""
    return value if isinstance(value, dict) else {}
