"""Media types: the one reading of a `Content-Type` that everything else compares."""

from __future__ import annotations


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json` (parameters never matter)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_media(media: str) -> bool:
    """`application/json` and the structured `+json` types (`application/problem+json`)."""
    return media == "application/json" or media.endswith("+json")
