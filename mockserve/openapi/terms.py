"""Words of an OpenAPI document that every part of the converter reads the same way."""

from __future__ import annotations

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def is_json_media(media: str) -> bool:
    return media == "*/*" or "json" in media


class _NoBody:
    def __repr__(self) -> str:
        return "<no body>"


NO_BODY = _NoBody()  # a media type that gives no value: the answer has no body
