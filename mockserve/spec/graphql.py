"""Compile the spec's `graphql` entries: each schema built once, mocks checked against it.

A mistake in the schema file is located in that file (line and column of the SDL); a
mistake in `mocks` or `operations` where the spec says it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..graphql.mocks import check_fields, check_value, mock_target
from ..graphql.schema import load_schema
from ..templating import Value
from .answers import Answers
from .build import Build, mapping, sequence
from .endpoints import GraphQLEndpoint, GraphQLMocks, GraphQLOperation
from .source import SourceFile, cache_dir, format_path

DEFAULT_LIST_LENGTH = (1, 3)


def compile_graphql(build: Build, source: SourceFile, raw: Any) -> tuple[GraphQLEndpoint, ...]:
    """The spec's GraphQL endpoints (`graphql:` is one entry or a list of them)."""
    entries: list[tuple[tuple[Any, ...], Any]]
    if isinstance(raw, dict):
        entries = [(("graphql",), raw)]
    else:
        entries = [(("graphql", i), item) for i, item in enumerate(sequence(raw))]
    compiled = [_endpoint(build, source, at, item) for at, item in entries]
    return tuple(endpoint for endpoint in compiled if endpoint is not None)


def _endpoint(build: Build, source: SourceFile, at: tuple, raw: Any) -> GraphQLEndpoint | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        return None
    answers = Answers(build)
    path = raw["path"]
    name = f"GraphQL {path}"
    build.claim(source, at, name, ("GET", "POST"), path, explicit=False)
    schema = None
    if isinstance(raw.get("schema"), str):
        target = build.loader.resolve_file(raw["schema"], source, at + ("schema",))
        if target is not None:
            shown = _display(source, target)
            schema, problems = load_schema(target, shown, format_path(at), cache_dir())
            build.problems.extend(problems)
    mocks = _mocks(build, answers, source, at, mapping(raw.get("mocks")), schema)
    operations = tuple(
        op
        for index, item in enumerate(sequence(raw.get("operations")))
        if (op := _operation(build, answers, source, at + ("operations", index), item))
    )
    endpoint = GraphQLEndpoint(
        name=name,
        path=path,
        schema=schema,
        list_length=_list_length(build, source, at, raw.get("list_length")),
        mocks=mocks,
        operations=operations,
        faults=answers.faults(source, at, sequence(raw.get("faults"))),
        delay=build.loader.delay(source, at + ("delay",), raw.get("delay")),
        state=_state(answers, source, at, raw),
        where=format_path(at),
    )
    return endpoint if schema is not None else None


def _display(source: SourceFile, target: Path) -> str:
    """The schema file as problems name it: relative when the spec was named relatively."""
    if Path(source.name).is_absolute():
        return str(target)
    return os.path.relpath(target, Path.cwd())


def _list_length(build: Build, source: SourceFile, at: tuple, raw: Any) -> tuple[int, int]:
    if not isinstance(raw, dict):
        return DEFAULT_LIST_LENGTH
    low = raw.get("min", DEFAULT_LIST_LENGTH[0])
    high = raw.get("max", max(low, DEFAULT_LIST_LENGTH[1]) if isinstance(low, int) else 3)
    if not isinstance(low, int) or not isinstance(high, int):
        return DEFAULT_LIST_LENGTH
    if low > high:
        build.problem(source, at + ("list_length",), f"min ({low}) is greater than max ({high})")
        return DEFAULT_LIST_LENGTH
    return low, high


def _mocks(
    build: Build, answers: Answers, source: SourceFile, at: tuple, raw: dict, schema: Any
) -> GraphQLMocks:
    """`mocks`: each key a type or Type.field of the schema, each value fitting its type."""
    if schema is None:
        return GraphQLMocks()
    types: dict[str, Value] = {}
    by_type: dict[tuple[str, str], Value] = {}
    by_field: dict[tuple[str, str], Value] = {}
    for key, value in raw.items():
        where = at + ("mocks", key)
        named, field, why = mock_target(schema, str(key))
        if named is None:
            build.problem(source, where, str(why), key=True)
            continue
        if field is not None:
            mistakes = check_value(schema, named.fields[field].type, value)  # type: ignore[attr-defined]
        elif hasattr(named, "fields"):
            mistakes = check_fields(schema, named, value)  # type: ignore[arg-type]
        else:
            mistakes = check_value(schema, named, value)  # type: ignore[arg-type]
        for mistake in mistakes:
            build.problem(source, where + mistake.at, mistake.message, key=mistake.key)
        if mistakes:
            continue
        if field is not None:
            compiled = answers.value(source, where, value)
            if compiled is not None:
                by_field[(named.name, field)] = compiled
        elif hasattr(named, "fields"):
            for name, item in value.items():
                compiled = answers.value(source, where + (name,), item)
                if compiled is not None:
                    by_type[(named.name, str(name))] = compiled
        else:
            compiled = answers.value(source, where, value)
            if compiled is not None:
                types[named.name] = compiled
    return GraphQLMocks(types=types, fields={**by_type, **by_field})


def _operation(
    build: Build, answers: Answers, source: SourceFile, at: tuple, raw: Any
) -> GraphQLOperation | None:
    if not isinstance(raw, dict):
        return None
    data = answers.value(source, at + ("data",), raw["data"]) if "data" in raw else None
    errors = answers.value(source, at + ("errors",), raw["errors"]) if "errors" in raw else None
    return GraphQLOperation(
        when=answers.when(source, at, raw, True),
        data=data,
        has_data="data" in raw,
        errors=errors,
        faults=answers.faults(source, at, sequence(raw.get("faults"))),
        delay=build.loader.delay(source, at + ("delay",), raw.get("delay")),
        state=_state(answers, source, at, raw),
        where=format_path(at),
    )


def _state(answers: Answers, source: SourceFile, at: tuple, raw: dict) -> tuple:
    compiled = []
    for name, value in mapping(raw.get("state")).items():
        template = answers.value(source, at + ("state", name), value)
        if template is not None:
            compiled.append((str(name), template))
    return tuple(compiled)
