"""GraphQL endpoints, over real HTTP, as the example spec specs/library.yaml serves them.

A frontend points its GraphQL client at the mock: every valid query gets an answer that
fits the schema (checked by walking query and schema, not by graphql-core), `mocks` and
`operations` shape it, and a query the schema rejects gets GraphQL's own located errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from graphql import build_client_schema, build_schema, get_introspection_query, print_schema
from graphql_walk import AnswerCheck

from mockserve import MockServer

SPECS = Path(__file__).resolve().parent.parent / "specs"
SCHEMA = build_schema((SPECS / "library.graphql").read_text())

GET_BOOK = "query GetBook($id: ID!) { book(id: $id) { id title genre pages author { name } } }"
SEARCH = """
query Search {
  search(text: "dune") {
    __typename
    ... on Book { id title genre available rating }
    ... on Author { name born books { title } }
  }
  node(id: "1") { id __typename }
}
"""
ADD_BOOK = "mutation AddBook($book: NewBook!) { addBook(book: $book) { id title genre } }"


@pytest.fixture(scope="module")
def library():
    with MockServer(SPECS / "library.yaml") as server:
        yield server


@pytest.fixture
def mock(library):
    library.reset()
    return library


def ask(server, query, variables=None, operation=None, **kwargs):
    body = {"query": query, "variables": variables, "operationName": operation}
    return requests.post(server.url + "/graphql", json=body, timeout=10, **kwargs)


def fits(query: str, data) -> list[str]:
    return AnswerCheck(SCHEMA, query).data(SCHEMA.query_type, data)


def test_a_query_gets_an_answer_that_fits_the_schema(mock):
    answer = ask(mock, SEARCH)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert "errors" not in body
    assert fits(SEARCH, body["data"]) == []
    assert 2 <= len(body["data"]["search"]) <= 4  # list_length {min: 2, max: 4}
    # one concrete type for an interface: its __typename, and only the fields it selected
    assert body["data"]["node"]["__typename"] in {"Book", "Author"}


def test_mocks_give_types_and_fields_their_values(mock):
    data = ask(mock, GET_BOOK, {"id": "42"}).json()["data"]
    assert data["book"]["id"] == "42"  # Query.book: {id: "{{ args.id }}"}
    assert 80 <= data["book"]["pages"] <= 900  # Book: {pages: "{{ randint(80, 900) }}"}
    assert data["book"]["genre"] in {"FICTION", "HISTORY", "SCIENCE", "POETRY"}
    assert fits(GET_BOOK, data) == []


def test_seeded_answers_repeat_from_the_start(mock):
    first = [ask(mock, SEARCH).json(), ask(mock, GET_BOOK, {"id": "7"}).json()]
    mock.reset()
    again = [ask(mock, SEARCH).json(), ask(mock, GET_BOOK, {"id": "7"}).json()]
    assert again == first
    assert ask(mock, SEARCH).json() != first[0]  # the next answer is another draw


def test_an_operation_entry_answers_the_whole_operation(mock):
    body = ask(mock, GET_BOOK, {"id": "missing"}).json()
    assert body == {
        "errors": [{"message": "no such book", "path": ["book"]}],
        "data": {"book": None},
    }


def test_a_mutation_writes_state_that_later_operations_read(mock):
    before = ask(mock, "query LastAdded { book(id: 1) { title } }").json()
    assert before["data"]["book"]["title"] == "nothing added yet"
    book = {"title": "Dune", "genre": "FICTION", "authorId": "1"}
    added = ask(mock, ADD_BOOK, {"book": book}).json()["data"]["addBook"]
    assert added["title"] == "Dune" and added["genre"] == "FICTION"
    assert isinstance(added["id"], str)  # what `data` leaves out is generated
    after = ask(mock, "query LastAdded { book(id: 1) { title } }").json()
    assert after["data"]["book"]["title"] == "Dune"


def test_a_get_request_runs_a_query(mock):
    answer = requests.get(
        mock.url + "/graphql",
        params={"query": GET_BOOK, "variables": json.dumps({"id": "3"})},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["data"]["book"]["id"] == "3"


def test_a_mutation_over_get_is_refused_with_405(mock):
    answer = requests.get(mock.url + "/graphql", params={"query": ADD_BOOK}, timeout=10)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert "POST" in answer.json()["errors"][0]["message"]


def test_the_journal_shows_the_operation(mock):
    ask(mock, GET_BOOK, {"id": "1"})
    [entry] = mock.wait_for("POST", "GraphQL /graphql")
    assert entry.as_json()["graphql"] == {"operation": "GetBook", "type": "query"}
    listed = requests.get(mock.url + "/__mockserve/requests", timeout=10).json()
    assert listed[-1]["graphql"]["operation"] == "GetBook"


@pytest.mark.parametrize(
    ("query", "message", "location"),
    [
        (  # graphql-core's own suggestion
            "{ book(id: 1) { titel } }",
            "Cannot query field 'titel' on type 'Book'. Did you mean 'title'?",
            {"line": 1, "column": 17},
        ),
        (  # nothing close enough for graphql-core: the closest fields all the same
            "{ book(id: 1) { writer { name } } }",
            "Cannot query field 'writer' on type 'Book'. Closest fields of 'Book': ",
            {"line": 1, "column": 17},
        ),
        (
            "{ books(genre: SCIFI) { title } }",
            "Value 'SCIFI' does not exist in 'Genre' enum.",
            {"line": 1, "column": 16},
        ),
        (
            "{ book(id: 1) { title }",
            "Syntax Error: Expected Name, found <EOF>.",
            {"line": 1, "column": 24},
        ),
    ],
)
def test_a_query_the_schema_rejects_gets_located_errors(mock, query, message, location):
    answer = ask(mock, query)
    assert answer.status_code == 200  # application/json: GraphQL over HTTP's 200
    [error] = answer.json()["errors"]
    assert error["message"].startswith(message)
    assert error["locations"] == [location]
    assert "data" not in answer.json()
    # ... and a contract failure: the journal, --strict and the response header say so
    failures = json.loads(answer.headers["X-Mockserve-Failures"])
    assert failures[0]["in"] == "body" and failures[0]["path"] == "/query"
    assert failures[0]["message"].startswith(message)
    [entry] = mock.wait_for("POST", "/graphql")
    assert entry.failures == failures
    assert mock.violations[-1].failures == tuple(failures)


def test_the_closest_fields_are_named_when_graphql_core_names_none(mock):
    message = ask(mock, "{ book(id: 1) { writer } }").json()["errors"][0]["message"]
    assert "'author'" in message.split("Closest fields of 'Book':")[1]


def test_variables_that_do_not_fit_are_a_located_failure(mock):
    answer = ask(mock, GET_BOOK, {"id": None})
    [error] = answer.json()["errors"]
    assert "Variable '$id'" in error["message"]
    assert error["locations"] == [{"line": 1, "column": 15}]
    assert json.loads(answer.headers["X-Mockserve-Failures"])[0]["path"] == "/variables"


def test_a_client_asking_for_graphql_response_json_gets_400_for_a_rejected_query(mock):
    accept = {"Accept": "application/graphql-response+json, application/json;q=0.9"}
    answer = ask(mock, "{ nope }", headers=accept)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/graphql-response+json"
    assert ask(mock, SEARCH, headers=accept).status_code == 200


@pytest.mark.parametrize(
    ("send", "status", "message"),
    [
        ({"json": {"variables": {}}}, 400, "the request has no query"),
        (
            {"data": "{ books { title } }", "headers": {"Content-Type": "text/plain"}},
            415,
            "application/json",
        ),
        ({"data": "{not json", "headers": {"Content-Type": "application/json"}}, 400, "not JSON"),
        (
            {"json": {"query": "{ books { title } }", "variables": [1]}},
            400,
            "variables is an object",
        ),
    ],
)
def test_a_request_that_is_not_graphql_is_refused_in_graphql_words(mock, send, status, message):
    answer = requests.post(mock.url + "/graphql", timeout=10, **send)
    assert answer.status_code == status
    assert message in answer.json()["errors"][0]["message"]
    assert mock.violations


def test_introspection_rebuilds_the_schema(mock):
    body = ask(mock, get_introspection_query(descriptions=True)).json()
    assert print_schema(build_client_schema(body["data"])) == print_schema(SCHEMA)
    assert ask(mock, get_introspection_query(descriptions=True)).json() == body  # kept, same
    mock.wait_for("POST", "/graphql", times=2)  # each one journaled


def test_the_endpoint_is_listed_with_the_routes(mock):
    routes = requests.get(mock.url + "/__mockserve/routes", timeout=10).json()
    assert {"name": "GraphQL /graphql", "methods": ["GET", "POST"], "path": "/graphql"} in routes
    wrong = requests.get(mock.url + "/graphq", timeout=10).json()
    assert wrong["errors"][0]["route"] == "GraphQL /graphql"  # the near-miss 404 names it


# -- faults, delay and state on the entry and on its operations ---------------------------

FAULTY = """
mockserve: 1
graphql:
  - path: /flaky
    schema: library.graphql
    faults: [{rate: 1, status: 503, json: {errors: [{message: try again}]}}]
  - path: /gql
    schema: library.graphql
    state: {asked: "{{ (state.asked or 0) + 1 }}"}
    mocks:
      Book.rating: "{{ 'five stars' }}"  # not a Float: an error at that field when asked
    operations:
      - when: operation == 'Broken'
        faults: [{rate: 1, kind: malformed}]
      - when: operation == 'Slow'
        delay: 150
      - when: operation == 'Count'
        data: {books: [{title: "asked {{ state.asked }} times before"}]}
"""


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faulty")
    (folder / "library.graphql").write_text((SPECS / "library.graphql").read_text())
    (folder / "spec.yaml").write_text(FAULTY)
    with MockServer(folder / "spec.yaml") as server:
        yield server


def test_a_fault_on_the_entry_answers_every_operation(faulty):
    answer = requests.post(faulty.url + "/flaky", json={"query": "{ books { title } }"}, timeout=10)
    assert answer.status_code == 503
    assert answer.json() == {"errors": [{"message": "try again"}]}


def test_faults_and_delay_on_an_operation_entry(faulty):
    url = faulty.url + "/gql"
    broken = requests.post(url, json={"query": "query Broken { books { title } }"}, timeout=10)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    requests.post(url, json={"query": "query Slow { books { title } }"}, timeout=10)
    [slow] = [e for e in faulty.wait_for("POST", "/gql", times=2) if "Slow" in (e.body or "")]
    assert slow.duration_ms >= 150


def test_state_on_the_entry_is_written_after_every_operation(faulty):
    faulty.reset()
    url = faulty.url + "/gql"
    for _ in range(2):
        requests.post(url, json={"query": "{ books { title } }"}, timeout=10)
    counted = requests.post(url, json={"query": "query Count { books { title } }"}, timeout=10)
    assert counted.json()["data"]["books"] == [{"title": "asked 2 times before"}]


def test_a_mock_value_that_does_not_fit_is_an_error_at_its_field_and_a_violation(faulty):
    query = "{ book(id: 1) { title rating } }"
    body = requests.post(faulty.url + "/gql", json={"query": query}, timeout=10).json()
    [error] = body["errors"]
    assert error["message"] == "Float cannot represent non numeric value: 'five stars'"
    assert error["path"] == ["book", "rating"]
    assert body["data"]["book"]["rating"] is None and isinstance(body["data"]["book"]["title"], str)
    assert "five stars" in faulty.violations[-1].why


def test_a_document_of_several_operations_needs_the_operation_name(mock):
    document = "query A { books { title } } query B { book(id: 1) { id } }"
    assert "Must provide operation name" in ask(mock, document).json()["errors"][0]["message"]
    chosen = ask(mock, document, operation="B").json()
    assert chosen["data"]["book"]["id"] == "1"
    unknown = ask(mock, document, operation="C").json()["errors"][0]["message"]
    assert unknown == "Unknown operation named 'C'; the document has 'A', 'B'."


def test_deeply_nested_lists_stay_bounded(write_spec):
    """A query nesting a list field 12 deep would be 3**12 objects; the answer stays small."""
    schema = "type Node { id: ID!, children: [Node!]! }\ntype Query { nodes: [Node!]! }\n"
    spec = write_spec(
        "mockserve: 1\ngraphql:\n  path: /graphql\n  schema: schema.graphql\n"
        "  list_length: {min: 3, max: 3}\n",
        **{"schema.graphql": schema},
    )
    query = "{ nodes { id " + "children { id " * 12 + "}" * 12 + " } }"
    with MockServer(spec, seed=1) as server:
        answer = requests.post(server.url + "/graphql", json={"query": query}, timeout=30)
    assert answer.status_code == 200
    assert "errors" not in answer.json()
    assert len(answer.content) < 5_000_000
