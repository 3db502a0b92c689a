"""`errors`: the spec replaces the body of the server's own error answers.

`errors.STATUS` (404, 405, 422, 500, and 409 for resources) replaces the body and may
add headers; the status stays. Its templates see `error` (the one-line message),
`errors` (the list) and the request. A response a route declares itself (a `when`
branch with `status: 404`) is never replaced.
"""

from __future__ import annotations

import pytest

SPEC = """
    mockserve: 1
    routes:
      - name: get-user
        path: /users/{id:int}
        responses:
          - when: path.id == 0
            status: 404
            json: {error: no such user}
          - when: path.id < 1000
            json: {id: "{{ path.id }}"}
      - name: create-order
        method: POST
        path: /orders
        body: {schema: {required: [item, qty]}}
        response: {status: 201, json: {ok: true}}
      - name: broken
        path: /broken
        response: {json: {v: "{{ 1 / 0 }}"}}
    errors:
      404:
        headers: {X-Error: missing, X-Path: "{{ request.path }}"}
        json: {error: not found, path: "{{ request.path }}", method: "{{ request.method }}",
               message: "{{ error }}", closest: "{{ errors[0].path if errors else none }}"}
      405:
        text: "{{ request.method }} not here: {{ error }}"
      422:
        json: {error: invalid request, details: "{{ errors }}", sent: "{{ body }}",
               count: "{{ errors | length }}"}
      500:
        json: {oops: "{{ error }}", count: "{{ errors | length }}"}
"""


@pytest.fixture
def live(serve):
    return serve(SPEC)


def test_the_404_override_replaces_the_body_and_adds_headers(live):
    response = live.get("/userz/3?x=1")
    assert response.status_code == 404
    assert response.headers["X-Error"] == "missing"
    assert response.headers["X-Path"] == "/userz/3"
    assert response.json() == {
        "error": "not found",
        "path": "/userz/3",
        "method": "GET",
        "message": "no route matches GET /userz/3",
        "closest": "/users/{id:int}",
    }


def test_the_404_for_no_when_is_replaced_too(live):
    response = live.get("/users/5000")
    assert response.status_code == 404
    assert response.json()["path"] == "/users/5000"
    assert "get-user" in response.json()["message"]


def test_a_routes_own_404_is_never_replaced(live):
    response = live.get("/users/0")
    assert response.status_code == 404
    assert response.json() == {"error": "no such user"}
    assert "X-Error" not in response.headers


def test_the_405_override_keeps_status_and_allow(live):
    response = live.request("DELETE", "/orders")
    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS, POST"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("DELETE not here: DELETE is not allowed on /orders")


def test_the_422_override_sees_every_failure_and_the_request(live):
    response = live.post("/orders", json={"qty": "2"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid request"
    assert body["sent"] == {"qty": "2"}
    assert body["count"] == 1
    assert body["details"] == [
        {"in": "body", "path": "", "message": "'item' is a required property"}
    ]


def test_the_500_override_sees_the_error(live):
    response = live.get("/broken")
    assert response.status_code == 500
    body = response.json()
    assert "division by zero" in body["oops"] and "broken" in body["oops"]
    assert body["count"] == 1


def test_an_override_that_fails_falls_back_to_the_json_error(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /ok
            response: {text: ok}
        errors:
          404:
            json: {v: "{{ 1 / 0 }}"}
    """)
    response = live.get("/missing")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "no route matches GET /missing"
    assert "errors.404 failed to render" in body["errors"][-1]["message"]


def test_without_overrides_errors_have_the_documented_shape(serve):
    live = serve("""
        mockserve: 1
        routes:
          - name: create-order
            method: POST
            path: /orders
            body: {schema: {required: [item]}}
    """)
    response = live.post("/orders", json={})
    assert response.json() == {
        "error": "invalid request",
        "route": "create-order",
        "errors": [{"in": "body", "path": "", "message": "'item' is a required property"}],
    }
