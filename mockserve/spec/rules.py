"""Spec paths as Werkzeug rules: `/users/{id:int}` is served as `/users/<int:id>`.

Also the route signature (a path without its parameter names) by which the loader
finds two routes that would answer the same requests.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# A path parameter as a spec writes it: `{name}` or `{name:converter}` (one home for
# every reader of spec paths: rules, near misses, verify's sample requests).
PATH_PARAM = re.compile(r"\{([^{}]*)\}")
_PARAM = PATH_PARAM


def parameter_parts(match: re.Match[str]) -> tuple[str, str]:
    """A `PATH_PARAM` match's name and converter (`""` when none): `{id:int}` -> id, int."""
    name, _, converter = match.group(1).partition(":")
    return name.strip(), converter.strip()


_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONVERTERS = {"int": "int", "float": "float", "uuid": "uuid", "path": "path"}


@lru_cache(maxsize=16384)
def rule_for(path: str, *, written: bool = True) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """`/users/{id:int}` -> Werkzeug's `/users/<int:id>`, its names and the problems found.

    Any other text is literal; `<id>` in a spec a person `written` is the Werkzeug
    habit and refused, in a converted document it is served as written. Cached: an
    OpenAPI path is written once for each of its methods.
    """
    problems: list[str] = []
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        name, _, converter = inner.partition(":")
        name, converter = name.strip(), converter.strip()
        if not _PARAM_NAME.match(name):
            problems.append(f"invalid parameter name {name!r} in path")
        elif name in names:
            problems.append(f"parameter {name!r} appears twice in path")
        names.append(name)
        if converter and converter not in _CONVERTERS:
            problems.append(f"unknown converter {converter!r} (use int, float, uuid or path)")
            converter = ""
        return f"<{_CONVERTERS[converter]}:{name}>" if converter else f"<{name}>"

    literal = _PARAM.sub("", path)
    if written and _WERKZEUG_VARIABLE.search(literal):
        problems.append("write parameters as {name} or {name:int}, not <...>")
    if "?" in literal or "#" in literal:
        problems.append(
            "a path has no query string or fragment; check query parameters with 'query'"
        )
    hidden: list[str] = []  # names of the hidden parameters, one per literal `<`
    rule = "".join(
        replace(piece) if isinstance(piece, re.Match) else _literal_rule(piece, problems, hidden)
        for piece in _pieces(path)
    )
    if "{" in literal or "}" in literal:
        problems.append("unbalanced braces in path")
    return rule, tuple(names), tuple(problems)


_WERKZEUG_VARIABLE = re.compile(r"<(?:[A-Za-z_]\w*(?:\(.*?\))?:)?[A-Za-z_]\w*>")
LITERAL_PREFIX = "_literal_"  # the hidden parameter that holds a literal `<`


def _pieces(path: str) -> list[Any]:
    """The path cut into literal text and `{parameter}` matches, in order."""
    pieces: list[Any] = []
    position = 0
    for match in _PARAM.finditer(path):
        pieces += [path[position : match.start()], match]
        position = match.end()
    return [*pieces, path[position:]]


def _literal_rule(text: str, problems: list[str], hidden: list[str]) -> str:
    """Literal path text as Werkzeug reads it: a `<` (which would open a converter) is
    matched by an `any` converter of that one text, under a hidden parameter name."""
    if "<" not in text:
        return text
    parts = []
    for part in text.split("/"):
        if "<" in part:
            if '"' in part or ")" in part:
                problems.append(f"a literal '<' cannot stand beside '\"' or ')' in {part!r}")
            hidden.append(f"{LITERAL_PREFIX}{len(hidden)}")
            part = f'<any("{part}"):{hidden[-1]}>'
        parts.append(part)
    return "/".join(parts)


def route_signature(path: str) -> str:
    """A path with parameter names removed: routes that differ only there are duplicates."""
    return _PARAM.sub(lambda m: "{:" + m.group(1).partition(":")[2].strip() + "}", path)


def resource_paths(path: str, key: str) -> list[tuple[str, str, str]]:
    """The six routes of a resource as (method, path, action), in the format's order."""
    item = f"{path}/{{{key}}}"
    return [
        ("GET", path, "list"),
        ("POST", path, "create"),
        ("GET", item, "read"),
        ("PUT", item, "replace"),
        ("PATCH", item, "update"),
        ("DELETE", item, "delete"),
    ]
