"""WebSocket paths (`websockets`), over the wire with the `websockets` client library.

One server for the module, reset between tests; every wait is bounded (a `recv` timeout,
`server.wait_for_ws`), none is a sleep.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from mockserve import create_app
from mockserve.testing import MockServer

SECONDS = 5

SPEC = """
mockserve: 1
title: sockets
settings:
  cors: {origins: ["http://app.example"]}
  seed: 7
routes:
  - path: /health
    response: {json: {status: ok}}
websockets:
  - path: /ws/chat
    subprotocols: [chat.v2, chat.v1]
    on_connect: [{send: {type: hello, user: "{{ query.user }}"}}]
    on_message:
      - when: message.type == 'ping'
        send: {type: pong}
      - when: message.type == 'say'
        send: {type: said, by: "{{ query.user }}", text: "{{ message.text }}"}
      - when: message.type == 'subscribe'
        send_every: {interval: 20, count: 3, message: {tick: "{{ n }}"}}
      - when: message.type == 'slow'
        delay: 50
        send: {type: late}
      - when: message.type == 'bye'
        close: {code: 4000, reason: "bye {{ query.user }}"}
      - when: message.type == 'quiet'
      - close: {code: 1008, reason: unknown message}
  - path: /ws/rooms/{room:int}
    on_connect:
      - send: "room {{ path.room }} for {{ headers['x-user'] }}"
      - send: {fake: "{{ fake.name() }}"}
    on_message:
      - when: message == 'who'
        send: "{{ path.room }}"
      - when: message == 'broken'
        send: "{{ message.nope.deeper() }}"
  - path: /ws/flaky
    faults: [{rate: 1, close: {code: 1013, reason: try again later}}]
    on_message: [{send: never}]
  - path: /ws/drop
    faults: [{rate: 1, kind: disconnect}]
    on_message: [{send: never}]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MockServer]:
    path = tmp_path_factory.mktemp("ws") / "sockets.yaml"
    path.write_text(SPEC)
    with MockServer(path) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(server: MockServer) -> None:
    server.reset()
    server.violations_before = len(server.violations)  # a reset keeps the run's violations


def new_violations(server: MockServer) -> str:
    """This test's violations, one a line (a reset keeps those of the tests before)."""
    return "\n".join(str(v) for v in server.violations[server.violations_before :])


def ws_url(server: MockServer, path: str) -> str:
    return "ws" + server.url.removeprefix("http") + path


def open_socket(server: MockServer, path: str, **options) -> ClientConnection:
    return connect(ws_url(server, path), open_timeout=SECONDS, **options)


def received(socket: ClientConnection):
    text = socket.recv(timeout=SECONDS)
    return json.loads(text)


def test_a_chat_says_hello_answers_and_journals_both_ways(server):
    with open_socket(server, "/ws/chat?user=ada", subprotocols=["chat.v1"]) as chat:
        assert chat.subprotocol == "chat.v1"
        assert received(chat) == {"type": "hello", "user": "ada"}
        chat.send(json.dumps({"type": "ping"}))
        assert received(chat) == {"type": "pong"}
        chat.send(json.dumps({"type": "say", "text": "hi all"}))
        assert received(chat) == {"type": "said", "by": "ada", "text": "hi all"}
    server.assert_ws_received("/ws/chat", {"type": "ping"}, times=1)
    journal = requests.get(server.url + "/__mockserve/websockets", timeout=SECONDS).json()
    assert [(m["direction"], m["message"]) for m in journal] == [
        ("out", {"type": "hello", "user": "ada"}),
        ("in", {"type": "ping"}),
        ("out", {"type": "pong"}),
        ("in", {"type": "say", "text": "hi all"}),
        ("out", {"type": "said", "by": "ada", "text": "hi all"}),
    ]
    assert {m["path"] for m in journal} == {"/ws/chat"}
    assert all(m["time"].endswith("Z") for m in journal)
    assert new_violations(server) == ""


def test_the_first_subprotocol_the_client_offers_that_the_socket_speaks_is_chosen(server):
    with open_socket(server, "/ws/chat", subprotocols=["chat.v3", "chat.v2", "chat.v1"]) as chat:
        assert chat.subprotocol == "chat.v2"


@pytest.mark.parametrize("offered", [None, ["chat.v9"]])
def test_a_client_offering_no_subprotocol_the_socket_speaks_is_refused(server, offered):
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, "/ws/chat", subprotocols=offered)
    response = refused.value.response
    assert response.status_code == 400
    assert json.loads(response.body)["error"] == (
        "/ws/chat speaks the subprotocols chat.v2, chat.v1; "
        f"the client offered {'none' if offered is None else 'chat.v9'}"
    )


def test_pages_from_origins_settings_cors_does_not_allow_are_refused(server):
    with open_socket(server, "/ws/rooms/1", origin="http://app.example") as room:
        assert room.recv(timeout=SECONDS).startswith("room 1")
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, "/ws/rooms/1", origin="http://evil.example")
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body) == {
        "error": "a page from http://evil.example may not open this socket: "
        "settings.cors allows only http://app.example",
        "route": None,
        "errors": [],
    }


def test_an_unknown_path_is_refused_with_404_and_is_a_violation(server):
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, "/ws/nowhere")
    assert refused.value.response.status_code == 404
    assert "the spec has: /ws/chat, /ws/rooms/{room:int}" in refused.value.response.body.decode()
    assert new_violations(server) == (
        "WEBSOCKET /ws/nowhere -> 404: no websocket at /ws/nowhere; "
        "the spec has: /ws/chat, /ws/rooms/{room:int}, /ws/flaky, /ws/drop"
    )


def test_send_every_sends_count_messages_with_n_then_stops(server):
    with open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as chat:
        received(chat)  # hello
        chat.send(json.dumps({"type": "subscribe"}))
        assert [received(chat) for _ in range(3)] == [{"tick": 1}, {"tick": 2}, {"tick": 3}]
        # Its task has ended: the socket holds only its worker now.
        (session,) = server.mock.websockets.open_sockets("/ws/chat")
        assert _eventually(lambda: len(session.tasks) == 1)
        chat.send(json.dumps({"type": "ping"}))
        assert received(chat) == {"type": "pong"}


def test_a_socket_closed_by_the_client_frees_its_timers(server):
    with open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as chat:
        received(chat)
        for _ in range(5):
            chat.send(json.dumps({"type": "subscribe"}))
        (session,) = server.mock.websockets.open_sockets("/ws/chat")
        assert _eventually(lambda: len(session.tasks) == 6)
    assert _eventually(lambda: not session.tasks)
    assert server.mock.websockets.open_sockets("/ws/chat") == []


def test_close_sends_the_code_and_templated_reason(server):
    with open_socket(server, "/ws/chat?user=ada", subprotocols=["chat.v1"]) as chat:
        received(chat)
        chat.send(json.dumps({"type": "bye"}))
        with pytest.raises(ConnectionClosed):
            chat.recv(timeout=SECONDS)
    assert (chat.close_code, chat.close_reason) == (4000, "bye ada")


def test_a_catch_all_closes_on_an_unknown_message(server):
    with open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as chat:
        received(chat)
        chat.send("not json at all")
        with pytest.raises(ConnectionClosed):
            chat.recv(timeout=SECONDS)
    assert (chat.close_code, chat.close_reason) == (1008, "unknown message")
    server.assert_ws_received("/ws/chat", "not json at all")


def test_a_binary_message_is_read_as_its_utf8_text(server):
    with open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as chat:
        received(chat)
        chat.send(b'{"type": "ping"}')
        assert received(chat) == {"type": "pong"}


def test_an_entry_with_only_when_takes_the_message_quietly(server):
    with open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as chat:
        received(chat)
        chat.send(json.dumps({"type": "quiet"}))
        chat.send(json.dumps({"type": "ping"}))
        assert received(chat) == {"type": "pong"}
    assert new_violations(server) == ""


def test_a_message_no_on_message_answers_is_journaled_unmatched_and_a_violation(server):
    with open_socket(server, "/ws/rooms/3") as room:
        room.recv(timeout=SECONDS), room.recv(timeout=SECONDS)  # on_connect's two
        room.send("hello?")
        server.wait_for_ws("/ws/rooms/3", "hello?")
        room.send("who")
        assert room.recv(timeout=SECONDS) == "3"
    unmatched = requests.get(
        server.url + "/__mockserve/websockets?unmatched=true", timeout=SECONDS
    ).json()
    assert [(m["message"], m["websocket"]) for m in unmatched] == [
        ("hello?", "/ws/rooms/{room:int}")
    ]
    assert new_violations(server) == (
        "WEBSOCKET /ws/rooms/3: no on_message entry answers the message hello?"
    )
    with pytest.raises(AssertionError) as failed:
        server.assert_no_violations()  # as --strict and the pytest plugin list it
    assert str(failed.value).endswith(
        "  WEBSOCKET /ws/rooms/3 (/ws/rooms/{room:int})\n"
        "      no on_message entry answers the message hello?"
    )


def test_templates_see_path_parameters_headers_and_seeded_helpers(server):
    with open_socket(server, "/ws/rooms/12", additional_headers={"X-User": "ada"}) as room:
        assert room.recv(timeout=SECONDS) == "room 12 for ada"
        first = json.loads(room.recv(timeout=SECONDS))
    server.reset()  # the seed's draws start over
    with open_socket(server, "/ws/rooms/12", additional_headers={"X-User": "ada"}) as room:
        room.recv(timeout=SECONDS)
        assert json.loads(room.recv(timeout=SECONDS)) == first


def test_a_template_that_fails_closes_with_1011_and_is_a_violation(server):
    with open_socket(server, "/ws/rooms/1") as room:
        room.recv(timeout=SECONDS)
        room.recv(timeout=SECONDS)
        room.send("broken")
        with pytest.raises(ConnectionClosed):
            room.recv(timeout=SECONDS)
    assert room.close_code == 1011
    assert new_violations(server).startswith(
        "WEBSOCKET /ws/rooms/1: a template failed at websockets[1].on_message[1]: "
    )


def test_a_close_fault_closes_with_its_code(server):
    with open_socket(server, "/ws/flaky") as flaky:
        flaky.send("anything")
        with pytest.raises(ConnectionClosed):
            flaky.recv(timeout=SECONDS)
    assert (flaky.close_code, flaky.close_reason) == (1013, "try again later")


def test_a_disconnect_fault_drops_the_connection_without_a_close_frame(server, caplog):
    with open_socket(server, "/ws/drop") as drop:
        drop.send("anything")
        with pytest.raises(ConnectionClosed) as closed:
            drop.recv(timeout=SECONDS)
    assert closed.value.rcvd is None  # no close frame came: 1006, abnormal closure
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_delay_holds_the_answer(server):
    with open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as chat:
        received(chat)
        started = time.monotonic()
        chat.send(json.dumps({"type": "slow"}))
        assert received(chat) == {"type": "late"}
        assert time.monotonic() - started >= 0.045


def test_the_admin_api_pushes_to_every_socket_open_on_a_path(server):
    with (
        open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as one,
        open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as two,
    ):
        received(one), received(two)
        answer = requests.post(
            server.url + "/__mockserve/websockets/ws/chat/send",
            json={"message": {"type": "news", "id": 1}},
            timeout=SECONDS,
        )
        assert answer.json() == {"path": "/ws/chat", "sockets": 2}
        assert received(one) == received(two) == {"type": "news", "id": 1}
        assert server.ws_send("/ws/chat", "plain text") == 2
        assert one.recv(timeout=SECONDS) == two.recv(timeout=SECONDS) == "plain text"
    assert len(server.ws_received("/ws/chat", "plain text", direction="out")) == 2


@pytest.mark.parametrize(
    ("target", "body", "status", "error"),
    [
        ("/ws/elsewhere/send", {"message": 1}, 404, "no websocket at /ws/elsewhere"),
        ("/ws/chat/send", {"text": "hi"}, 400, 'give the message to send: {"message": ...}'),
    ],
)
def test_a_bad_push_is_a_json_error(server, target, body, status, error):
    answer = requests.post(
        server.url + "/__mockserve/websockets" + target, json=body, timeout=SECONDS
    )
    assert answer.status_code == status
    assert answer.json()["error"].startswith(error)


def test_a_web_page_cannot_push(server):
    answer = requests.post(
        server.url + "/__mockserve/websockets/ws/chat/send",
        json={"message": "hi"},
        headers={"Origin": "http://app.example"},
        timeout=SECONDS,
    )
    assert answer.status_code == 403


def test_a_reset_clears_the_messages(server):
    with open_socket(server, "/ws/rooms/1") as room:
        room.recv(timeout=SECONDS)
    assert server.ws_messages
    requests.post(server.url + "/__mockserve/reset", timeout=SECONDS)
    assert server.ws_messages == []


def test_a_failing_assertion_lists_the_messages_on_the_path(server):
    with open_socket(server, "/ws/chat", subprotocols=["chat.v1"]) as chat:
        received(chat)
        chat.send(json.dumps({"type": "ping"}))
        received(chat)
    with pytest.raises(AssertionError) as failed:
        server.assert_ws_received("/ws/chat", {"type": "pong"})
    number = server.ws_messages[0].socket  # sockets are numbered for the whole run
    assert str(failed.value) == (
        'expected the message {"type": "pong"} received on /ws/chat at least once, '
        "but it came 0 times\n"
        "Messages on /ws/chat (3), newest last:\n"
        f'  <- socket {number}: {{"type": "hello", "user": null}}\n'
        f'  -> socket {number}: {{"type": "ping"}}\n'
        f'  <- socket {number}: {{"type": "pong"}}'
    )


def test_http_routes_answer_while_many_sockets_tick(server):
    with ExitStack() as stack:
        sockets = [
            stack.enter_context(open_socket(server, "/ws/chat", subprotocols=["chat.v1"]))
            for _ in range(30)
        ]
        for socket in sockets:
            received(socket)
            socket.send(json.dumps({"type": "subscribe"}))
        for _ in range(10):
            answer = requests.get(server.url + "/health", timeout=SECONDS)
            assert answer.json() == {"status": "ok"}
        for socket in sockets:
            assert [received(socket) for _ in range(3)] == [{"tick": n} for n in (1, 2, 3)]


def _eventually(condition, timeout: float = SECONDS) -> bool:
    """A condition on the server's side that comes true soon (bounded; checked each ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def test_with_a_shared_store_every_instance_lists_the_messages(tmp_path, redis_server):
    spec = tmp_path / "shared.yaml"
    spec.write_text(
        "mockserve: 1\n"
        f"settings: {{store: '{redis_server.url}', namespace: ws}}\n"
        "websockets:\n"
        "  - path: /ws/echo\n"
        "    on_message: [{send: '{{ message }}'}]\n"
    )
    with MockServer(spec) as one, MockServer(spec) as two:
        with open_socket(one, "/ws/echo") as echo:
            echo.send("hello")
            assert echo.recv(timeout=SECONDS) == "hello"
        listed = requests.get(two.url + "/__mockserve/websockets", timeout=SECONDS).json()
        assert [(m["direction"], m["message"]) for m in listed] == [
            ("in", "hello"),
            ("out", "hello"),
        ]
        two.reset()
        assert one.ws_messages == []


def test_with_several_workers_the_admin_api_says_it_would_reach_one(tmp_path):
    spec = tmp_path / "echo.yaml"
    spec.write_text("mockserve: 1\nwebsockets:\n  - path: /ws/echo\n")
    client = create_app(str(spec), workers=2).test_client()
    pushed = client.post("/__mockserve/websockets/ws/echo/send", json={"message": "hi"})
    assert pushed.status_code == 409
    assert "2 worker processes, each with its own sockets" in pushed.json["error"]
    assert client.get("/__mockserve/websockets").status_code == 409
