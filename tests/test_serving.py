"""The server under every mock: WebSocket upgrades on the same port, waits that tie no thread.

`mockserve run`, `MockServer` and the pytest plugin serve through one backend (uvicorn on
an event loop). A WebSocket upgrade reaches the mock's handler (`mock.websockets`), or is
refused with JSON when the spec has none; a route's `delay` and a body's `Pause` parts are
awaited on the loop, so a hundred delayed clients need no hundred threads; answers that
wait on the network (an upstream) are answered in threads, and the start banner says so.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask, Response
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mockserve import MockServer
from mockserve.pacing import Pause
from mockserve.serve.uvicorn import UvicornBackend

SPEC = """
    mockserve: 1
    routes:
      - path: /slow
        response: {json: {slow: true}, delay: 300}
      - path: /hello
        response: {json: {hi: there}}
"""


class Echo:
    """A WebSocket handler as the spec's `websockets` would install: ASGI, echoing text."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def handle(self, scope, receive, send) -> None:
        self.paths.append(scope["path"])
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": "echo: " + message["text"]})


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    spec = tmp_path_factory.mktemp("serving") / "spec.yaml"
    spec.write_text(SPEC)
    with MockServer(spec) as running:
        yield running


@pytest.fixture
def echo(server):
    handler = Echo()
    server.mock.websockets = handler
    yield handler
    server.mock.websockets = None


def ws_url(server: MockServer, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def test_a_websocket_upgrade_on_the_http_port_reaches_the_mocks_handler(server, echo):
    with connect(ws_url(server, "/chat"), open_timeout=5) as socket:
        socket.send("hello")
        assert socket.recv(timeout=5) == "echo: hello"
    assert echo.paths == ["/chat"]
    assert requests.get(server.url + "/hello", timeout=5).json() == {"hi": "there"}


def test_without_websocket_endpoints_an_upgrade_is_refused_with_json(server):
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server, "/chat"), open_timeout=5)
    answer = refused.value.response
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.body)["error"] == "no WebSocket endpoint at /chat"


def test_a_hundred_delayed_clients_finish_together_without_a_thread_each(server):
    threads_before = threading.active_count()
    seen: list[int] = []

    def get(_: int) -> float:
        started = time.monotonic()
        answer = requests.get(server.url + "/slow", timeout=10)
        seen.append(threading.active_count())
        assert answer.json() == {"slow": True}
        return time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(100) as clients:  # the clients' threads, not the server's
        took = list(clients.map(get, range(100)))
    assert min(took) >= 0.3
    assert time.monotonic() - started < 3  # one after another would take 30 s
    # The server added no thread per waiting request (the 100 are the clients' own).
    assert max(seen) <= threads_before + 100 + 5
    server.wait_for("GET", "/slow", times=100)


def test_a_body_with_pauses_is_sent_over_time_on_the_loop():
    app = Flask("paced")
    sent: list[float] = []

    @app.get("/ticks")
    def ticks() -> Response:
        def parts():
            for n in range(3):
                yield f"tick {n}\n".encode()
                yield Pause(0.2)

        return Response(parts(), mimetype="text/plain")

    backend = UvicornBackend(app, "127.0.0.1", 0)
    thread = threading.Thread(target=backend.serve, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with requests.get(backend.url + "/ticks", stream=True, timeout=5) as answer:
            for line in answer.iter_lines():
                sent.append(time.monotonic() - started)
                assert line.startswith(b"tick ")
    finally:
        backend.stop()
        thread.join(10)
    assert len(sent) == 3
    assert sent[0] < 0.15 and sent[2] >= 0.4  # each line as it came, not all at the end


def test_a_body_over_max_body_is_refused_unread_and_the_connection_closed(write_spec):
    spec = write_spec("mockserve: 1\nsettings: {max_body: 100}\nroutes: [{method: POST, path: /n}]")
    with MockServer(spec) as running:
        answer = requests.post(running.url + "/n", data=b"x" * 5_000_000, timeout=10)
        assert answer.status_code == 413
        assert answer.headers["Connection"] == "close"
        chunked = requests.post(running.url + "/n", data=iter([b"y" * 80, b"y" * 80]), timeout=10)
        assert chunked.status_code == 413
        assert requests.post(running.url + "/n", data=b"small", timeout=10).status_code == 200


def test_the_banner_says_which_backend_answers_and_why(cli, write_spec):
    plain = cli([write_spec(SPEC), "--port", "0", "-q"])
    assert "(uvicorn, answering on its event loop; Ctrl-C to stop)" in plain.serving()[-1]
    assert plain.stop() == 0
    upstream = "settings: {proxy: {to: 'http://127.0.0.1:9'}}\n"
    proxied = write_spec(textwrap.dedent(SPEC) + upstream, "p.yaml")
    forwarding = cli([proxied, "--port", "0", "-q"])
    banner = forwarding.serving()[-1]
    assert "uvicorn, answering in threads: requests are forwarded to an upstream" in banner
    assert forwarding.stop() == 0
    forced = cli([write_spec(SPEC), "--port", "0", "-q", "--server", "uvicorn-threads"])
    assert "(uvicorn, answering in threads (--server uvicorn-threads);" in forced.serving()[-1]
    assert requests.get(forced.url + "/hello", timeout=5).json() == {"hi": "there"}
    assert forced.stop() == 0
