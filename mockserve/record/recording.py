"""One forwarded request and the upstream's whole answer, as the recorder keeps it."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass
class Recording:
    """One request and the upstream's whole answer, body decoded."""

    method: str
    path: str
    query: dict[str, Any]
    body: bytes
    content_type: str
    status: int
    headers: list[tuple[str, str]]  # the answer's, end to end
    answer: bytes
    route: str | None = None  # the spec route it matched (no `when` held), if any
    capture: Any = None  # proxy.Capture: the answer as it arrives, until `finish`


def decode_body(body: bytes, encoding: str | None) -> bytes | None:
    """The body with its Content-Encoding undone (gzip, deflate, br); None if it cannot be."""
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                body = gzip.decompress(body)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:  # raw deflate, as some servers send it
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif coding == "br":
                import brotli  # noqa: PLC0415 - optional: only for br bodies

                body = brotli.decompress(body)
            elif coding != "identity":
                return None
    except ImportError:
        return None
    except Exception:  # noqa: BLE001 - a corrupt body is kept as it came
        return None
    return body


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), None)
