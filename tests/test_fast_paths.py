"""What the per-request shortcuts must not change: each case a shortcut takes or skips."""

from __future__ import annotations

SCHEMAS = """
    mockserve: 1
    schemas:
      Tag: {type: string, maxLength: 3}
      Order:
        type: object
        required: [item, qty]
        properties:
          item: {type: string, minLength: 1}
          qty: {type: integer, minimum: 1}
          tags: {type: array, items: {$ref: "#/schemas/Tag"}}
        additionalProperties: false
      Node:
        type: object
        properties:
          value: {type: integer}
          next: {$ref: "#/schemas/Node"}
    routes:
      - method: POST
        path: /orders
        body: {schema: {$ref: "#/schemas/Order"}}
        response: {status: 201, json: {ok: true}}
      - method: POST
        path: /lists
        body: {schema: {$ref: "#/schemas/Node"}}
        response: {json: {ok: true}}
"""


def test_a_body_schema_given_by_ref_reports_every_failure_with_its_path(client):
    answer = client(SCHEMAS).post(
        "/orders", json={"item": "", "qty": 0, "tags": ["long"], "extra": 1}
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == [
        {
            "in": "body",
            "path": "",
            "message": "Additional properties are not allowed ('extra' was unexpected)",
        },
        {"in": "body", "path": "/item", "message": "'' should be non-empty"},
        {"in": "body", "path": "/qty", "message": "0 is less than the minimum of 1"},
        {"in": "body", "path": "/tags/0", "message": "'long' is too long"},
    ]
    assert client(SCHEMAS).post("/orders", json={"item": "a", "qty": 1}).status_code == 201


def test_a_recursive_schema_checks_every_level(client):
    app = client(SCHEMAS)
    answer = app.post("/lists", json={"value": 1, "next": {"value": 2, "next": {"value": "x"}}})
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == [
        {"in": "body", "path": "/next/next/value", "message": "'x' is not of type 'integer'"}
    ]
    assert app.post("/lists", json={"value": 1, "next": {"value": 2}}).status_code == 200


def test_a_static_route_that_fails_its_contract_gets_the_specs_error_template(client):
    app = client("""
        mockserve: 1
        routes:
          - path: /items
            query: {required: [page]}
            response: {json: [1, 2, 3]}
        errors:
          422:
            json: {problem: "{{ request.path }}", got: "{{ query }}"}
    """)
    assert app.get("/items?page=1").get_json() == [1, 2, 3]
    answer = app.get("/items?size=2")
    assert answer.status_code == 422
    assert answer.get_json() == {"problem": "/items", "got": {"size": "2"}}


def test_templates_see_jinja_globals_and_the_full_url(client):
    answer = client("""
        mockserve: 1
        routes:
          - path: /t
            response:
              json:
                squares: "{{ range(4) | map('int') | list }}"
                total: >-
                  {% set n = namespace(t=0) %}{% for i in range(4) %}{% set n.t = n.t + i %}{%
                  endfor %}{{ n.t }}
                url: "{{ request.url }}"
                cookie: "{{ cookies.flavour | default('none') }}"
    """).get("/t?x=1")
    assert answer.get_json() == {
        "squares": [0, 1, 2, 3],
        "total": "6",
        "url": "http://localhost/t?x=1",
        "cookie": "none",
    }


def test_the_journal_keeps_query_headers_and_body_of_a_static_route(serve):
    live = serve("""
        mockserve: 1
        routes:
          - method: [GET, POST]
            path: /static
            response: {json: {ok: true}}
    """)
    live.get("/static?a=1&a=2&b=x", headers={"X-Trace": "t1"})
    live.post("/static", data=b"raw text", headers={"Content-Type": "text/plain"})
    live.get("/static")
    first, second, third = live.server.journal
    assert (first.query, first.headers["X-Trace"], first.body) == (
        {"a": ["1", "2"], "b": "x"},
        "t1",
        None,
    )
    assert (second.method, second.body, second.query) == ("POST", "raw text", {})
    assert (third.query, third.body, third.status) == ({}, None, 200)


def test_a_lone_dotted_name_keeps_its_type_and_missing_parts_are_null(client):
    app = client("""
        mockserve: 1
        routes:
          - method: POST
            path: /echo/{id:int}
            response:
              json:
                id: "{{ path.id }}"
                qty: "{{ body.qty }}"
                deep: "{{ body.order.lines }}"
                missing: "{{ body.nothing.here }}"
                method: "{{ request.method }}"
                flag: "{{ true }}"
    """)
    answer = app.post("/echo/5", json={"qty": 3, "order": {"lines": [1, 2]}})
    assert answer.get_json() == {
        "id": 5,
        "qty": 3,
        "deep": [1, 2],
        "missing": None,
        "method": "POST",
        "flag": True,
    }
    answer = app.post("/echo/6")  # no body: every part of it is null
    assert answer.get_json() == {
        "id": 6,
        "qty": None,
        "deep": None,
        "missing": None,
        "method": "POST",
        "flag": True,
    }


def test_names_in_text_render_as_jinja_would(client):
    answer = client("""
        mockserve: 1
        routes:
          - path: /users/{id:int}
            response:
              headers: {X-User-Id: "{{ path.id }}", X-Missing: "[{{ query.nothing }}]"}
              text: |
                user {{ path.id }} of {{ query.team }}, {{ query.nothing.deeper }}!
    """).get("/users/7?team=red")
    assert answer.headers["X-User-Id"] == "7"
    assert answer.headers["X-Missing"] == "[]"
    assert answer.get_data(as_text=True) == "user 7 of red, !"  # Jinja drops one final newline
