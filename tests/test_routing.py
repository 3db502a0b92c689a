"""Routing: method + path select exactly one route; everything else gets a clear JSON answer.

A route's `method` is one method or a list (default GET). Paths have literal segments
and `{name}` parameters with optional converters `int`, `float`, `uuid`, `path`, as in
Werkzeug. HEAD follows GET, OPTIONS answers with `Allow`, trailing slashes behave as in
Flask, a path served with other methods answers 405 with `Allow`, and an unknown path
is a JSON 404 naming the closest routes and why they missed.
"""

from __future__ import annotations

import json
import socket

import pytest

SPEC = """
    mockserve: 1
    routes:
      - path: /health
        response: {json: {status: ok}}
      - name: get-user
        path: /users/{id:int}
        response: {json: {id: "{{ path.id }}"}}
      - path: /prices/{amount:float}
        response: {json: {amount: "{{ path.amount }}"}}
      - path: /orders/{ref:uuid}
        response: {json: {ref: "{{ path.ref }}"}}
      - path: /files/{rest:path}
        response: {json: {rest: "{{ path.rest }}"}}
      - path: /tags/{tag}
        response: {json: {tag: "{{ path.tag }}"}}
      - method: [PUT, PATCH]
        path: /things/{name}
        response: {json: {method: "{{ request.method }}", name: "{{ path.name }}"}}
      - method: post
        path: /things
        response: {status: 201, json: {created: true}}
      - path: /folder/
        response: {text: folder}
      - method: DELETE
        path: /things/{name}
        response: {}
"""


@pytest.fixture
def live(serve):
    return serve(SPEC)


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/health", 200, {"status": "ok"}),
        ("GET", "/users/7", 200, {"id": 7}),
        ("GET", "/prices/3.5", 200, {"amount": 3.5}),
        (
            "GET",
            "/orders/7f1c5a0e-2b0d-4a8e-9d43-3c8b1f0e2a11",
            200,
            {"ref": "7f1c5a0e-2b0d-4a8e-9d43-3c8b1f0e2a11"},
        ),
        ("GET", "/files/a/b/c.txt", 200, {"rest": "a/b/c.txt"}),
        ("GET", "/tags/cats", 200, {"tag": "cats"}),
        ("PUT", "/things/lamp", 200, {"method": "PUT", "name": "lamp"}),
        ("PATCH", "/things/lamp", 200, {"method": "PATCH", "name": "lamp"}),
        ("POST", "/things", 201, {"created": True}),
    ],
)
def test_method_and_path_select_the_route(live, method, path, status, body):
    response = live.request(method, path)
    assert response.status_code == status
    assert response.json() == body


def test_a_route_without_a_body_answers_empty(live):
    response = live.request("DELETE", "/things/lamp")
    assert response.status_code == 200  # status defaults to 200 even without a body
    assert response.content == b""


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/users/abc", "not an integer"),  # int takes digits only
        ("/users/-1", "not an integer"),
        ("/users/1.5", "not an integer"),
        ("/prices/abc", "not a decimal number"),
        ("/prices/3", "not a decimal number"),  # as Werkzeug: a float has a dot
        ("/orders/not-a-uuid", "not a UUID"),
    ],
)
def test_a_value_the_converter_refuses_is_a_404(live, path, why):
    response = live.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    closest = response.json()["errors"][0]
    assert why in closest["why"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/health", 200),
        ("/health/", 404),  # /health/ does not match /health
        ("/folder/", 200),
        ("/folder", 308),  # Flask redirects to the slashed route
    ],
)
def test_trailing_slashes_behave_as_in_flask(live, path, status):
    response = live.get(path, allow_redirects=False)
    assert response.status_code == status
    if status != 200:  # the server's own answers are JSON, the redirect too
        assert response.headers["Content-Type"] == "application/json"
    if status == 308:
        assert response.headers["Location"].endswith("/folder/")
        assert response.json()["error"].startswith("redirecting to")


@pytest.mark.parametrize(
    ("path", "route", "why"),
    [
        ("/health/", "GET /health", "the request path ends with '/', the route's does not"),
        ("/tags", "GET /tags/{tag}", "the request path has 1 segment, the route has 2"),
    ],
)
def test_a_404_says_how_the_path_length_differs(live, path, route, why):
    misses = live.get(path).json()
    closest = next(m for m in misses["errors"] if m["route"] == route)
    assert why in closest["why"]


def test_an_options_miss_is_not_blamed_on_the_method(live):
    misses = live.request("OPTIONS", "/healthz").json()["errors"]
    closest = next(m for m in misses if m["route"] == "GET /health")
    assert "not OPTIONS" not in closest["why"]


def test_head_follows_get_without_a_body(live):
    response = live.request("HEAD", "/users/7")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""


def test_options_answers_with_allow(live):
    response = live.request("OPTIONS", "/things/lamp")
    assert response.status_code == 200
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"PUT", "PATCH", "DELETE", "OPTIONS"}


def test_another_method_on_a_known_path_is_405_with_allow(live):
    response = live.request("POST", "/health")
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}
    body = response.json()
    assert body["errors"] == []
    assert body["route"] is None
    assert "POST" in body["error"]


def test_an_unknown_method_is_405_json(live):
    response = live.request("BREW", "/health")
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"


def test_unknown_path_names_the_closest_routes_with_why(live):
    response = live.get("/userz/3")
    assert response.status_code == 404
    body = response.json()
    assert body["route"] is None
    assert "GET /userz/3" in body["error"]
    assert 1 <= len(body["errors"]) <= 3
    first = body["errors"][0]
    assert first["route"] == "get-user"
    assert first["path"] == "/users/{id:int}"
    assert first["method"] == "GET"
    assert "'userz'" in first["why"] and "'users'" in first["why"]


def test_an_unknown_path_far_from_everything_still_answers_json(live):
    response = live.request("DELETE", "/no/such/thing/at/all")
    assert response.status_code == 404
    body = response.json()
    assert len(body["errors"]) == 3
    assert all(set(miss) == {"route", "method", "path", "why"} for miss in body["errors"])


def test_route_names_default_to_method_and_path(client):
    answer = client("""
        mockserve: 1
        routes:
          - method: [PUT, PATCH]
            path: /things/{name}
            response: {json: {ok: true}}
    """).get("/thing/x")
    assert answer.get_json()["errors"][0]["route"] == "PUT,PATCH /things/{name}"


def _raw(live, data: bytes) -> bytes:
    with socket.create_connection((live.server.host, live.server.port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_garbage_request_line_gets_json_400_and_the_server_keeps_serving(live):
    answer = _raw(live, b"THIS IS NOT HTTP\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 400") or head.startswith(b"HTTP/1.1 400")
    assert b"application/json" in head
    assert json.loads(body)["route"] is None
    assert live.get("/health").json() == {"status": "ok"}


def test_rules_build_urls_only_when_asked():
    """LazyBuildRule skips Werkzeug's builder compile at load; url_for still works."""
    from flask import Flask, url_for

    from mockserve.routing import LazyBuildRule

    app = Flask("lazy-build")
    app.url_rule_class = LazyBuildRule
    app.add_url_rule("/users/<int:id>", endpoint="user", view_func=lambda id: str(id))
    rule = next(app.url_map.iter_rules("user"))
    assert rule._build.__name__ == "build"  # the stand-in, nothing compiled yet
    with app.test_request_context():
        assert url_for("user", id=3) == "/users/3"
        assert url_for("user", id=4, q="x") == "/users/4?q=x"
    assert app.test_client().get("/users/7").text == "7"
