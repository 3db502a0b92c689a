"""Read YAML (or JSON) while remembering where every value stands in the file."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml

from ..errors import SpecProblem

Path = tuple[Any, ...]


@dataclass
class SourceFile:
    """A parsed file: its data and the line/column of each value, keyed by path.

    Marks are only read to locate a problem: with `text` set, they are worked out (by
    parsing the text again, with marks) when the first problem asks for them.
    """

    name: str
    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    location: Any = None  # the file's resolved pathlib.Path, when read from disk
    text: str | None = field(default=None, repr=False)
    # Values YAML 1.1 read as booleans from an unquoted yes/no/on/off: path -> the text
    implicit_bools: dict[Path, str] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Line and column of `path`, or of its closest located ancestor."""
        if self.text is not None:
            marked, _ = parse_marked(self.text, self.name)
            self.text = None
            if marked is not None:
                self.marks, self.key_marks = marked.marks, marked.key_marks
        path = tuple(path)
        if key and path in self.key_marks:
            return self.key_marks[path]
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def problem(self, path: Path, message: str, *, key: bool = False) -> SpecProblem:
        line, column = self.locate(path, key=key)
        return SpecProblem(self.name, line, column, format_path(path), message)


def format_path(path: Path) -> str:
    """Render a data path the way users write it: `routes[3].response.status`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            part = str(part)
            simple = part.replace("_", "").replace("-", "").lstrip("$").isalnum()
            text += (f".{part}" if text else part) if simple else f"[{part!r}]"
    return text


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML whose values are all JSON: `2024-01-01` stays the text written, not a date."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Plain data, no marks: keys as text and dates kept as written (JSON-ready)."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        return {
            (k if isinstance(k, str) else str(k).lower() if isinstance(k, bool) else str(k)): v
            for k, v in mapping.items()
        }


_FastLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)
_OPENAPI_KEY = re.compile(r"^[\"']?openapi[\"']?\s*:", re.MULTILINE)
_MOCKSERVE_KEY = re.compile(r"^[\"']?mockserve[\"']?\s*:", re.MULTILINE)


def parse_openapi_fast(text: str, name: str) -> SourceFile | None:
    """Parse an OpenAPI document quickly (json.loads, or YAML without marks); None if not one.

    A 13 MB document must serve within seconds, and marks point into the document, not
    into the spec made from it, so they are not worth their cost here.
    """
    stripped = text.lstrip()
    data: Any = None
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
    elif _OPENAPI_KEY.search(text) and not _MOCKSERVE_KEY.search(text):
        try:
            data = parse_yaml_cached(text)
        except yaml.YAMLError:
            return None
    if not isinstance(data, dict) or "openapi" not in data or "mockserve" in data:
        return None
    return SourceFile(name, data)


# Parsing YAML costs ~0.7 s a megabyte even with libyaml (objects are built in Python);
# a document seen before is read back from the cache in milliseconds. Smaller ones parse
# faster than a cache file is checked.
CACHE_MIN_BYTES = 256 * 1024
_CACHE_VERSION = 2  # bump when what _FastLoader or _plain builds changes


def cache_dir() -> FilePath | None:
    """Where parsed documents are kept: MOCKSERVE_CACHE_DIR, or the user's cache folder.

    MOCKSERVE_CACHE_DIR=off keeps nothing.
    """
    configured = os.environ.get("MOCKSERVE_CACHE_DIR")
    if configured:
        return None if configured.lower() in ("off", "0", "no", "false") else FilePath(configured)
    import platformdirs  # noqa: PLC0415 - only when a large YAML document is read

    return FilePath(platformdirs.user_cache_dir("mockserve")) / "parsed"


def parse_yaml_cached(text: str) -> Any:
    """YAML as plain data (no marks, OpenAPI's reading), from the parse cache if seen before."""
    return _cached(text, "openapi", lambda: _parse_openapi(text))


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def _parse_openapi(text: str) -> Any:
    """What `yaml.load(text, Loader=_FastLoader)` gives, built from the nodes directly.

    PyYAML's constructor walks every node through generators and dispatch tables; a
    plain walk is a quarter faster on Stripe's 4 MB (2.0 s instead of 2.65 s). Anything
    unusual (a tagged collection, an unhashable key, a recursive alias) is left to PyYAML.
    """
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None:
        return None
    try:
        return _openapi_data(node, _FastLoader(""))
    except (_NeedsMarks, RecursionError):
        return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a safe loader


def _openapi_data(node, constructor) -> Any:
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP_TAG:
            raise _NeedsMarks  # !!set, !!omap...: PyYAML builds those
        constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        texts = True
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            else:
                key = constructor.construct_object(key_node, deep=True)
                if isinstance(key, (dict, list)):
                    raise _NeedsMarks  # PyYAML refuses an unhashable key
                texts = texts and isinstance(key, str)
            result[key] = _openapi_data(value_node, constructor)
        if texts:
            return result
        # Keys made text afterwards, as _FastLoader.construct_mapping does (`on` and `1`
        # are one key to Python until then).
        return {
            (k if isinstance(k, str) else str(k).lower() if isinstance(k, bool) else str(k)): v
            for k, v in result.items()
        }
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ_TAG:
            raise _NeedsMarks
        return [_openapi_data(item, constructor) for item in node.value]
    if node.tag == _STR_TAG or node.tag == _TIMESTAMP_TAG:
        return node.value
    return constructor.construct_object(node, deep=True)


def _cached(text: str, kind: str, parse: Callable[[], Any]) -> Any:
    """What `parse()` makes of `text`, read from the parse cache when the same text was seen.

    Keyed by the text's sha256, the reading (`kind`), and PyYAML's and Python's versions:
    a changed file, or another PyYAML or Python, is parsed afresh. A cache that cannot be
    read or written is skipped: it only ever saves time.
    """
    target = _cache_file(text, kind)
    if target is None:
        return parse()
    try:
        return marshal.loads(target.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass
    data = parse()
    _store(target, data)
    return data


def _cache_file(text: str, kind: str) -> FilePath | None:
    folder = cache_dir() if len(text) >= CACHE_MIN_BYTES else None
    if folder is None:
        return None
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return folder / f"{digest}-{kind}{_CACHE_VERSION}-{yaml.__version__}-{python}.marshal"


def _store(target: FilePath, data: Any) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as handle:
            handle.write(marshal.dumps(data))
        os.replace(handle.name, target)  # whole or not at all, even with two servers starting
    except (OSError, ValueError):
        pass


def remember_spec(text: str, data: Any) -> None:
    """Put `data` in the parse cache as what spec file `text` holds (a spec just written).

    For a writer whose output is known to read back as `data` (spec.writer): the first
    start of a 17 MB import then skips parsing it.
    """
    target = _cache_file(text, "source")
    if target is not None:
        _store(target, data)


class _NeedsMarks(Exception):
    """The quick reading met what only the marked one reports (a duplicate key)."""


def parse_source(text: str, name: str) -> tuple[SourceFile | None, list[SpecProblem]]:
    """Parse YAML text into data, marks to follow if a problem needs them; never raise.

    The data is the marked reading's, built without its 1.5 million marks for a 17 MB
    spec (and from the parse cache for a large file seen before).
    """
    try:
        data = _cached(text, "source", lambda: _parse_plain(text))
    except (_NeedsMarks, yaml.YAMLError, RecursionError):
        return parse_marked(text, name)
    return SourceFile(name, data, text=text), []


def _parse_plain(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    return None if node is None else _plain(node, _Loader(""))


def _plain(node, constructor) -> Any:
    """What `_build` makes of `node`, without marks; raise _NeedsMarks where it reports
    (a duplicate key) or records (an implicit boolean)."""
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            else:
                key = constructor.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    plain = isinstance(key_node, yaml.ScalarNode)
                    key = key_node.value if plain else str(key)
            if key in result:
                raise _NeedsMarks
            result[key] = _plain(value_node, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, constructor) for item in node.value]
    if node.tag == _STR_TAG:
        return node.value
    value = constructor.construct_object(node, deep=True)
    if isinstance(value, bool) and node.value.lower() not in ("true", "false"):
        raise _NeedsMarks  # an unquoted yes/no/on/off: the marked reading warns where
    return value


_STR_TAG = "tag:yaml.org,2002:str"


def parse_marked(text: str, name: str) -> tuple[SourceFile | None, list[SpecProblem]]:
    """Parse YAML text into data with marks; return problems instead of raising."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context:
            message = f"{message} ({context})"
        return None, [SpecProblem(name, line, column, "", f"invalid YAML: {message}")]
    source = SourceFile(name, None)
    problems: list[SpecProblem] = []
    if node is None:
        return source, problems
    constructor = _Loader("")
    source.data = _build(node, (), source, constructor, problems)
    return source, problems


def _build(node, path: Path, source: SourceFile, constructor, problems) -> Any:
    source.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                # A key is a name: `on`, `yes`, `null` or `0x1F` stay the text written.
                plain = isinstance(key_node, yaml.ScalarNode)
                key = key_node.value if plain else str(key)
            if key in result:
                line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(
                    SpecProblem(
                        source.name,
                        line,
                        column,
                        format_path(path + (key,)),
                        f"duplicate key {key!r}",
                    )
                )
            source.key_marks[path + (key,)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = _build(value_node, path + (key,), source, constructor, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, path + (index,), source, constructor, problems)
            for index, item in enumerate(node.value)
        ]
    value = constructor.construct_object(node, deep=True)
    if isinstance(value, bool) and node.value.lower() not in ("true", "false"):
        source.implicit_bools[path] = node.value
    return value
