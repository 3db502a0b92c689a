"""Read a GraphQL schema, SDL or an introspection result, with every mistake located.

The SDL is parsed once without token locations (half the cost on GitHub's 1 MB schema);
only a schema with mistakes is parsed again with them, to say where each one is. An SDL
seen valid before (its sha256 noted in the cache folder) skips the SDL rules, a third of
the rest; nothing is read back from the cache but that the text was valid.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    build_ast_schema,
    build_client_schema,
    parse,
    validate_schema,
)
from graphql import version as graphql_version
from graphql.validation.validate import validate_sdl

from ..errors import SpecProblem

WHERE = "graphql.schema"


def load_schema(
    path: Path, display: str, where: str = WHERE, cache: Path | None = None
) -> tuple[GraphQLSchema | None, list]:
    """The schema in `path` (SDL, or JSON for an introspection result) and its problems.

    Problems are `SpecProblem`s located in the schema file itself (`display` names it).
    `cache`: a folder where valid SDL texts are noted (None: none).
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [SpecProblem(display, 1, 1, where, f"cannot read the schema: {exc}")]
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _from_introspection(text, display, where)
    return _from_sdl(text, display, where, cache)


def _from_sdl(
    text: str, display: str, where: str, cache: Path | None
) -> tuple[GraphQLSchema | None, list]:
    try:
        document = parse(text, no_location=True)
    except GraphQLSyntaxError as exc:
        return None, [_located(exc, display, where)]
    noted = _note(text, cache)
    if noted is not None and noted.exists():
        # valid as noted: neither the SDL rules nor the schema's (at its first query) run
        return build_ast_schema(document, assume_valid=True, assume_valid_sdl=True), []
    errors: list[GraphQLError] = list(validate_sdl(document))
    schema = None
    if not errors:
        schema = build_ast_schema(document, assume_valid_sdl=True)
        errors = list(validate_schema(schema))
    if not errors:
        if noted is not None:
            _touch(noted)
        return schema, []
    document = parse(text)  # again, with locations: only to say where each mistake is
    errors = list(validate_sdl(document)) or list(
        validate_schema(build_ast_schema(document, assume_valid_sdl=True))
    )
    return None, [_located(error, display, where) for error in errors]


def _from_introspection(text: str, display: str, where: str) -> tuple[GraphQLSchema | None, list]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg}"
        return None, [SpecProblem(display, exc.lineno, exc.colno, where, message)]
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    if not isinstance(data, dict) or not isinstance(data.get("__schema"), dict):
        message = (
            'an introspection result holds {"__schema": ...} or {"data": {"__schema": ...}}; '
            "an SDL file is read as SDL when its name does not end in .json"
        )
        return None, [SpecProblem(display, 1, 1, where, message)]
    try:
        schema = build_client_schema(data)  # type: ignore[arg-type]
    except (TypeError, KeyError, ValueError, GraphQLError) as exc:
        message = f"not a usable introspection result: {exc}"
        return None, [SpecProblem(display, 1, 1, where, message)]
    errors = validate_schema(schema)
    if errors:
        return None, [SpecProblem(display, 1, 1, where, e.message) for e in errors]
    return schema, []


CACHE_MIN_CHARS = 64 * 1024  # smaller schemas are checked faster than a note is looked up


def _note(text: str, cache: Path | None) -> Path | None:
    """Where the note that `text` is a valid SDL would be (per graphql-core version)."""
    if cache is None or len(text) < CACHE_MIN_CHARS:
        return None
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return cache / f"{digest}-sdl-valid-graphql-core-{graphql_version}"


def _touch(note: Path) -> None:
    try:
        note.parent.mkdir(parents=True, exist_ok=True)
        note.touch()
    except OSError:
        pass  # a cache that cannot be written only saves less time


def _located(error: GraphQLError, display: str, where: str) -> SpecProblem:
    """A GraphQL error as a spec problem in the schema file, at its last location (a second
    definition, an implementation: what to change), naming the others."""
    locations = error.locations or []
    if not locations:
        return SpecProblem(display, 1, 1, where, error.message)
    *others, last = locations
    seen = "".join(f" (see also {other.line}:{other.column})" for other in others)
    return SpecProblem(display, last.line, last.column, where, error.message + seen)
