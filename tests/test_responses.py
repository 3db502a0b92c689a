"""Responses: what a route sends, which of its responses it picks, and how it misbehaves.

A response has at most one body (`json`, `text`, `html`, `body`, `file` or `redirect`),
whose kind sets the Content-Type; `status` (default 200, 302 for a redirect) and
templated `headers` (always text, overriding the defaults). A `responses` list is used
by `order`: `first-match` (by `when`), `sequence`, `cycle` or `random` (by `weight`).
`state` is remembered after rendering; `delay` waits without holding up others;
`faults` inject errors, empty or malformed bodies and dropped connections.
"""

from __future__ import annotations

import json
import logging
import select
import socket
import threading
import time

import pytest
import requests

# -- bodies, status and headers ----------------------------------------------------------

BODIES = """
    mockserve: 1
    routes:
      - path: /json
        response: {status: 201, json: {id: 1, tags: [a, b], ok: true, none: null}}
      - path: /text
        response: {text: "plain <b>text</b>", headers: {X-Kind: text}}
      - path: /html
        response: {html: "<h1>Hi</h1>"}
      - path: /csv
        response:
          body: "a,b\\n1,2\\n"
          headers: {Content-Type: text/csv}
      - path: /bytes
        response: {body: "raw"}
      - path: /catalog
        response: {file: fixtures/catalog.json}
      - path: /readme
        response: {file: fixtures/readme.txt}
      - path: /page
        response: {file: fixtures/page.html, status: 203}
      - path: /old/{id}
        response: {redirect: "/new/{{ path.id }}"}
      - path: /moved
        response: {redirect: /json, status: 301}
      - path: /nothing
        response: {status: 202}
      - path: /json-as-text
        response:
          json: {a: 1}
          headers: {Content-Type: text/plain}
      - path: /headers/{id:int}
        response:
          headers: {X-Id: "{{ path.id }}", X-Next: "{{ path.id + 1 }}", X-Count: 5, X-Flag: true,
                    X-Name: "user-{{ path.id }}", X-Missing: "{{ state.nothing }}"}
          json: {}
"""

FILES = {
    "fixtures__catalog.json": '{"items": ["pen", "cup"]}\n',
    "fixtures__readme.txt": "read me {{ not a template }}\n",
    "fixtures__page.html": "<p>page</p>\n",
}


@pytest.fixture
def bodies(serve):
    return serve(BODIES, **FILES)


@pytest.mark.parametrize(
    ("path", "status", "content_type", "content"),
    [
        ("/json", 201, "application/json", b'{"id":1,"tags":["a","b"],"ok":true,"none":null}'),
        ("/text", 200, "text/plain; charset=utf-8", b"plain <b>text</b>"),
        ("/html", 200, "text/html; charset=utf-8", b"<h1>Hi</h1>"),
        ("/csv", 200, "text/csv", b"a,b\n1,2\n"),
        ("/bytes", 200, "application/octet-stream", b"raw"),
        ("/catalog", 200, "application/json", b'{"items": ["pen", "cup"]}\n'),
        ("/readme", 200, "text/plain; charset=utf-8", b"read me {{ not a template }}\n"),
        ("/page", 203, "text/html; charset=utf-8", b"<p>page</p>\n"),
        ("/json-as-text", 200, "text/plain", b'{"a":1}'),
    ],
)
def test_the_body_kind_sets_the_content_type(bodies, path, status, content_type, content):
    response = bodies.get(path)
    assert response.status_code == status
    assert response.headers["Content-Type"] == content_type
    assert response.content == content


def test_yaml_dates_stay_the_text_written(client):
    answer = client("""
        mockserve: 1
        routes:
          - path: /dates
            response:
              json: {day: 2024-01-01, at: 2024-01-01T10:00:00Z, ok: true}
              headers: {X-Day: "2024-01-01"}
    """).get("/dates")
    assert answer.get_json() == {"day": "2024-01-01", "at": "2024-01-01T10:00:00Z", "ok": True}


def test_yaml_keys_stay_the_names_written(client):
    # YAML 1.1 reads `on`, `yes` and `null` as true, true and None; as keys they are names.
    answer = client("""
        mockserve: 1
        routes:
          - path: /keys
            query: {properties: {on: {type: boolean}}}
            response:
              json: {on: "{{ query.on }}", yes: 1, null: 2, 0x1F: 3}
    """).get("/keys?on=true")
    assert answer.get_json() == {"on": True, "yes": 1, "null": 2, "0x1F": 3}


@pytest.mark.parametrize(
    ("sent", "problem"),
    [("a\r\nX-Evil: 1", "a line break"), ("5 €", "characters outside Latin-1")],
)
def test_a_header_value_http_cannot_carry_is_a_500_naming_the_route(serve, sent, problem):
    live = serve("""
        mockserve: 1
        routes:
          - path: /echo
            response: {json: ok, headers: {X-Echo: "{{ query.v }}"}}
    """)
    response = live.get("/echo", params={"v": sent})
    assert response.status_code == 500
    assert "X-Evil" not in response.headers
    body = response.json()
    assert body["route"] == "GET /echo"
    assert f"cannot be sent as a header: it has {problem}" in body["error"]


def test_response_headers_are_sent(bodies):
    assert bodies.get("/text").headers["X-Kind"] == "text"


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [("/old/7", 302, "/new/7"), ("/moved", 301, "/json")],
)
def test_a_redirect_sends_a_templated_location(bodies, path, status, location):
    response = bodies.get(path, allow_redirects=False)
    assert response.status_code == status
    assert response.headers["Location"] == location
    assert response.content == b""


def test_no_body_sends_an_empty_one(bodies):
    response = bodies.get("/nothing")
    assert response.status_code == 202
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"


def test_header_values_are_templated_and_always_text(bodies):
    headers = bodies.get("/headers/7").headers
    assert headers["X-Id"] == "7"
    assert headers["X-Next"] == "8"
    assert headers["X-Count"] == "5"
    assert headers["X-Flag"] == "true"
    assert headers["X-Name"] == "user-7"
    assert headers["X-Missing"] == ""


# -- when ------------------------------------------------------------------------------

WHEN = """
    mockserve: 1
    routes:
      - name: get-user
        path: /users/{id:int}
        responses:
          - when: path.id == 0
            status: 404
            json: {error: no such user}
          - when: path.id > 100
            status: 403
            json: {error: forbidden}
          - json: {id: "{{ path.id }}"}
      - name: big-order
        method: POST
        path: /orders
        responses:
          - when: body.qty > 100
            status: 409
            json: {error: too many}
          - when: query.force == '1'
            json: {forced: true}
"""


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/users/0", 404, {"error": "no such user"}),
        ("/users/101", 403, {"error": "forbidden"}),
        ("/users/5", 200, {"id": 5}),
    ],
)
def test_the_first_response_whose_when_holds_answers(serve, path, status, body):
    response = serve(WHEN).get(path)
    assert (response.status_code, response.json()) == (status, body)


def test_a_when_that_cannot_be_evaluated_is_false_and_logged(serve, caplog):
    live = serve(WHEN)
    with caplog.at_level(logging.WARNING, logger="mockserve"):
        response = live.post("/orders?force=1")  # no body: body.qty > 100 cannot be evaluated
    assert response.json() == {"forced": True}
    assert any(
        "big-order" in r.getMessage() and "could not be evaluated" in r.getMessage()
        for r in caplog.records
    )


def test_a_when_that_holds_with_a_body(serve):
    response = serve(WHEN).post("/orders", json={"qty": 500})
    assert response.status_code == 409


def test_when_no_when_holds_the_answer_is_a_404_naming_the_route(serve):
    response = serve(WHEN).post("/orders", json={"qty": 1})
    assert response.status_code == 404
    body = response.json()
    assert body["route"] == "big-order"
    assert "big-order" in body["error"]
    assert body["errors"] == [
        {
            "route": "big-order",
            "method": "POST",
            "path": "/orders",
            "why": "no 'when' held: body.qty > 100 is false; query.force == '1' is false",
        }
    ]


# -- order ------------------------------------------------------------------------------

ORDERS = """
    mockserve: 1
    routes:
      - path: /jobs/{id}
        order: sequence
        responses:
          - json: {state: queued}
          - json: {state: running}
          - json: {state: done}
      - path: /lights
        order: cycle
        responses:
          - text: red
          - text: green
      - path: /coin
        order: random
        responses:
          - text: heads
          - text: tails
            weight: 3
      - path: /never
        order: random
        responses:
          - text: always
          - text: never
            weight: 0.000001
"""


def test_sequence_goes_in_turn_then_stays_on_the_last(serve):
    live = serve(ORDERS)
    states = [live.get(f"/jobs/{n}").json()["state"] for n in range(5)]  # per route, not URL
    assert states == ["queued", "running", "done", "done", "done"]


def test_cycle_goes_in_turn_forever(serve):
    live = serve(ORDERS)
    assert [live.get("/lights").text for _ in range(5)] == ["red", "green", "red", "green", "red"]


def test_random_follows_the_weights(serve):
    live = serve(ORDERS, seed=7)
    draws = [live.get("/coin").text for _ in range(80)]
    assert set(draws) == {"heads", "tails"}
    assert draws.count("tails") > draws.count("heads")  # weight 3 against 1
    assert {live.get("/never").text for _ in range(20)} == {"always"}


def test_random_is_repeatable_under_a_seed(serve):
    first = serve(ORDERS, seed=42)
    second = serve(ORDERS, seed=42)
    assert [first.get("/coin").text for _ in range(20)] == [
        second.get("/coin").text for _ in range(20)
    ]


def test_concurrent_requests_each_take_their_own_turn(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /ticket
            order: sequence
            responses: [{json: 1}, {json: 2}, {json: 3}, {json: 4}, {json: 5}, {json: 6}]
    """)
    answers: list[int] = []
    lock = threading.Lock()

    def take():
        value = requests.get(live.url + "/ticket", timeout=10).json()
        with lock:
            answers.append(value)

    workers = [threading.Thread(target=take) for _ in range(12)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(answers) == [1, 2, 3, 4, 5] + [6] * 7  # no turn lost or given twice


def test_reset_starts_sequences_again(serve):
    live = serve(ORDERS)
    live.get("/jobs/1")
    live.get("/jobs/1")
    live.server.reset()
    assert live.get("/jobs/1").json() == {"state": "queued"}


# -- state ------------------------------------------------------------------------------


def test_state_is_stored_after_rendering_and_shared_by_routes(serve):
    live = serve("""
        mockserve: 1
        routes:
          - method: POST
            path: /orders
            response:
              status: 201
              json: {previous: "{{ state.last_order }}", count: "{{ (state.count or 0) + 1 }}"}
              state:
                last_order: "{{ body }}"
                count: "{{ (state.count or 0) + 1 }}"
          - path: /orders/last
            response:
              json: {last: "{{ state.last_order or {} }}", count: "{{ state.count or 0 }}"}
    """)
    assert live.get("/orders/last").json() == {"last": {}, "count": 0}
    first = live.post("/orders", json={"item": "pen"})
    assert first.json() == {"previous": None, "count": 1}  # the response sees old values
    second = live.post("/orders", json={"item": "cup"})
    assert second.json() == {"previous": {"item": "pen"}, "count": 2}
    assert live.get("/orders/last").json() == {"last": {"item": "cup"}, "count": 2}


# -- delay ------------------------------------------------------------------------------

DELAYS = """
    mockserve: 1
    routes:
      - path: /slow
        response: {text: slow, delay: 1000}
      - path: /ranged
        response: {text: ranged, delay: {min: 200, max: 300}}
      - path: /instant
        response: {text: instant}
"""


def _pending(url: str, path: str) -> socket.socket:
    """Send a GET whose answer is read later; the request is in the server's hands on return."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    return sock


def _answered(sock: socket.socket) -> bool:
    """True when an answer is waiting to be read, without waiting for one."""
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


@pytest.mark.parametrize(("path", "at_least"), [("/slow", 1.0), ("/ranged", 0.2)])
def test_a_delay_holds_the_response_back_at_least_that_long(serve, path, at_least):
    live = serve(DELAYS)
    started = time.monotonic()
    assert live.get(path).status_code == 200
    assert time.monotonic() - started >= at_least


def test_a_delayed_route_does_not_hold_up_other_requests(serve):
    live = serve(DELAYS)
    with _pending(live.url, "/slow") as slow:
        assert live.get("/instant").text == "instant"
        assert not _answered(slow)  # the fast answer came while the slow one was pending
        assert slow.recv(64).startswith(b"HTTP/1.1 200")


def test_settings_delay_applies_to_every_response_without_its_own(serve):
    live = serve("""
        mockserve: 1
        settings: {delay: {min: 200, max: 250}}
        routes:
          - path: /plain
            response: {text: plain}
    """)
    started = time.monotonic()
    assert live.get("/plain").text == "plain"
    assert time.monotonic() - started >= 0.2


def test_a_response_delay_replaces_the_default_even_when_zero(serve):
    live = serve("""
        mockserve: 1
        settings: {delay: 1000}
        routes:
          - path: /default
            response: {text: default}
          - path: /instant
            response: {text: instant, delay: 0}
    """)
    with _pending(live.url, "/default") as default:
        assert live.get("/instant").text == "instant"  # delay: 0 does not fall back to 1000
        assert not _answered(default)  # while settings.delay holds back the other route
        assert default.recv(64).startswith(b"HTTP/1.1 200")


# -- faults -----------------------------------------------------------------------------

FAULTS = """
    mockserve: 1
    routes:
      - path: /never
        faults: [{rate: 0, status: 503}]
        response: {json: {ok: true}}
      - path: /always
        faults: [{rate: 1, status: 503, json: {error: try again}, headers: {Retry-After: "1"}}]
        response: {json: {ok: true}}
      - path: /default-status
        faults: [{rate: 1, text: oops}]
        response: {json: {ok: true}}
      - path: /drop
        faults: [{rate: 1, kind: disconnect}]
        response: {json: {ok: true}}
      - path: /empty
        faults: [{rate: 1, kind: empty}]
        response: {json: {ok: true}}
      - path: /malformed
        faults: [{rate: 1, kind: malformed}]
        response: {json: {ok: true}}
      - path: /mixed
        faults:
          - {rate: 0.3, status: 503}
          - {rate: 0.2, kind: empty}
        response: {json: {ok: true}}
      - method: POST
        path: /checked
        body: {schema: {required: [id]}}
        faults: [{rate: 1, status: 503}]
        response: {json: {ok: true}}
"""


@pytest.fixture
def faults(serve):
    return serve(FAULTS, seed=3)


def test_a_fault_with_rate_0_never_fires(faults):
    assert all(faults.get("/never").status_code == 200 for _ in range(20))


def test_a_fault_response_with_rate_1_always_fires(faults):
    for _ in range(5):
        response = faults.get("/always")
        assert response.status_code == 503
        assert response.json() == {"error": "try again"}
        assert response.headers["Retry-After"] == "1"


def test_a_fault_response_defaults_to_500(faults):
    response = faults.get("/default-status")
    assert (response.status_code, response.text) == (500, "oops")


def test_a_disconnect_fault_closes_the_connection_without_an_answer(faults):
    with pytest.raises(requests.ConnectionError):
        requests.get(faults.url + "/drop", timeout=5)
    assert faults.get("/never").status_code == 200  # the server keeps serving


def test_a_disconnect_is_logged_and_journaled_as_no_answer(faults, caplog):
    with caplog.at_level(logging.INFO, logger="mockserve"), pytest.raises(requests.ConnectionError):
        requests.get(faults.url + "/drop", timeout=5)
    assert any("GET /drop -> disconnected" in r.getMessage() for r in caplog.records)
    assert faults.server.journal[-1].status is None


def test_an_empty_fault_is_200_with_no_body(faults):
    response = faults.get("/empty")
    assert "Content-Type" not in response.headers
    assert (response.status_code, response.content) == (200, b"")


def test_a_malformed_fault_is_json_that_does_not_parse(faults):
    response = faults.get("/malformed")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_faults_mix_by_rate_and_repeat_under_a_seed(serve):
    first = serve(FAULTS, seed=11)
    second = serve(FAULTS, seed=11)
    outcomes = [(r.status_code, r.content) for r in (first.get("/mixed") for _ in range(60))]
    again = [(r.status_code, r.content) for r in (second.get("/mixed") for _ in range(60))]
    assert outcomes == again
    assert {status for status, _ in outcomes} == {200, 503}
    assert (200, b"") in outcomes and (200, b'{"ok":true}') in outcomes


def test_faults_come_after_the_contract_checks(faults):
    assert faults.post("/checked", json={}).status_code == 422
    assert faults.post("/checked", json={"id": 1}).status_code == 503


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("data.json", "application/json"),
        ("data.yaml", "application/yaml"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("table.csv", "text/csv; charset=utf-8"),
        ("page.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("feed.xml", "application/xml"),
        ("logo.png", "image/png"),
        ("logo.svg", "image/svg+xml"),
        ("report.pdf", "application/pdf"),
        ("archive.json.gz", "application/octet-stream"),  # compressed: sent as bytes
        ("blob", "application/octet-stream"),
    ],
)
def test_a_file_gets_its_type_from_its_extension(client, name, content_type):
    answer = client(
        f"""
        mockserve: 1
        routes:
          - path: /file
            response: {{file: "files/{name}"}}
    """,
        **{f"files__{name}": "content\n"},
    ).get("/file")
    assert answer.headers["Content-Type"] == content_type
    assert answer.data == b"content\n"
