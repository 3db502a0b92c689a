"""Write a spec (plain JSON-like data) as block-style YAML, fast enough for 17 MB imports.

PyYAML's dumper builds a node per value in Python and takes ~7 s for GitHub's imported
spec; this writes the same block style directly. Text that YAML could read as something
else (or that needs escapes) is written double-quoted with JSON's escapes, which YAML
reads back as the same text; the rest is plain, as a person would write it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import IO, Any

import yaml

from .source import remember_spec

_PLAIN = re.compile(r"[A-Za-z_/$.][A-Za-z0-9_ ./$(){}+-]*")
# Characters JSON leaves as they are but YAML cannot read raw (or reads as a line break).
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
_LONG_KEY = 1000  # YAML reads an implicit key of at most 1024 characters


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


@lru_cache(maxsize=65536)
def scalar_text(value: str) -> str:
    """`value` as a YAML scalar that reads back as this very text."""
    if (
        _PLAIN.fullmatch(value)
        and not value.endswith(" ")
        and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG
    ):
        return value
    return _UNSAFE.sub(_escape, json.dumps(value, ensure_ascii=False))


def _atom(value: Any) -> str:
    if isinstance(value, str):
        return scalar_text(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "." not in text and "e" in text:  # YAML 1.1 floats need a dot: 1e-05 -> 1.0e-05
            text = text.replace("e", ".0e", 1)
        return text
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


Notes = Mapping[int, str] | None  # id() of a mapping in a list -> comment written above it


def _write(value: Any, indent: str, out: list[str], notes: Notes = None) -> None:
    """Append `value` as the block content that follows a key or a `- ` at `indent`."""
    if isinstance(value, dict):
        if not value:
            out.append(" {}\n")
            return
        out.append("\n")
        _mapping(value, indent, out, notes)
    elif isinstance(value, list):
        if not value:
            out.append(" []\n")
            return
        out.append("\n")
        _sequence(value, indent, out, notes)
    else:
        out.append(" " + _atom(value) + "\n")


def _key(key: Any) -> str:
    return scalar_text(key if isinstance(key, str) else str(key))


def _mapping(value: dict[Any, Any], indent: str, out: list[str], notes: Notes = None) -> None:
    inner = indent + "  "
    for key, item in value.items():
        text = _key(key)
        if len(text) > _LONG_KEY:
            out.append(f"{indent}? {text}\n{indent}:")
        else:
            out.append(f"{indent}{text}:")
        if isinstance(item, list) and item:
            out.append("\n")
            _sequence(item, indent, out, notes)  # PyYAML's style: a list sits under its key
        else:
            _write(item, inner, out, notes)


def _comment(text: str, indent: str) -> str:
    return "".join(f"{indent}# {line}".rstrip() + "\n" for line in text.splitlines())


def _sequence(value: list[Any], indent: str, out: list[str], notes: Notes = None) -> None:
    inner = indent + "  "
    for item in value:
        if notes and id(item) in notes:
            out.append(_comment(notes[id(item)], indent))
        if isinstance(item, dict) and item:
            # The first key shares the dash's line; the others line up under it.
            first = len(out)
            _mapping(item, inner, out, notes)
            out[first] = indent + "- " + out[first][len(inner) :]
        else:
            out.append(indent + "-")
            _write(item, inner, out, notes)


def dump_spec(data: dict[str, Any], *, comments: Notes = None) -> str:
    """The YAML text of a spec, in block style with keys in their order.

    `comments` puts a comment line above list items (by the item's `id()`): an imported
    route says where it came from.
    """
    if not isinstance(data, dict):
        raise TypeError("a spec is a mapping")
    out: list[str] = []
    _mapping(data, "", out, comments)
    return "".join(out)


def write_spec(
    data: dict[str, Any], handle: IO[str], *, header: str = "", comments: Notes = None
) -> None:
    """Write `header` (comment lines) and `data` as YAML to an open text file.

    The text is also remembered in the parse cache as holding `data`, so the first run
    of a large imported spec does not parse what was just written.
    """
    text = header + dump_spec(data, comments=comments)
    handle.write(text)
    remember_spec(text, data)
