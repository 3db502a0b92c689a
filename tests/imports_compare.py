"""Send the same request to the source tool and to mockserve, and compare the answers."""

from __future__ import annotations

import json
from typing import Any

import requests

# Headers a server adds of its own accord (framing, identity, time), not a stub's answer.
SERVER_HEADERS = {
    "connection", "content-length", "date", "keep-alive", "matched-stub-id",
    "matched-stub-name", "server", "transfer-encoding", "vary", "x-powered-by", "etag",
    "last-modified", "accept-ranges", "cache-control", "content-encoding",
}  # fmt: skip


def _body(response: requests.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return response.content


def _media(value: str) -> str:
    return value.split(";")[0].strip().lower()


def same_answer(
    source: requests.Response, ours: requests.Response, what: str, *, headers: bool = True
) -> None:
    """The status, the source's own headers and the body (JSON as data) are the same."""
    assert ours.status_code == source.status_code, (what, ours.status_code, ours.text)
    if source.status_code == 404 and "mockserve" not in source.text and "error" in ours.json():
        return  # neither has a stub for it: each says so in its own words
    for name, value in source.headers.items() if headers else ():
        if name.lower() in SERVER_HEADERS or name.lower().startswith("access-control-"):
            continue
        got = ours.headers.get(name)
        assert got is not None, f"{what}: header {name} missing (source: {value})"
        if name.lower() == "content-type":
            assert _media(got) == _media(value), (what, name, got, value)
        else:
            assert got == value, (what, name, got, value)
    assert _body(ours) == _body(source), what


def ask(session: requests.Session, base: str, request: dict[str, Any]) -> requests.Response:
    return session.request(
        request.get("method", "GET"),
        base + request["path"],
        headers=request.get("headers"),
        data=request.get("data"),
        json=request.get("json"),
        params=request.get("query"),
        timeout=10,
        verify=False,  # a source tool serving TLS uses its own certificate
    )
