"""`mockserve verify`: a real backend checked against the spec, case by case."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from upstream import Answer, Upstream, json_answer

from mockserve.cli import main
from mockserve.verify import infer_schema, shape_differences

SPEC = """
    mockserve: 1
    schemas:
      Order:
        type: object
        required: [item, qty]
        properties:
          item: {type: string, minLength: 1}
          qty: {type: integer, minimum: 1}
    routes:
      - name: get-user
        path: /users/{id:int}
        examples:
          - name: existing
            request: {path: /users/1, headers: {Accept: application/json}}
        response:
          headers: {X-Request-Id: "{{ uuid() }}"}
          json: {id: "{{ path.id }}", name: "{{ fake.name() }}", tags: [a], nick: null}
      - name: health
        path: /health
        response:
          verify: exact
          json: {status: ok}
      - name: create-order
        method: POST
        path: /orders
        body: {schema: {$ref: "#/schemas/Order"}}
        response:
          status: 201
          schema: {type: object, required: [id], properties: {id: {type: string}}}
          json: {id: "{{ uuid() }}"}
      - name: search
        path: /search
        query: {required: [q], properties: {q: {type: string}, limit: {type: integer}}}
        response:
          text: "found"
"""


def agreeing(upstream: Upstream) -> None:
    upstream.answer(
        "GET",
        "/users/1",
        json_answer(
            {"id": 1, "name": "Ada", "tags": ["x", "y"], "nick": 3, "extra": True},
            headers=[("X-Request-Id", "r-1")],
        ),
    )
    upstream.answer("GET", "/health", json_answer({"status": "ok"}))
    upstream.answer("POST", "/orders", json_answer({"id": "o-1"}, 201))
    upstream.answer(
        "GET", "/search", Answer(200, [("Content-Type", "text/plain; charset=utf-8")], b"hits")
    )


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.stop()


@pytest.fixture
def verify(write_spec):
    def run(url: str, *options: str, spec: str = SPEC):
        path = write_spec(spec)
        return CliRunner().invoke(main, ["verify", str(path), "--against", url, *options])

    return run


def test_a_backend_that_agrees_passes_every_case(upstream, verify):
    agreeing(upstream)
    result = verify(upstream.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "PASS get-user[existing]",
        "PASS health[generated]",
        "PASS create-order[generated]",
        "PASS search[generated]",
        "4 passed, 0 failed",
    ]
    order = next(seen for seen in upstream.seen if seen.method == "POST")
    sent = json.loads(order.body)  # generated from the contract: a valid Order
    assert isinstance(sent["item"], str) and sent["item"] and sent["qty"] >= 1
    assert order.headers["content-type"] == "application/json"
    search = next(seen for seen in upstream.seen if seen.path == "/search")
    assert set(search.query) == {"q"}  # required parameters only


def test_a_wrong_type_fails_with_where_and_what(upstream, verify):
    agreeing(upstream)
    upstream.answer(
        "GET",
        "/users/1",
        json_answer(
            {"id": 1, "name": 42, "tags": [7], "nick": None}, headers=[("X-Request-Id", "r")]
        ),
    )
    upstream.answer("GET", "/health", json_answer({"status": "degraded"}))
    upstream.answer("POST", "/orders", json_answer({"id": 5}, 201))
    upstream.answer("GET", "/search", json_answer({"hits": []}, 404))
    result = verify(upstream.url)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "FAIL get-user[existing] body /name: expected string, got integer; "
        "body /tags/0: expected string, got integer",
        'FAIL health[generated] body: expected \'{"status":"ok"}\', got \'{"status": "degraded"}\'',
        "FAIL create-order[generated] body /id: 5 is not of type 'string'",
        "FAIL search[generated] status: expected 200, got 404; "
        "content-type: expected text/plain, got application/json",
        "0 passed, 4 failed",
    ]


def test_missing_headers_and_another_media_type_fail(upstream, verify):
    agreeing(upstream)
    upstream.answer("GET", "/users/1", Answer(200, [("Content-Type", "text/html")], b"<p>"))
    result = verify(upstream.url, "--route", "get-user")
    assert result.stdout.splitlines() == [
        "FAIL get-user[existing] content-type: expected application/json, got text/html; "
        "header x-request-id: missing; body: expected JSON, got '<p>'",
        "0 passed, 1 failed",
    ]


def test_only_safe_sends_no_post_and_headers_go_to_both(upstream, verify):
    agreeing(upstream)
    result = verify(upstream.url, "--only-safe", "--header", "Authorization: Bearer t")
    assert result.exit_code == 0, result.output
    assert "SKIP create-order[generated] (POST; --only-safe)" in result.stdout
    assert result.stdout.splitlines()[-1] == "3 passed, 0 failed, 1 skipped"
    assert all(seen.method == "GET" for seen in upstream.seen)
    assert all(seen.headers["authorization"] == "Bearer t" for seen in upstream.seen)


def test_junit_report_lists_each_case(upstream, verify, tmp_path):
    agreeing(upstream)
    upstream.answer("GET", "/health", json_answer({"status": "degraded"}))
    report = tmp_path / "verify.xml"
    result = verify(upstream.url, "--junit", str(report))
    assert result.exit_code == 1
    suite = ET.parse(report).getroot()
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures")) == ("4", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {
        "get-user[existing]",
        "health[generated]",
        "create-order[generated]",
        "search[generated]",
    }
    failure = cases["health[generated]"].find("failure")
    assert failure is not None and failure.get("message").startswith("body: expected")
    assert cases["get-user[existing]"].find("failure") is None


def test_exit_3_when_the_backend_cannot_be_reached(verify):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result = verify(f"http://127.0.0.1:{port}")
    assert result.exit_code == 3
    assert f"cannot reach http://127.0.0.1:{port}: connection refused" in result.stderr


def test_exit_2_for_a_spec_error_or_an_unknown_route(upstream, verify):
    result = verify(upstream.url, spec="mockserve: 1\nroutes: [{path: nope}]\n")
    assert result.exit_code == 2
    assert "routes[0].path" in result.stderr
    result = verify(upstream.url, "--route", "nope")
    assert result.exit_code == 2
    assert "no route named 'nope'" in result.stderr
    assert upstream.seen == []


def test_a_case_the_spec_itself_refuses_is_a_failure_of_the_spec(upstream, verify):
    spec = """
        mockserve: 1
        routes:
          - name: only-admins
            path: /admin
            examples: [{name: plain, request: {path: /admin}}]
            responses:
              - when: headers.authorization
                json: {ok: true}
    """
    result = verify(upstream.url, spec=spec)
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL only-admins[plain] spec: the spec answers this request")
    assert upstream.seen == []


@pytest.mark.parametrize(
    "expected, actual, differences",
    [
        ({"a": 1}, {"a": 2.5}, ["body /a: expected integer, got number"]),
        ({"a": 1.5}, {"a": 2}, []),  # an integer is a number
        ({"a": None}, {"a": "x"}, []),  # null says nothing about the type
        ({"a": {"b/c": "x"}}, {"a": {}}, ["body /a/b~1c: missing"]),
        ([{"id": 1}], [{"id": 1}, {"id": "2"}], ["body /1/id: expected integer, got string"]),
        ([], [1, "x"], []),
        ("text", {"a": 1}, ["body /: expected string, got object"]),
        (True, 1, ["body /: expected boolean, got integer"]),
    ],
)
def test_shapes_compare_types_and_keys_not_values(expected, actual, differences):
    assert list(shape_differences(infer_schema(expected), actual)) == differences


def test_a_route_example_must_be_a_path_the_route_answers(write_spec):
    from mockserve import SpecError, load_spec

    path = write_spec(
        """
        mockserve: 1
        routes:
          - path: /users/{id:int}
            examples: [{name: bad, request: {path: /users/abc}}]
        """
    )
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "routes[0].examples[0].request.path: '/users/abc' is not a path this route" in str(
        caught.value
    )


OPENAPI = """
    openapi: 3.0.3
    info: {title: Users, version: "1"}
    paths:
      /users/{user-id}:
        get:
          operationId: get-user
          parameters:
            - {name: user-id, in: path, required: true, schema: {type: integer}}
          responses:
            "200":
              description: a user
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/User"}
                  example: {id: 1, name: Ada}
    components:
      schemas:
        User:
          type: object
          required: [id, name]
          properties:
            id: {type: integer}
            name: {type: string}
            nick: {type: string, nullable: true}
"""


@pytest.mark.parametrize(
    "answer, line",
    [
        ({"id": 3, "name": "Bo", "nick": None}, "PASS get-user[generated]"),
        (
            {"id": 3, "name": "Bo", "nick": 7},  # a field the example lacks: the schema knows
            "FAIL get-user[generated] body /nick: 7 is not of type 'string', 'null'",
        ),
    ],
)
def test_an_openapi_document_is_checked_against_its_declared_schema(upstream, verify, answer, line):
    upstream.answer("GET", "/users/1", json_answer(answer))
    result = verify(upstream.url, spec=OPENAPI)
    assert result.stdout.splitlines()[0] == line, result.output
