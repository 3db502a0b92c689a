"""Contracts: `query`, `headers` and `body` are JSON Schemas every request is checked against.

Query parameters and headers are strings (a parameter given twice is a list), except
that a top-level property typed `integer`, `number` or `boolean` is converted first.
Header names match case-insensitively. `body.content_type` (default
`application/json`) must match the request's Content-Type; JSON and form bodies are
parsed and checked. Every part is checked and a 422 lists every failure as
`{in, path, message}`.
"""

from __future__ import annotations

import json

import pytest

SPEC = """
    mockserve: 1
    schemas:
      Order:
        type: object
        required: [item, qty]
        properties:
          item: {type: string, minLength: 1}
          qty: {type: integer, minimum: 1}
        additionalProperties: false
    routes:
      - name: list-items
        path: /items
        query:
          properties:
            limit: {type: integer, minimum: 1}
            price: {type: number}
            active: {type: boolean}
            tag: {type: string}
            ids: {type: array, items: {type: integer}}
          additionalProperties: false
        response:
          json:
            limit: "{{ query.limit }}"
            price: "{{ query.price }}"
            active: "{{ query.active }}"
            tag: "{{ query.tag }}"
            ids: "{{ query.ids }}"
      - name: secret
        path: /secret
        headers:
          required: [Authorization, X-Api-Version]
          properties:
            X-Api-Version: {type: integer}
        response:
          json: {auth: "{{ headers.authorization }}", version: "{{ headers['x-api-version'] }}"}
      - name: create-order
        method: POST
        path: /orders
        headers:
          required: [Authorization]
        query:
          properties:
            dry: {type: boolean}
        body:
          schema: {$ref: "#/schemas/Order"}
        response:
          status: 201
          json: {item: "{{ body.item }}", qty: "{{ body.qty }}"}
      - name: login
        method: POST
        path: /login
        body:
          content_type: application/x-www-form-urlencoded
          schema: {required: [user, password]}
        response:
          json: {user: "{{ body.user }}", password: "{{ body.password }}"}
      - name: signup
        method: POST
        path: /signup
        body:
          schema:
            type: object
            properties:
              email: {type: string, format: email}
              born: {type: string, format: date}
      - name: anything
        method: POST
        path: /anything
        body: {}
        response: {json: "{{ body }}"}
"""


@pytest.fixture
def live(serve):
    return serve(SPEC)


def _failures(response) -> list[dict]:
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/json"
    return response.json()["errors"]


# -- query ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=3", {"limit": 3}),
        ("price=2.5", {"price": 2.5}),
        ("price=2", {"price": 2}),
        ("active=true", {"active": True}),
        ("active=false", {"active": False}),
        ("tag=42", {"tag": "42"}),  # a string property stays text
        ("ids=1&ids=2", {"ids": [1, 2]}),  # given twice: a list, items converted
        ("ids=5", {"ids": [5]}),  # an array property given once is still a list
    ],
)
def test_typed_query_parameters_are_converted_before_checking_and_rendering(live, query, expected):
    response = live.get("/items?" + query)
    assert response.status_code == 200, response.text
    rendered = {key: value for key, value in response.json().items() if value is not None}
    assert rendered == expected


@pytest.mark.parametrize(
    ("query", "path", "message"),
    [
        ("limit=lots", "/limit", "'lots' is not of type 'integer'"),
        ("limit=0", "/limit", "0 is less than the minimum of 1"),
        ("active=yes", "/active", "'yes' is not of type 'boolean'"),
        ("tag=a&tag=b", "/tag", "['a', 'b'] is not of type 'string'"),
        ("ids=1&ids=x", "/ids/1", "'x' is not of type 'integer'"),
        ("colour=red", "", "'colour' was unexpected"),
    ],
)
def test_a_query_that_breaks_the_schema_is_422(live, query, path, message):
    failures = _failures(live.get("/items?" + query))
    assert len(failures) == 1
    assert failures[0]["in"] == "query"
    assert failures[0]["path"] == path
    assert message in failures[0]["message"]


def test_a_422_names_the_route(live):
    body = live.get("/items?limit=lots").json()
    assert body["error"] == "invalid request"
    assert body["route"] == "list-items"


# -- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION"])
def test_required_header_names_match_case_insensitively(live, name):
    response = live.get("/secret", headers={name: "Bearer t", "x-api-version": "2"})
    assert response.status_code == 200
    # X-Api-Version's schema says integer: templates see 2, as they see a query's `limit`.
    assert response.json() == {"auth": "Bearer t", "version": 2}


def test_missing_headers_are_each_listed(live):
    failures = _failures(live.get("/secret"))
    assert {f["in"] for f in failures} == {"headers"}
    messages = " ".join(f["message"] for f in failures)
    assert "'Authorization' is a required property" in messages
    assert "'X-Api-Version' is a required property" in messages


def test_a_typed_header_is_converted(live):
    failures = _failures(
        live.get("/secret", headers={"Authorization": "x", "X-Api-Version": "two"})
    )
    assert failures == [
        {"in": "headers", "path": "/X-Api-Version", "message": "'two' is not of type 'integer'"}
    ]


def test_header_names_match_whatever_the_spelling_in_required_and_properties(client):
    app = client("""
        mockserve: 1
        routes:
          - path: /count
            headers:
              required: [x-count]
              properties:
                X-Count: {type: integer, maximum: 5}
            response: {json: ok}
    """)
    assert app.get("/count", headers={"X-Count": "3"}).status_code == 200
    assert app.get("/count", headers={"x-count": "9"}).get_json()["errors"] == [
        {"in": "headers", "path": "/X-Count", "message": "9 is greater than the maximum of 5"}
    ]


def test_a_header_named_with_an_underscore_reaches_the_contract(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /keyed
            headers: {required: [api_key]}
            response: {json: "{{ headers['api_key'] }}"}
    """)
    assert live.get("/keyed", headers={"api_key": "k1"}).json() == "k1"
    assert live.get("/keyed").status_code == 422


# -- bodies ----------------------------------------------------------------------------

AUTH = {"Authorization": "Bearer t"}


def test_a_valid_json_body_passes_and_renders(live):
    response = live.post("/orders", json={"item": "pen", "qty": 2}, headers=AUTH)
    assert response.status_code == 201
    assert response.json() == {"item": "pen", "qty": 2}


def test_content_type_parameters_are_ignored(live):
    response = live.post(
        "/orders",
        data=b'{"item": "pen", "qty": 2}',
        headers={**AUTH, "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "failures"),
    [
        (
            {"item": "pen", "qty": 0},
            [{"in": "body", "path": "/qty", "message": "0 is less than the minimum of 1"}],
        ),
        ({"qty": 1}, [{"in": "body", "path": "", "message": "'item' is a required property"}]),
        (
            {"item": "", "qty": "2"},
            [
                {"in": "body", "path": "/item", "message": "'' should be non-empty"},
                {"in": "body", "path": "/qty", "message": "'2' is not of type 'integer'"},
            ],
        ),
        (
            {"item": "pen", "qty": 1, "colour": "red"},
            [
                {
                    "in": "body",
                    "path": "",
                    "message": "Additional properties are not allowed ('colour' was unexpected)",
                }
            ],
        ),
    ],
)
def test_a_body_that_breaks_the_schema_lists_every_failure(live, body, failures):
    assert _failures(live.post("/orders", json=body, headers=AUTH)) == failures


def test_every_part_is_checked_and_every_failure_listed(live):
    response = live.post("/orders?dry=maybe", json={"item": "pen", "qty": 0})
    body = response.json()
    assert response.status_code == 422
    assert body["route"] == "create-order"
    assert sorted((f["in"], f["path"]) for f in body["errors"]) == [
        ("body", "/qty"),
        ("headers", ""),
        ("query", "/dry"),
    ]


@pytest.mark.parametrize(
    ("data", "content_type", "failure"),
    [
        (
            b'{"item": "pen", "qty": 2}',
            "text/plain",
            {
                "in": "headers",
                "path": "/content-type",
                "message": "Content-Type must be application/json, got text/plain",
            },
        ),
        (
            b'{"item": "pen", "qty": 2}',
            None,
            {
                "in": "headers",
                "path": "/content-type",
                "message": "Content-Type must be application/json, got none",
            },
        ),
        (
            b"",
            "application/json",
            {"in": "body", "path": "", "message": "a request body is required"},
        ),
        (b'{"item": "pen", ', "application/json", None),  # malformed JSON
        (b'{"item": "p\xe9n", "qty": 2}', "application/json", None),  # not UTF-8
    ],
)
def test_a_body_that_cannot_be_read_is_422(live, data, content_type, failure):
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    failures = _failures(live.post("/orders", data=data, headers=headers))
    assert len(failures) == 1
    if failure is not None:
        assert failures[0] == failure
    else:
        assert failures[0]["in"] == "body" and failures[0]["path"] == ""
        assert "not valid" in failures[0]["message"]


def test_the_messages_for_unreadable_bodies_say_why(live):
    malformed = _failures(
        live.post("/orders", data=b"{", headers={**AUTH, "Content-Type": "application/json"})
    )
    assert malformed[0]["message"].startswith("body is not valid JSON")
    latin1 = _failures(
        live.post(
            "/orders",
            data='{"item": "pén"}'.encode("latin-1"),
            headers={**AUTH, "Content-Type": "application/json"},
        )
    )
    assert latin1[0]["message"].startswith("body is not valid UTF-8")


def test_a_form_body_becomes_an_object_of_strings(live):
    response = live.post("/login", data={"user": "ann", "password": "42"})
    assert response.status_code == 200
    assert response.json() == {"user": "ann", "password": "42"}


def test_a_form_body_is_checked_against_its_schema(live):
    failures = _failures(live.post("/login", data={"user": "ann"}))
    assert failures == [{"in": "body", "path": "", "message": "'password' is a required property"}]


def test_a_json_body_where_a_form_is_expected_is_a_content_type_failure(live):
    failures = _failures(live.post("/login", json={"user": "ann", "password": "x"}))
    assert failures[0]["in"] == "headers" and failures[0]["path"] == "/content-type"
    assert "application/x-www-form-urlencoded" in failures[0]["message"]


def test_a_body_contract_without_schema_still_requires_a_json_body(live):
    assert live.post("/anything", json=[1, 2]).json() == [1, 2]
    assert _failures(live.post("/anything"))[0]["message"] == "a request body is required"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"email": "not-an-email"}, "/email"),
        ({"born": "yesterday"}, "/born"),
    ],
)
def test_formats_are_checked(live, body, path):
    failures = _failures(live.post("/signup", json=body))
    assert [f["path"] for f in failures] == [path]
    assert "is not a" in failures[0]["message"]


def test_valid_formats_pass(live):
    response = live.post("/signup", json={"email": "ann@example.com", "born": "1990-05-01"})
    assert response.status_code == 200


def test_the_spec_errors_422_override_replaces_the_body(serve):
    live = serve("""
        mockserve: 1
        routes:
          - method: POST
            path: /orders
            body: {schema: {required: [item]}}
        errors:
          422:
            json: {problem: invalid, count: "{{ errors | length }}"}
    """)
    response = live.post("/orders", json={})
    assert response.status_code == 422
    assert response.json() == {"problem": "invalid", "count": 1}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[" * 20000 + b"]" * 20000, "body is nested more than 100 levels deep"),
        (b'{"item": "pen", "qty": NaN}', "body is not valid JSON: NaN is not a JSON value"),
        (
            b'{"item": "pen", "qty": Infinity}',
            "body is not valid JSON: Infinity is not a JSON value",
        ),
    ],
)
def test_json_that_python_would_stretch_to_read_is_refused_as_422(live, data, reason):
    failures = _failures(
        live.post("/orders", data=data, headers={**AUTH, "Content-Type": "application/json"})
    )
    assert failures == [{"in": "body", "path": "", "message": reason}]


ECHO = """
    mockserve: 1
    routes:
      - name: checked
        method: POST
        path: /checked
        body: {schema: {type: array}}
        response: {json: {got: "{{ body }}"}}
      - name: echo
        method: POST
        path: /echo
        response: {json: {got: "{{ body }}"}}
    resources:
      things: {path: /things}
"""


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_a_body_nested_100_levels_deep_is_checked_and_echoed_in_full(serve):
    live = serve(ECHO)
    for path in ("/checked", "/echo"):
        answer = live.post(path, data=_nested(100), headers={"Content-Type": "application/json"})
        assert answer.status_code == 200
        assert json.dumps(answer.json()["got"], separators=(",", ":")) == _nested(100)


@pytest.mark.parametrize("levels", [150, 500, 900])
def test_a_body_nested_deeper_than_100_levels_is_refused_never_a_500(serve, levels):
    """One cap, contract.MAX_BODY_DEPTH: a 422 where the body is checked (a body contract,
    a resource); a route that checks no body sees it as `null`, as any body it cannot
    parse (the spec format: `body` is null when unparsable)."""
    live = serve(ECHO)
    sent = {"data": _nested(levels), "headers": {"Content-Type": "application/json"}}
    refused = {"in": "body", "path": "", "message": "body is nested more than 100 levels deep"}
    checked = live.post("/checked", **sent)
    assert (checked.status_code, checked.json()) == (
        422,
        {"error": "invalid request", "route": "checked", "errors": [refused]},
    )
    assert _failures(live.post("/things", **sent)) == [refused]
    echoed = live.post("/echo", **sent)
    assert (echoed.status_code, echoed.json()) == (200, {"got": None})


def test_a_named_schema_keeps_its_own_local_refs(client):
    """`#/$defs/...` inside a schema under `schemas` points into that schema."""
    app = client("""
        mockserve: 1
        schemas:
          Tagged:
            $defs:
              tag: {type: string, pattern: "^[a-z]+$"}
            type: object
            properties:
              tags: {type: array, items: {$ref: "#/$defs/tag"}}
        routes:
          - method: POST
            path: /notes
            body: {schema: {$ref: "#/schemas/Tagged"}}
            response: {status: 201}
    """)
    assert app.post("/notes", json={"tags": ["ok"]}).status_code == 201
    refused = app.post("/notes", json={"tags": ["NO"]})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [
        {"in": "body", "path": "/tags/0", "message": "'NO' does not match '^[a-z]+$'"}
    ]


def test_a_form_body_reads_bracketed_names_as_nesting(serve):
    live = serve(
        """
        mockserve: 1
        routes:
          - method: POST
            path: /carts
            body:
              content_type: application/x-www-form-urlencoded
              schema:
                properties:
                  lines:
                    type: array
                    items: {properties: {sku: {type: string}, qty: {type: integer, maximum: 9}}}
        """
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    assert live.post("/carts", data="lines[0][sku]=a&lines[0][qty]=2", headers=form).ok
    refused = live.post("/carts", data="lines[0][sku]=a&lines[0][qty]=12", headers=form)
    assert _failures(refused) == [
        {"in": "body", "path": "/lines/0/qty", "message": "12 is greater than the maximum of 9"}
    ]
