"""Real schemas written by others (shared/corpus/graphql): GitHub's public API and SWAPI.

Every root field of each schema, queries and mutations alike, is asked for with a query
made from the schema; each answer is checked against query and schema by an independent
walk (tests/graphql_walk.py). Mistyped queries get located errors, introspection rebuilds
the very schema, and a seed repeats its answers.
"""

from __future__ import annotations

import shutil

import pytest
import requests
from graphql import build_client_schema, build_schema, get_introspection_query, print_schema
from graphql_walk import AnswerCheck, QueryMaker, find_corpus

from mockserve import MockServer
from mockserve.graphql.schema import load_schema

CORPUS = find_corpus()
if CORPUS is None:
    pytest.fail(
        "shared/corpus/graphql (github.graphql, swapi.graphql) is missing: these tests run "
        "against real schemas kept beside the repository",
        pytrace=False,
    )
NAMES = ("swapi", "github")
SCHEMAS = {name: build_schema((CORPUS / f"{name}.graphql").read_text()) for name in NAMES}
CHUNKS = 4  # GitHub's mutations, asked for in parts that each take a second or so

SPEC = """\
mockserve: 1
settings: {seed: 11}
graphql:
  - {path: /swapi, schema: swapi.graphql}
  - {path: /github, schema: github.graphql}
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    for name in NAMES:
        shutil.copy(CORPUS / f"{name}.graphql", folder)
    (folder / "spec.yaml").write_text(SPEC)
    with MockServer(folder / "spec.yaml") as server:
        yield server


def ask(server, name: str, query: str) -> dict:
    answer = requests.post(f"{server.url}/{name}", json={"query": query}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def root_fields(name: str, kind: str) -> list[str]:
    schema = SCHEMAS[name]
    root = schema.query_type if kind == "query" else schema.mutation_type
    return list(root.fields) if root is not None else []


def check_every(server, name: str, kind: str, fields: list[str]) -> int:
    schema = SCHEMAS[name]
    root = schema.query_type if kind == "query" else schema.mutation_type
    maker = QueryMaker(schema, seed=len(fields))
    problems = []
    for field in fields:
        query = maker.operation(kind, field)
        body = ask(server, name, query)
        if "errors" in body:
            problems.append(f"{query}\n  errors: {body['errors']}")
            continue
        problems += [f"{query}\n  {p}" for p in AnswerCheck(schema, query).data(root, body["data"])]
    assert problems == []
    return len(fields)


@pytest.mark.parametrize("name", NAMES)
def test_every_query_field_answers_fitting_the_schema(corpus, name):
    assert check_every(corpus, name, "query", root_fields(name, "query")) > 10


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_github_mutation_answers_fitting_the_schema(corpus, chunk):
    fields = root_fields("github", "mutation")[chunk::CHUNKS]
    assert check_every(corpus, "github", "mutation", fields) > 40


def test_the_walk_finds_answers_that_do_not_fit():
    """The check above can fail: wrong answers are each named."""
    schema = SCHEMAS["swapi"]
    query = "{ film(id: 1) { title episodeID characterConnection { characters { name } } } }"
    wrong = {
        "film": {
            "title": 7,
            "episodeID": "IV",
            "characterConnection": {"characters": {"name": "Luke"}},
        }
    }
    assert AnswerCheck(schema, query).data(schema.query_type, wrong) == [
        "data.film.title: 7 is not a String",
        "data.film.episodeID: 'IV' is not a Int",
        'data.film.characterConnection.characters: [Person] answered with {"name": "Luke"}',
    ]
    extra = {"film": {"title": "A New Hope", "episodeID": 4, "director": "x"}}
    assert AnswerCheck(schema, "{ film(id: 1) { title episodeID } }").data(
        schema.query_type, extra
    ) == ["data.film: keys ['director', 'episodeID', 'title'] but selected ['episodeID', 'title']"]


@pytest.mark.parametrize(
    ("name", "query", "message", "column"),
    [
        (
            "github",
            '{ repository(owner: "o", name: "n") { stargazersCount } }',
            "Cannot query field 'stargazersCount' on type 'Repository'. "
            "Did you mean 'stargazerCount'",
            39,
        ),
        (
            "github",
            '{ repository(owner: "o", name: "n") { zzz } }',
            "Cannot query field 'zzz' on type 'Repository'. Closest fields of 'Repository': ",
            39,
        ),
        (
            "github",
            '{ repository(name: "n") { name } }',
            "Argument 'Query.repository(owner:)' of type 'String!' is required",
            3,
        ),
        ("swapi", '{ allFilms(first: "two") { totalCount } }', "Int cannot represent", 19),
        ("swapi", "{ person(id: 1) { name }", "Syntax Error", 25),
    ],
)
def test_mistyped_queries_get_located_errors(corpus, name, query, message, column):
    body = ask(corpus, name, query)
    assert "data" not in body
    [error] = body["errors"]
    assert message in error["message"]
    assert error["locations"] == [{"line": 1, "column": column}]


@pytest.mark.parametrize("name", NAMES)
def test_introspection_rebuilds_the_schema(corpus, name):
    query = get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True
    )
    body = ask(corpus, name, query)
    assert "errors" not in body
    rebuilt = build_client_schema(body["data"])
    assert print_schema(rebuilt) == print_schema(SCHEMAS[name])


@pytest.mark.parametrize("name", NAMES)
def test_seeded_answers_repeat(corpus, name):
    maker = QueryMaker(SCHEMAS[name], seed=5)
    queries = [maker.operation("query", field) for field in root_fields(name, "query")[:6]]
    corpus.reset()
    first = [ask(corpus, name, query) for query in queries]
    corpus.reset()
    assert [ask(corpus, name, query) for query in queries] == first


def test_a_valid_sdl_is_noted_so_the_next_load_skips_its_checks(tmp_path):
    path = CORPUS / "github.graphql"
    first, problems = load_schema(path, "github.graphql", cache=tmp_path)
    assert problems == []
    [note] = tmp_path.iterdir()  # a name only: sha256 of the text, graphql-core's version
    assert note.stat().st_size == 0
    second, problems = load_schema(path, "github.graphql", cache=tmp_path)
    assert problems == []
    assert set(second.type_map) == set(first.type_map) == set(SCHEMAS["github"].type_map)
    assert second._validation_errors == []  # taken as valid: its first query skips the rules
