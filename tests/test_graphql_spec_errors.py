"""Mistakes in a GraphQL endpoint are spec errors at load, each located where it is written:
the SDL's own line and column, or the spec's line for `mocks` and `operations`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from graphql import build_schema, introspection_from_schema

from mockserve import MockServer
from mockserve.cli import main

SPECS = Path(__file__).resolve().parent.parent / "specs"
LIBRARY = (SPECS / "library.graphql").read_text()


def validate(write_spec, spec: str, **files: str) -> tuple[int, list[str]]:
    path = write_spec(spec, **files)
    result = CliRunner().invoke(main, ["validate", str(path)])
    lines = [line.replace(str(path.parent) + "/", "") for line in result.output.splitlines()]
    return result.exit_code, lines


MOCKS = """\
mockserve: 1
graphql:
  path: /graphql
  schema: library.graphql
  list_length: {min: 3, max: 1}
  mocks:
    Boook: {title: x}
    Book: {titel: x, pages: many, genre: SCIFI, available: "{{ true }}"}
    Book.writer: {name: x}
    NewBook: {title: x}
    SearchResult: {}
    Genre: ROMANCE
    Query.books: [{title: null}]
  operations:
    - when: "{{ operation == 'x' }}"
"""


@pytest.mark.parametrize(
    "expected",
    [
        "spec.yaml:5:16: graphql.list_length: min (3) is greater than max (1)",
        "spec.yaml:7:5: graphql.mocks.Boook: unknown type 'Boook'; closest: Book, Boolean, Float",
        "spec.yaml:8:12: graphql.mocks.Book.titel: type 'Book' has no field 'titel'; "
        "closest: title, id, pages",
        "spec.yaml:8:29: graphql.mocks.Book.pages: Int is a whole number; got 'many' (text)",
        "spec.yaml:8:42: graphql.mocks.Book.genre: 'SCIFI' (text) is not a value of the enum "
        "Genre; closest: SCIENCE, FICTION, HISTORY",
        "spec.yaml:9:5: graphql.mocks['Book.writer']: type 'Book' has no field 'writer'; "
        "closest: title, author, genre",
        "spec.yaml:10:5: graphql.mocks.NewBook: 'NewBook' is an input type: answers never hold it",
        "spec.yaml:11:5: graphql.mocks.SearchResult: 'SearchResult' is a union: mock its member "
        "types (Book, Author)",
        "spec.yaml:12:12: graphql.mocks.Genre: 'ROMANCE' (text) is not a value of the enum Genre; "
        "closest: SCIENCE, POETRY, FICTION",
        "spec.yaml:13:27: graphql.mocks['Query.books'][0].title: "
        "null for the non-null type String!",
        "spec.yaml:15:13: graphql.operations[0].when: 'when' is an expression without braces: "
        "write \"operation == 'x'\"",
    ],
)
def test_mocks_that_do_not_fit_the_schema_are_located(write_spec, expected):
    code, lines = validate(write_spec, MOCKS, **{"library.graphql": LIBRARY})
    assert code == 2
    assert expected in lines
    assert lines[-1] == "spec.yaml: 11 problems"


@pytest.mark.parametrize(
    ("sdl", "expected"),
    [
        (
            "type Query {\n  a: Int\n  b: \n}\n",
            "schema.graphql:4:1: graphql: Syntax Error: Expected Name, found '}'.",
        ),
        (
            "type Query {\n  user: User\n}\n\ntype User {\n  friend: Usr\n}\n",
            "schema.graphql:6:11: graphql: Unknown type 'Usr'. Did you mean 'User'?",
        ),
        (
            "type Query {\n  a: Int\n}\n\ntype Query {\n  b: Int\n}\n",
            "schema.graphql:5:6: graphql: There can be only one type named 'Query'. (see also 1:6)",
        ),
        (
            "type User {\n  id: ID\n}\n",
            "schema.graphql:1:1: graphql: Query root type must be provided.",
        ),
    ],
)
def test_sdl_mistakes_are_located_in_the_sdl_file(write_spec, sdl, expected):
    spec = "mockserve: 1\ngraphql: {path: /graphql, schema: schema.graphql}\n"
    code, lines = validate(write_spec, spec, **{"schema.graphql": sdl})
    assert code == 2
    assert expected in lines


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, "spec.yaml:2:35: graphql.schema: file 'schema.json' not found"),
        (
            {"schema.json": '{"__schema": '},
            "schema.json:1:14: graphql: not valid JSON: Expecting value",
        ),
        (
            {"schema.json": '{"types": []}'},
            'schema.json:1:1: graphql: an introspection result holds {"__schema": ...} or '
            '{"data": {"__schema": ...}}; an SDL file is read as SDL when its name does not '
            "end in .json",
        ),
    ],
)
def test_a_schema_file_that_cannot_be_used_is_a_spec_error(write_spec, files, expected):
    spec = "mockserve: 1\ngraphql: {path: /graphql, schema: schema.json}\n"
    code, lines = validate(write_spec, spec, **files)
    assert code == 2
    assert expected in lines


def test_a_schema_outside_the_spec_folder_is_refused(write_spec):
    spec = "mockserve: 1\ngraphql: {path: /graphql, schema: ../schema.graphql}\n"
    code, lines = validate(write_spec, spec)
    assert code == 2
    assert (
        "spec.yaml:2:35: graphql.schema: '../schema.graphql' is outside the spec's folder" in lines
    )


def test_a_graphql_path_taken_by_a_route_is_a_duplicate(write_spec):
    spec = (
        "mockserve: 1\nroutes:\n  - {method: POST, path: /graphql, response: {json: {}}}\n"
        "graphql: {path: /graphql, schema: library.graphql}\n"
    )
    code, lines = validate(write_spec, spec, **{"library.graphql": LIBRARY})
    assert code == 2
    assert any("duplicate route POST /graphql" in line for line in lines)


@pytest.mark.parametrize("wrapped", [False, True], ids=["__schema", "data.__schema"])
def test_an_introspection_result_serves_like_the_sdl(tmp_path, wrapped):
    result = introspection_from_schema(build_schema(LIBRARY))
    (tmp_path / "schema.json").write_text(json.dumps({"data": result} if wrapped else result))
    spec = tmp_path / "spec.yaml"
    spec.write_text("mockserve: 1\ngraphql: {path: /graphql, schema: schema.json}\n")
    with MockServer(spec, seed=1) as server:
        query = "{ books(genre: POETRY) { title genre author { name } } }"
        body = requests.post(server.url + "/graphql", json={"query": query}, timeout=10).json()
    assert "errors" not in body
    assert {book["genre"] for book in body["data"]["books"]} <= {
        "FICTION",
        "HISTORY",
        "SCIENCE",
        "POETRY",
    }
