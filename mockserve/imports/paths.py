"""Paths of other tools in mockserve's form: `:id` and `{id}` parameters, regex URL patterns."""

from __future__ import annotations

import re

from .common import jinja

# Plain characters and escaped punctuation (`\.`): a segment that only matches itself.
_LITERAL = re.compile(r"(?:[^.^$*+?()\[\]{}|\\]|\\[^A-Za-z0-9])*")
# A segment pattern that cannot cross a `/`: no `.`, no negated class, no \S \W \D.
_ONE_SEGMENT = re.compile(r"(?:[^.\\\[(|]|\\[dws.\-]|\[[^\]^]*\])+")


def _unescape(segment: str) -> str:
    return re.sub(r"\\(.)", r"\1", segment)


def colon_path(path: str) -> str:
    """`/users/:id` (Express, Mockoon, Postman) as `/users/{id}`."""
    return re.sub(r"(?<=/):([A-Za-z_][A-Za-z0-9_]*)", r"{\1}", path)


def template_path(path: str) -> str:
    """WireMock's `urlPathTemplate` (`/contacts/{contactId}`) is already mockserve's form."""
    return path


def regex_path(pattern: str) -> tuple[str, str | None]:
    """A route path covering what `pattern` matches, and the condition that checks it exactly.

    Literal segments stay literal; a segment pattern that cannot cross `/` becomes a
    parameter `{pN}`; from the first one that might, the rest is `{rest:path}`. The
    condition is the whole pattern against the path, as WireMock matches it (anchored).
    """
    re.compile(pattern)  # raises re.error (a ValueError) for a bad one
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    segments = body.split("/")
    if segments[0] != "" or not _balanced(segments):
        return "/{rest:path}", _condition(body)
    parts: list[str] = []
    exact = True
    for index, segment in enumerate(segments[1:], start=1):
        if _LITERAL.fullmatch(segment) and "{" not in _unescape(segment):
            parts.append(_unescape(segment))
        elif _ONE_SEGMENT.fullmatch(segment) and segment:
            parts.append(f"{{p{index}}}")
            exact = False
        else:
            parts.append("{rest:path}")
            exact = False
            break
    path = "/" + "/".join(parts)
    return path, None if exact else _condition(body)


def _balanced(segments: list[str]) -> bool:
    """No group or class spans a `/` (then the pattern cannot be split there)."""
    for segment in segments:
        cleaned = re.sub(r"\\.", "", segment)
        if cleaned.count("(") != cleaned.count(")") or cleaned.count("[") != cleaned.count("]"):
            return False
    return True


def _condition(body: str) -> str:
    return f"request.path is matching({jinja('^(?:' + body + ')$')})"
