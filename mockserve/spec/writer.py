"""The one YAML writer: spec data as block-style YAML, fast enough for 17 MB imports.

PyYAML's dumper builds a node per value in Python and takes ~7 s for GitHub's imported
spec; this writes the same block style directly. Text that YAML could read as something
else (or that needs escapes) is written double-quoted with JSON's escapes, which YAML
reads back as the same text; the rest is plain, as a person would write it.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import yaml

from .source import remember_spec

_PLAIN = re.compile(r"[A-Za-z_/$.][\x20-\x7e]*")
# Inside a plain scalar these would end it or start a comment.
_BREAKS_PLAIN = re.compile(r": | #|:$")
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
        and not _BREAKS_PLAIN.search(value)
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


def _block(value: str, indent: str) -> str | None:
    """`value` as a literal block (`|`) under `indent`, when it reads back as this text."""
    if "\r" in value or _UNSAFE.search(value) or value[:1] in (" ", "\n") or "\t" in value:
        return None
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    lines = body.split("\n") + [""] * max(trailing - 1, 0)
    return f" |{chomp}\n" + "".join(f"{indent}{line}\n" if line else "\n" for line in lines)


Notes = Mapping[int, str] | None  # id() of a mapping in a list -> comment written above it


def _write(
    value: Any, indent: str, out: list[str], blocks: bool = False, notes: Notes = None
) -> None:
    """Append `value` as the block content that follows a key or a `- ` at `indent`."""
    if blocks and isinstance(value, str) and "\n" in value:
        block = _block(value, indent)
        if block is not None:
            out.append(block)
            return
    if isinstance(value, dict):
        if not value:
            out.append(" {}\n")
            return
        out.append("\n")
        _mapping(value, indent, out, blocks, notes)
    elif isinstance(value, list):
        if not value:
            out.append(" []\n")
            return
        out.append("\n")
        _sequence(value, indent, out, blocks, notes)
    else:
        out.append(" " + _atom(value) + "\n")


def _key(key: Any) -> str:
    return scalar_text(key if isinstance(key, str) else str(key))


def _mapping(
    value: dict[Any, Any], indent: str, out: list[str], blocks: bool = False, notes: Notes = None
) -> None:
    inner = indent + "  "
    for key, item in value.items():
        text = _key(key)
        if len(text) > _LONG_KEY:
            out.append(f"{indent}? {text}\n{indent}:")
        else:
            out.append(f"{indent}{text}:")
        if isinstance(item, list) and item:
            out.append("\n")
            # PyYAML's default: a list sits at its key's indent; readable text indents it.
            _sequence(item, inner if blocks else indent, out, blocks, notes)
        else:
            _write(item, inner, out, blocks, notes)


def _comment(text: str, indent: str) -> str:
    return "".join(f"{indent}# {line}".rstrip() + "\n" for line in text.splitlines())


def _sequence(
    value: list[Any], indent: str, out: list[str], blocks: bool = False, notes: Notes = None
) -> None:
    inner = indent + "  "
    for item in value:
        if notes and id(item) in notes:
            out.append(_comment(notes[id(item)], indent))
        if isinstance(item, dict) and item:
            # The first key shares the dash's line; the others line up under it.
            first = len(out)
            _mapping(item, inner, out, blocks, notes)
            out[first] = indent + "- " + out[first][len(inner) :]
        else:
            out.append(indent + "-")
            _write(item, inner, out, blocks, notes)


def dump_spec(data: dict[str, Any], *, comments: Notes = None, readable: bool = False) -> str:
    """The YAML text of a spec, in block style with keys in their order.

    `comments` puts comment lines above list items (by the item's `id()`): an imported
    route says where it came from. `readable` writes multi-line text as `|` blocks.
    """
    if not isinstance(data, dict):
        raise TypeError("a spec is a mapping")
    out: list[str] = []
    _mapping(data, "", out, readable, comments)
    return "".join(out)


def dump_yaml(value: Any) -> str:
    """Any value as block YAML for a person to read: lists indented under their key, text
    with line breaks as `|` blocks."""
    out: list[str] = []
    if isinstance(value, dict) and value:
        _mapping(value, "", out, blocks=True)
    elif isinstance(value, list) and value:
        _sequence(value, "", out, blocks=True)
    else:
        _write(value, "", out, blocks=True)
        return "".join(out).lstrip(" ")
    return "".join(out)


def write_spec(data: dict[str, Any], handle: IO[str], *, header: str = "") -> None:
    """Write `header` (comment lines) and `data` as YAML to an open text file.

    The text is also remembered in the parse cache as holding `data`, so the first run
    of a large imported spec does not parse what was just written.
    """
    text = header + dump_spec(data)
    handle.write(text)
    remember_spec(text, data)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` in one step (a reader sees the old file or the new one)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
