"""CORS for the spec's routes (`settings.cors`): headers on answers, and preflights."""

from __future__ import annotations

from flask import Request
from werkzeug.routing import MapAdapter
from werkzeug.wrappers import Response

from .spec.model import Cors

# Response headers a script may always read; others must be exposed by name.
_SAFELISTED = {
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
}


def add_cors_headers(cors: Cors, request: Request, response: Response) -> None:
    """Let the browser's script read `response`, for the origins the spec allows."""
    origin = request.headers.get("Origin")
    if cors.origins is None and not cors.credentials:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers.setdefault("Access-Control-Expose-Headers", "*")
        return
    # The answer depends on the Origin asked from: caches must keep one per origin.
    response.headers.add("Vary", "Origin")
    if not origin or (cors.origins is not None and origin not in cors.origins):
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    if cors.credentials:
        response.headers["Access-Control-Allow-Credentials"] = "true"
        # In credentials mode browsers read `*` as a header named "*": list the names.
        exposed = sorted({n for n, _ in response.headers if n.lower() not in _SAFELISTED})
        names = [n for n in exposed if n.lower() not in ("vary",) and not n.startswith("Access-")]
        if names and "Access-Control-Expose-Headers" not in response.headers:
            response.headers["Access-Control-Expose-Headers"] = ", ".join(names)
    else:
        response.headers.setdefault("Access-Control-Expose-Headers", "*")


def preflight(request: Request, adapter: MapAdapter) -> Response | None:
    """The answer to a CORS preflight for a known path, without contract checks."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    methods = adapter.allowed_methods()
    if not methods:
        return None
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = ", ".join(sorted(methods))
    requested = request.headers.get("Access-Control-Request-Headers")
    if requested:
        response.headers["Access-Control-Allow-Headers"] = requested
    response.headers["Access-Control-Max-Age"] = "600"
    return response
