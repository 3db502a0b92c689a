"""CORS: `settings.cors` lets browsers call the mock from another origin.

`cors: true` allows any origin: every response, the server's errors included, carries
`Access-Control-Allow-Origin: *`, and a preflight (OPTIONS with
`Access-Control-Request-Method`) is answered without contract checks, listing the
path's methods and echoing the requested headers. `{origins: [...]}` allows only
those, echoing the request's `Origin`; `credentials: true` echoes it too and adds
`Access-Control-Allow-Credentials: true`.
"""

from __future__ import annotations

import pytest

ROUTES = """
    routes:
      - name: get-user
        path: /users/{id:int}
        response: {json: {id: "{{ path.id }}"}}
      - name: create-order
        method: [POST, PUT]
        path: /orders
        headers: {required: [Authorization]}
        body: {schema: {required: [item]}}
        response: {status: 201, json: {ok: true}}
      - name: broken
        path: /broken
        response: {json: {v: "{{ 1 / 0 }}"}}
"""


def spec(cors: str) -> str:
    return f"mockserve: 1\nsettings:\n  cors: {cors}\n" + ROUTES.replace("\n    ", "\n")


@pytest.fixture
def any_origin(serve):
    return serve(spec("true"))


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/users/1", {}, 200),
        ("HEAD", "/users/1", {}, 200),
        ("GET", "/nowhere", {}, 404),
        ("DELETE", "/users/1", {}, 405),
        ("POST", "/orders", {"json": {}}, 422),
        ("GET", "/broken", {}, 500),
        ("OPTIONS", "/users/1", {}, 200),
    ],
)
def test_cors_true_marks_every_response_errors_included(any_origin, method, path, kwargs, status):
    response = any_origin.request(method, path, headers={"Origin": "https://app.example"}, **kwargs)
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_true_answers_even_without_an_origin_header(any_origin):
    assert any_origin.get("/users/1").headers["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_is_answered_without_contract_checks(any_origin):
    response = any_origin.request(
        "OPTIONS",
        "/orders",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.content == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"POST", "PUT"} <= methods
    assert "GET" not in methods
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"


def test_a_plain_options_request_answers_allow_with_cors_headers(any_origin):
    response = any_origin.request("OPTIONS", "/orders")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"POST", "PUT", "OPTIONS"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_for_an_unknown_path_is_the_json_404_with_cors(any_origin):
    response = any_origin.request(
        "OPTIONS",
        "/nowhere",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 404
    assert response.json()["errors"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example", True),
        ("https://admin.example", True),
        ("https://evil.example", False),
        (None, False),
    ],
)
def test_an_origins_list_echoes_only_those_origins(serve, origin, allowed):
    live = serve(spec("{origins: [https://app.example, https://admin.example]}"))
    headers = {"Origin": origin} if origin else {}
    response = live.get("/users/1", headers=headers)
    assert response.status_code == 200
    if allowed:
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in response.headers["Vary"]
    else:
        assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_an_origins_list_applies_to_errors_and_preflights(serve):
    live = serve(spec("{origins: [https://app.example]}"))
    headers = {"Origin": "https://app.example"}
    assert (
        live.get("/nowhere", headers=headers).headers["Access-Control-Allow-Origin"]
        == "https://app.example"
    )
    preflight = live.request(
        "OPTIONS", "/users/1", headers={**headers, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    "setting", ["{credentials: true}", "{origins: [https://app.example], credentials: true}"]
)
def test_credentials_echo_the_origin_and_allow_credentials(serve, setting):
    live = serve(spec(setting))
    response = live.get("/users/1", headers={"Origin": "https://app.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_without_cors_no_cors_headers_and_preflights_are_plain_options(serve):
    live = serve(spec("false"))
    response = live.get("/users/1", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = live.request(
        "OPTIONS",
        "/orders",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Methods" not in preflight.headers


def test_with_credentials_answers_name_the_headers_a_script_may_read(serve):
    # Browsers read `Access-Control-Expose-Headers: *` as a header named "*" then.
    live = serve("""
        mockserve: 1
        settings: {cors: {origins: ["https://app.example"], credentials: true}}
        routes:
          - path: /me
            response:
              headers: {X-Request-Id: "42"}
              json: {id: 1}
    """)
    answer = live.get("/me", headers={"Origin": "https://app.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert answer.headers["Access-Control-Expose-Headers"] == "X-Request-Id"
    assert "Origin" in answer.headers["Vary"]
    # An origin not allowed gets no CORS headers, but the answer still varies by Origin.
    other = live.get("/me", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers["Vary"]
