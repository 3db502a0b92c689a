"""Read YAML (or JSON) while remembering where every value stands in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import SpecProblem

Path = tuple[Any, ...]


@dataclass
class SourceFile:
    """A parsed file: its data and the line/column of each value, keyed by path."""

    name: str
    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    location: Any = None  # the file's resolved pathlib.Path, when read from disk

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Line and column of `path`, or of its closest located ancestor."""
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


def parse_source(text: str, name: str) -> tuple[SourceFile | None, list[SpecProblem]]:
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
                key = str(key).lower() if isinstance(key, bool) else str(key)
            if key in result:
                line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(
                    SpecProblem(source.name, line, column, format_path(path + (key,)),
                                f"duplicate key {key!r}")
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
    return constructor.construct_object(node, deep=True)
