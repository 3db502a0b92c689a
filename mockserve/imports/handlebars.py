"""Translate Handlebars templates (WireMock's `response-template`, Mockoon's bodies) to Jinja.

Only what mockserve has an equivalent for is translated: request values, JSONPath into
the body, uuid, now, random integers, a few fake values. A template using anything else
is kept as literal text and reported, so nothing is silently changed into something else.
The translation is made from the source file, once; request data is never compiled.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from .common import jinja, member

_TOKEN = re.compile(r"\{\{\{?(.*?)\}?\}\}", re.DOTALL)
_JSONPATH = re.compile(r"\$((?:\.[A-Za-z_][\w-]*|\[\d+\]|\['[^']*'\]|\[\"[^\"]*\"\])*)\Z")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")

# name, positional args, hash args -> a Jinja expression, or None when not translatable
Helper = Callable[[str, list[str], dict[str, str]], "str | None"]


def jsonpath(path: str, base: str = "body") -> str | None:
    """`$.a.b[0]` as `body.a.b[0]`; None for filters, wildcards and the rest of JSONPath."""
    found = _JSONPATH.match(path.strip())
    if not found:
        return None
    expression = base
    for step in _STEP.finditer(found.group(1)):
        name, index, quoted, double = step.groups()
        if index is not None:
            expression += f"[{index}]"
        else:
            expression = member(expression, name or quoted or double or "")
    return expression


def dotted(path: str, base: str = "body") -> str:
    """Mockoon's object paths (`a.b.0`, or a JSONPath) as a Jinja expression."""
    if path.startswith("$"):
        return jsonpath(path, base) or base
    expression = base
    for part in path.split("."):
        expression = f"{expression}[{part}]" if part.isdigit() else member(expression, part)
    return expression


def _split(inner: str) -> tuple[str, list[str], dict[str, str]] | None:
    try:
        words = shlex.split(inner, posix=True)
    except ValueError:
        return None
    if not words:
        return None
    args: list[str] = []
    options: dict[str, str] = {}
    for word in words[1:]:
        key, equals, value = word.partition("=")
        if equals and re.fullmatch(r"[A-Za-z_]\w*", key):
            options[key] = value
        else:
            args.append(word)
    return words[0], args, options


def _literal_text(text: str) -> str:
    """Text around the expressions: anything Jinja would read as markup stays text."""
    if re.search(r"\{[%#]", text):
        return "".join("{{ '{' }}" if ch == "{" else ch for ch in text)
    return text


def translate(template: str, helper: Helper) -> tuple[str, list[str]]:
    """`template` in Jinja, and what could not be translated (empty when all was).

    When anything cannot be translated the original text is returned unchanged and the
    caller keeps it literal.
    """
    out: list[str] = []
    missing: list[str] = []
    position = 0
    for token in _TOKEN.finditer(template):
        out.append(_literal_text(template[position : token.start()]))
        position = token.end()
        inner = token.group(1).strip()
        parts = None if inner[:1] in ("#", "/", "!", "^", ">", "~") else _split(inner)
        expression = helper(*parts) if parts else None
        if expression is None:
            missing.append("{{" + inner + "}}")
        else:
            out.append("{{ " + expression + " }}")
    out.append(_literal_text(template[position:]))
    if missing:
        return template, missing
    return "".join(out), []


def quoted(value: str) -> str:
    return jinja(value)
