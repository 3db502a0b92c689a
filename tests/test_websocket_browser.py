"""The chat example (`specs/chat.yaml`) driven by a real browser `WebSocket`, in headless
Chromium, from a page of another origin: the frontend's own dev server, on a port of its
own. The example allows the usual dev servers' origins; here the one the test's page
server got is added to that list, the rest of the spec as shipped."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from test_journal_page import CHROMIUM, CHROMIUM_ARGS, SECONDS
from websockets.sync.client import connect

from mockserve.testing import MockServer

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # reported by the browser fixture, as a failure
    sync_playwright = None

CHAT = Path(__file__).parent.parent / "specs" / "chat.yaml"
ALLOWED = 'cors: {origins: ["http://localhost:5173"'  # as the example says it

# The page a frontend would have: opens the socket and notes everything that happens.
PAGE = """<!doctype html>
<title>chat</title>
<script>
  window.events = [];
  window.openChat = (url, protocols) => new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    window.ws = ws;
    ws.onopen = () => { events.push({open: ws.protocol}); resolve("open"); };
    ws.onmessage = (e) => events.push({message: JSON.parse(e.data)});
    ws.onclose = (e) => {
      events.push({close: e.code, reason: e.reason});
      resolve("closed " + e.code);
    };
  });
  window.say = (message) => ws.send(JSON.stringify(message));
  window.received = (type) => events.filter((e) => e.message && e.message.type === type)
    .map((e) => e.message);
</script>
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.fail("Playwright is missing: pip install -e '.[test]' (never `playwright install`)")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        expect.set_options(timeout=SECONDS)
        yield browser
        browser.close()


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def page_server() -> Iterator[str]:
    """A frontend's dev server on a free port: its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(SECONDS / 1000)


@pytest.fixture(scope="module")
def frontend() -> Iterator[str]:
    """The origin of the chat's frontend, which the spec allows."""
    yield from page_server()


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[str]:
    """The origin of another site's page, which it does not."""
    yield from page_server()


@pytest.fixture(scope="module")
def server(frontend, tmp_path_factory) -> Iterator[MockServer]:
    text = CHAT.read_text()
    assert ALLOWED in text
    spec = tmp_path_factory.mktemp("chat") / "chat.yaml"
    spec.write_text(
        text.replace(ALLOWED, f'cors: {{origins: ["{frontend}", "http://localhost:5173"')
    )
    with MockServer(spec) as server:
        yield server


@pytest.fixture
def page_from(browser, server) -> Iterator:
    """A page of the chat frontend, loaded from the dev server at `origin`."""
    server.reset()
    contexts = []

    def open_page(origin: str) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(SECONDS)
        page.goto(f"{origin}/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def socket_url(server: MockServer, path: str) -> str:
    return "ws" + server.url.removeprefix("http") + path


def wait_for(page: Page, condition: str) -> None:
    page.wait_for_function(condition, timeout=SECONDS)


def test_a_page_of_the_frontend_chats_over_the_mock(server, page_from, frontend):
    page = page_from(frontend)
    url = socket_url(server, "/ws/rooms/1?user=ada")
    assert page.evaluate("([url]) => openChat(url, ['chat.v1'])", [url]) == "open"
    wait_for(page, "received('welcome').length === 1")
    assert page.evaluate("events[0]") == {"open": "chat.v1"}
    assert page.evaluate("received('welcome')") == [{"type": "welcome", "room": 1, "user": "ada"}]

    page.evaluate("say({type: 'message', text: 'hello'})")
    wait_for(page, "received('message').length === 1")
    (echo,) = page.evaluate("received('message')")
    assert {k: echo[k] for k in ("room", "user", "text")} == {
        "room": 1,
        "user": "ada",
        "text": "hello",
    }
    server.assert_ws_received("/ws/rooms/1", {"type": "message", "text": "hello"}, times=1)

    # The rooms come over HTTP from the same port meanwhile, allowed by settings.cors.
    rooms = page.evaluate("async ([url]) => (await fetch(url)).json()", [server.url + "/api/rooms"])
    assert rooms == [{"id": 1, "name": "general"}, {"id": 2, "name": "random"}]

    # A test pushes what the real backend would broadcast.
    pushed = requests.post(
        server.url + "/__mockserve/websockets/ws/rooms/1/send",
        json={"message": {"type": "message", "user": "bob", "text": "hi ada"}},
        timeout=SECONDS / 1000,
    )
    assert pushed.json() == {"path": "/ws/rooms/1", "sockets": 1}
    wait_for(page, "received('message').length === 2")
    assert page.evaluate("received('message')[1]")["user"] == "bob"


def test_presence_ticks_each_second(server, page_from, frontend):
    page = page_from(frontend)
    page.evaluate("([url]) => openChat(url, ['chat.v1'])", [socket_url(server, "/ws/rooms/2")])
    page.evaluate("say({type: 'presence'})")
    wait_for(page, "received('presence').length === 1")
    (tick,) = page.evaluate("received('presence')")
    assert tick["n"] == 1 and 1 <= tick["online"] <= 20


@pytest.mark.parametrize(
    ("message", "code", "reason"),
    [({"type": "leave"}, 1000, "bye"), ({"type": "dance"}, 1008, "unknown message type")],
)
def test_the_page_sees_the_close_code_and_reason(
    server, page_from, frontend, message, code, reason
):
    page = page_from(frontend)
    page.evaluate("([url]) => openChat(url, ['chat.v1'])", [socket_url(server, "/ws/rooms/1")])
    page.evaluate("([message]) => say(message)", [message])
    wait_for(page, "events.some((e) => 'close' in e)")
    assert page.evaluate("events.at(-1)") == {"close": code, "reason": reason}


def test_a_page_from_an_origin_settings_cors_does_not_allow_cannot_connect(
    server, page_from, elsewhere
):
    page = page_from(elsewhere)
    url = socket_url(server, "/ws/rooms/1")
    assert page.evaluate("([url]) => openChat(url, ['chat.v1'])", [url]) == "closed 1006"
    assert server.ws_messages == []  # refused at the handshake: nothing was said


@pytest.mark.parametrize("protocols", [[], ["chat.v2"]])
def test_a_page_offering_no_subprotocol_the_socket_speaks_cannot_connect(
    server, page_from, frontend, protocols
):
    page = page_from(frontend)
    url = socket_url(server, "/ws/rooms/1")
    opened = page.evaluate("([url, p]) => openChat(url, p)", [url, protocols])
    assert opened == "closed 1006"
    assert json.dumps(server.ws_messages) == "[]"


def test_the_journal_page_shows_the_messages_both_ways(server, browser):
    server.reset()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "/__mockserve/ui")
        sockets = page.get_by_role("table", name="WebSocket paths of the spec").locator("tbody tr")
        expect(sockets).to_have_text([re.compile(r"/ws/rooms/\{room:int\}\s*chat\.v1\s*0")])
        url = socket_url(server, "/ws/rooms/1?user=ada")
        with connect(url, subprotocols=["chat.v1"], open_timeout=SECONDS / 1000) as chat:
            chat.recv(timeout=SECONDS / 1000)
            chat.send(json.dumps({"type": "ping"}))
            chat.recv(timeout=SECONDS / 1000)
            expect(sockets).to_have_text([re.compile(r"chat\.v1\s*1$")])
            chat.send(json.dumps({"type": "dance"}))  # the catch-all closes the socket
        rows = page.get_by_role("table", name="WebSocket messages, newest first")
        expect(rows.locator("tbody tr")).to_have_text(
            [
                re.compile(r"→ in\s*/ws/rooms/1\s*\{\"type\":\"dance\"\}$"),
                re.compile(r"← out\s*/ws/rooms/1\s*\{\"type\":\"pong\"\}$"),
                re.compile(r"→ in\s*/ws/rooms/1\s*\{\"type\":\"ping\"\}$"),
                re.compile(r"← out\s*/ws/rooms/1\s*\{\"type\":\"welcome\",\"room\":1,"),
            ]
        )
        expect(sockets).to_have_text([re.compile(r"chat\.v1\s*0$")])
    finally:
        context.close()
