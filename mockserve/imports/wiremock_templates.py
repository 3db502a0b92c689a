"""The common helpers of WireMock's `response-template` as Jinja expressions."""

from __future__ import annotations

import re

from .common import header_ref, member
from .handlebars import jsonpath

_REQUEST = re.compile(r"request\.(\w+)((?:\.(?:\[[^\]]*\]|[\w-]+))*)\Z")
_STEP = re.compile(r"\.(?:\[([^\]]*)\]|([\w-]+))")


def _steps(rest: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in _STEP.finditer(rest)]


def _request_value(path: str) -> str | None:
    """`request.path.[0]`, `request.query.status`, `request.headers.X-Id`, ... in Jinja."""
    found = _REQUEST.match(path)
    if not found:
        return None
    part, steps = found.group(1), _steps(found.group(2))
    if part in ("path", "pathSegments") and steps:
        step = steps[0]
        if step.isdigit():
            return f"request.path.split('/')[{int(step) + 1}]"
        return member("path", step) if part == "path" and len(steps) == 1 else None
    if part == "query" and steps:
        base = member("query", steps[0])
        return base if len(steps) == 1 or steps[1:] == ["0"] else None
    if part in ("headers", "header") and steps:
        return header_ref(steps[0]) if len(steps) == 1 or steps[1:] == ["0"] else None
    if part == "cookies" and len(steps) == 1:
        return member("cookies", steps[0])
    simple = {"path": "request.path", "method": "request.method", "body": "request.body"}
    if not steps and part in simple:
        return simple[part]
    if part == "url" and not steps:
        return "request.path"  # the path; a query string is not included
    return None


def wiremock_helper(name: str, args: list[str], options: dict[str, str]) -> str | None:
    """One `{{...}}` of a WireMock template in Jinja, or None when mockserve has no equal."""
    if not args and not options:
        if name.startswith("request."):
            return _request_value(name)
        if name == "now":
            return "now()"
        return None
    if name == "jsonPath" and len(args) == 2 and args[0] == "request.body" and not options:
        return jsonpath(args[1])
    if name == "randomValue" and options.get("type", "").upper() == "UUID" and not args:
        return "uuid()"
    if name == "randomInt" and not args:
        try:
            low = int(options.get("lower", "0"))
            high = int(options.get("upper", str(2**31 - 1)))
        except ValueError:
            return None
        return f"randint({low}, {high})"
    return None
