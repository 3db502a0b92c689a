"""Path parameters read segment by segment from the raw request target.

A WSGI server percent-decodes the whole path before routing, so `/arns/a%2Fb/tags`
arrives as `/arns/a/b/tags` and the encoded `/` is lost, and Werkzeug merges `//`
into `/` (redirecting), so a missing parameter (`/things//parts`) never reaches its
route. `install(app)` fixes both before any rule is added: the path is split on its
real slashes first and each segment is decoded after, and an empty segment matches
its parameter (the contract then names it as missing).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from werkzeug.routing import BaseConverter

# Stands for an encoded slash between the middleware and the converter: a character a
# client would have to send encoded itself (U+E000, private use).
ENCODED_SLASH = "\ue000"
_WSGI_ENCODED_SLASH = ENCODED_SLASH.encode("utf-8").decode("latin-1")


class SegmentConverter(BaseConverter):
    """One path segment, possibly empty; an encoded `/` inside it comes back as `/`."""

    regex = "[^/]*"
    # One segment, whatever Werkzeug guesses from the `/` in the regex: matched part by
    # part, so a literal (or a trailing slash) is tried before a parameter matching nothing.
    part_isolating = True

    def to_python(self, value: str) -> str:
        return value.replace(ENCODED_SLASH, "/")

    def to_url(self, value: Any) -> str:
        return super().to_url(str(value).replace("/", ENCODED_SLASH)).replace(ENCODED_SLASH, "%2F")


class KeepEncodedSlashes:
    """WSGI middleware: an encoded `/` in the raw request target stays one segment."""

    def __init__(self, wsgi_app: Any):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        target = raw.split("?", 1)[0]
        if "%2f" in target.lower() and target.startswith("/"):
            script = environ.get("SCRIPT_NAME", "")
            segments = [
                unquote(part, "latin-1").replace("/", _WSGI_ENCODED_SLASH)
                for part in target.split("/")
            ]
            path = "/".join(segments)
            if script and path.startswith(script):
                path = path[len(script) :]
            environ["PATH_INFO"] = path
        return self.wsgi_app(environ, start_response)


def install(app: Any) -> None:
    """Read paths segment by segment in a Flask app; call before adding any rule."""
    app.url_map.merge_slashes = False
    app.url_map.converters["default"] = SegmentConverter
    app.url_map.converters["string"] = SegmentConverter
    app.wsgi_app = KeepEncodedSlashes(app.wsgi_app)
