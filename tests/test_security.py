"""Nobody else drives the mock: the admin API, request sizes, and updates under load.

The admin API answers clients on this machine only, unless a token is set (then every
admin request must carry it) or it is opened on purpose. A request a browser marks as
coming from another site is refused, and admin answers never carry CORS headers, so a
web page can neither reset nor stop the mock, nor read its journal.
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mockserve import MockServer, create_app
from mockserve.mock import AdminAccess

ADMIN = "/__mockserve"
SPEC = """
    mockserve: 1
    settings: {cors: true}
    routes:
      - path: /ping
        response: {json: {pong: true}}
      - method: POST
        path: /count
        response:
          json: {n: "{{ (state.n or 0) + 1 }}"}
          state: {n: "{{ (state.n or 0) + 1 }}"}
      - path: /count
        response: {json: {n: "{{ state.n or 0 }}"}}
    resources:
      notes: {path: /notes}
"""


@pytest.fixture
def live(serve):
    return serve(SPEC)


# -- who may use the admin API -------------------------------------------------------------


def test_a_client_on_this_machine_uses_the_admin_api_without_a_token(live):
    assert live.get(f"{ADMIN}/health").json() == {"status": "ok"}


def test_a_client_on_another_machine_is_refused_without_a_token(write_spec):
    # Tests reach the server on 127.0.0.1 only, so the other machine is Flask's test client.
    app = create_app(write_spec(SPEC))
    answer = app.test_client().get(f"{ADMIN}/requests", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert answer.status_code == 403
    assert "answers clients on this machine only" in answer.get_json()["error"]
    assert "--admin-token" in answer.get_json()["error"]
    # The mock itself still answers it.
    assert app.test_client().get("/ping", environ_base={"REMOTE_ADDR": "192.0.2.7"}).json


def test_admin_open_lets_any_client_in(write_spec):
    app = create_app(write_spec(SPEC), access=AdminAccess(open=True))
    answer = app.test_client().get(f"{ADMIN}/health", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert answer.status_code == 200


def test_a_page_on_a_name_that_resolves_here_is_refused(live):
    # DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
    answer = live.get(f"{ADMIN}/requests", headers={"Host": "evil.example"})
    assert answer.status_code == 403


@pytest.fixture
def guarded(write_spec):
    with MockServer(write_spec(SPEC), admin_token="s3cret") as server:
        yield server


def test_with_a_token_every_admin_request_must_carry_it(guarded):
    missing = requests.get(guarded.url + f"{ADMIN}/requests", timeout=5)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer TOKEN" in missing.json()["error"]
    wrong = requests.post(
        guarded.url + f"{ADMIN}/shutdown", headers={"Authorization": "Bearer nope"}, timeout=5
    )
    assert wrong.status_code == 401
    assert guarded.running
    right = requests.get(
        guarded.url + f"{ADMIN}/requests", headers={"Authorization": "Bearer s3cret"}, timeout=5
    )
    assert right.status_code == 200


def test_the_token_also_comes_from_the_environment(cli, write_spec):
    run = cli([write_spec(SPEC), "--port", "0", "-q"], env={"MOCKSERVE_ADMIN_TOKEN": "t0k"})
    run.serving()
    url = run.url
    assert requests.get(url + f"{ADMIN}/health", timeout=5).status_code == 401
    bearer = {"Authorization": "Bearer t0k"}
    assert requests.get(url + f"{ADMIN}/health", headers=bearer, timeout=5).status_code == 200


# -- web pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ],
)
def test_a_web_page_of_another_site_can_neither_reset_nor_stop_the_mock(live, headers):
    live.post("/count")
    for method, path in [("POST", "/reset"), ("DELETE", "/requests"), ("POST", "/shutdown")]:
        answer = live.request(method, ADMIN + path, headers=headers)
        assert answer.status_code == 403
        assert "web pages of other sites" in answer.json()["error"]
    assert live.get("/count").json() == {"n": 1}  # nothing was reset
    assert live.server.running


def test_a_web_page_cannot_read_the_journal_even_with_cors_on(live):
    answer = live.get(f"{ADMIN}/requests", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert "Access-Control-Allow-Origin" not in answer.headers
    own = live.get(f"{ADMIN}/requests", headers={"Origin": live.url})  # the mock's own page
    assert own.status_code == 200
    assert not [name for name in own.headers if name.startswith("Access-Control")]
    # The spec's own routes keep their CORS headers.
    assert (
        live.get("/ping", headers={"Origin": "https://app.example"}).headers[
            "Access-Control-Allow-Origin"
        ]
        == "*"
    )


def test_binding_another_address_warns_that_the_admin_api_stays_local(cli, write_spec):
    run = cli([write_spec(SPEC), "--host", "0.0.0.0", "--port", "0", "-q"])
    run.serving()
    warning = run.read_line()
    assert warning.startswith("mockserve: warning: serving on 0.0.0.0, but the admin API ")
    assert "--admin-token" in warning


def test_admin_open_says_so_at_start(cli, write_spec):
    run = cli([write_spec(SPEC), "--port", "0", "-q", "--admin-open"])
    run.serving()
    assert "--admin-open: any client that reaches this server" in run.read_line()


# -- request sizes -----------------------------------------------------------------------------


def test_a_body_over_max_body_is_a_413_and_nothing_is_stored(serve):
    live = serve("""
        mockserve: 1
        settings: {max_body: 1000}
        resources:
          notes: {path: /notes}
    """)
    answer = live.post("/notes", json={"text": "x" * 2000})
    assert answer.status_code == 413
    assert answer.headers["Content-Type"] == "application/json"
    assert "request entity too large" in answer.json()["error"]
    assert live.get("/notes").json() == []
    assert live.post("/notes", json={"text": "short"}).status_code == 201


def test_the_default_limit_is_10_mb(live):
    answer = live.post(
        "/notes",
        data=b"{" + b" " * (10 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert live.get("/notes").json() == []


def test_the_app_refuses_a_large_body_on_any_server_too(write_spec):
    app = create_app(write_spec(SPEC.replace("{cors: true}", "{max_body: 10}")))
    answer = app.test_client().post("/notes", json={"text": "more than ten bytes"})
    assert answer.status_code == 413
    assert "settings.max_body (10 bytes)" in answer.get_json()["error"]


# -- no update is lost -------------------------------------------------------------------------


@pytest.mark.parametrize("run", [1, 2, 3])
def test_concurrent_state_updates_are_never_lost(live, run):
    live.server.reset()

    def hammer(_: int) -> None:
        with requests.Session() as session:
            for _ in range(100):
                assert session.post(live.url + "/count", timeout=10).status_code == 200

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(hammer, range(16)))
    assert live.get("/count").json() == {"n": 1600}


# -- many connections ------------------------------------------------------------------------


def test_idle_connections_beyond_a_thousand_do_not_stall_new_requests(live):
    host, port = live.url.removeprefix("http://").rsplit(":", 1)
    idle = []
    try:
        for _ in range(1100):
            idle.append(socket.create_connection((host, int(port)), timeout=5))
        answered = threading.Event()

        def ask() -> None:
            if requests.get(live.url + "/ping", timeout=10).status_code == 200:
                answered.set()

        thread = threading.Thread(target=ask)
        thread.start()
        assert answered.wait(10)
        thread.join()
    finally:
        for sock in idle:
            sock.close()
