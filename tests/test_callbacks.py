"""Callbacks: sent after the answer, in order, retried, recorded, cancelled by a reset."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask, request

from mockserve import MockServer
from mockserve.serve.uvicorn import UvicornBackend

ROOT = Path(__file__).resolve().parent.parent


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records what it gets, with events to wait on."""

    def __init__(self, statuses: tuple[int, ...] = ()):
        self.got: list[dict] = []
        self._statuses = list(statuses)
        self._arrived = threading.Condition()
        app = Flask("receiver")

        @app.route("/<path:path>", methods=["GET", "POST", "PUT"])
        def hook(path: str):
            with self._arrived:
                self.got.append(
                    {
                        "at": time.monotonic(),
                        "path": "/" + path,
                        "method": request.method,
                        "headers": dict(request.headers),
                        "json": request.get_json(silent=True),
                    }
                )
                status = self._statuses.pop(0) if self._statuses else 200
                self._arrived.notify_all()
            return "", status

        self.backend = UvicornBackend(app, "127.0.0.1", 0, threads=4)
        self.url = self.backend.url
        self._thread = threading.Thread(target=self.backend.serve, daemon=True)
        self._thread.start()

    def wait(self, count: int, timeout: float = 10) -> list[dict]:
        """The first `count` requests, once they arrived (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.got) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"waited {timeout} s for {count} callbacks; got {self.got}"
                self._arrived.wait(left)
            return list(self.got)

    def stop(self) -> None:
        self.backend.stop()
        self._thread.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator:
    made: list[Receiver] = []

    def make(*statuses: int) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for one in made:
        one.stop()


@pytest.fixture
def mock(write_spec) -> Iterator:
    servers: list[MockServer] = []

    def start(text: str) -> MockServer:
        servers.append(MockServer(write_spec(text)).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


PAYMENTS = """\
mockserve: 1
routes:
  - method: POST
    path: /payments
    response: {status: 202, json: {id: "{{ body.ref }}-1"}}
    callbacks:
      - name: settled
        when: body.amount < 1000
        url: "{{ body.callback_url }}"
        delay: 800
        json: {id: "{{ response.json.id }}", status: settled, amount: "{{ body.amount }}"}
        headers: {X-Signature: "sig-{{ body.ref }}"}
"""


def test_the_answer_comes_at_once_and_the_callback_after_its_delay(mock, receiver):
    hooks = receiver()
    server = mock(PAYMENTS)
    sent = time.monotonic()
    answer = requests.post(
        server.url + "/payments",
        json={"ref": "p7", "amount": 10, "callback_url": hooks.url + "/done"},
        timeout=10,
    )
    assert answer.status_code == 202 and answer.json() == {"id": "p7-1"}
    assert hooks.got == []  # the answer did not wait for the callback
    (got,) = hooks.wait(1)
    assert got["at"] - sent >= 0.8
    assert got["path"] == "/done" and got["method"] == "POST"
    assert got["json"] == {"id": "p7-1", "status": "settled", "amount": 10}
    assert got["headers"]["X-Signature"] == "sig-p7"
    assert got["headers"]["X-Mockserve-Callback-Depth"] == "1"
    (attempt,) = server.wait_for_callbacks(timeout=10)
    assert attempt.as_json() | {"time": "", "duration_ms": 0} == {
        "time": "",
        "route": "POST /payments",
        "name": "settled",
        "url": hooks.url + "/done",
        "method": "POST",
        "status": 200,
        "attempts": 1,
        "error": None,
        "duration_ms": 0,
    }
    server.assert_callback_sent("settled", times=1)
    listed = requests.get(server.url + "/__mockserve/callbacks", timeout=10).json()
    assert listed == [attempt.as_json()]


def test_when_false_sends_nothing(mock, receiver):
    hooks = receiver()
    server = mock(PAYMENTS)
    body = {"ref": "big", "amount": 5000, "callback_url": hooks.url + "/done"}
    requests.post(server.url + "/payments", json=body, timeout=10)
    assert server.wait_for_callbacks(timeout=10) == []
    with pytest.raises(AssertionError, match="expected callback 'settled' to be sent"):
        server.assert_callback_sent("settled")


RETRIED = """\
mockserve: 1
routes:
  - path: /go
    response: {json: {ok: true}}
    callbacks:
      - name: hook
        url: "{{ query.to }}"
        retry: {attempts: 3, backoff: 20}
        timeout: 2000
"""


def test_retries_on_5xx_until_answered(mock, receiver):
    hooks = receiver(500, 500, 200)
    server = mock(RETRIED)
    requests.get(server.url + "/go", params={"to": hooks.url + "/h"}, timeout=10)
    attempts = server.wait_for_callbacks(timeout=10)
    assert [(a.status, a.attempts) for a in attempts] == [(500, 1), (500, 2), (200, 3)]
    assert len(hooks.wait(3)) == 3
    server.assert_callback_sent("hook", times=1)


def test_an_unreachable_url_is_recorded_never_raised(mock):
    with socket.socket() as probe:  # a port held, never listened on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        server = mock(RETRIED)
        answer = requests.get(server.url + "/go", params={"to": f"http://127.0.0.1:{port}/"})
        assert answer.status_code == 200
        attempts = server.wait_for_callbacks(timeout=10)
    assert [(a.status, a.attempts) for a in attempts] == [(None, 1), (None, 2), (None, 3)]
    assert attempts[0].error == "connection failed: connection refused"
    server.assert_callback_sent("hook", times=0)
    server.assert_no_violations()


ORDERED = """\
mockserve: 1
routes:
  - path: /order
    response: {json: {}}
    callbacks:
      - {name: first, url: "{{ query.to }}/1", delay: 300}
      - {name: second, url: "{{ query.to }}/2"}
      - {name: third, url: "{{ query.to }}/3", method: PUT, text: "n={{ query.n }}"}
"""


def test_callbacks_go_in_declared_order(mock, receiver):
    hooks = receiver()
    server = mock(ORDERED)
    requests.get(server.url + "/order", params={"to": hooks.url, "n": 3}, timeout=10)
    got = hooks.wait(3)
    assert [g["path"] for g in got] == ["/1", "/2", "/3"]
    assert got[2]["method"] == "PUT"
    assert [a.name for a in server.wait_for_callbacks(timeout=10)] == ["first", "second", "third"]


def test_a_chain_of_callbacks_stops_at_depth_10(mock, receiver):
    hooks = receiver()
    server = mock(ORDERED)
    deep = {"X-Mockserve-Callback-Depth": "9"}
    requests.get(server.url + "/order", params={"to": hooks.url}, headers=deep, timeout=10)
    assert {g["headers"]["X-Mockserve-Callback-Depth"] for g in hooks.wait(3)} == {"10"}
    server.wait_for_callbacks(timeout=10)
    server.reset()
    too_deep = {"X-Mockserve-Callback-Depth": "10"}
    requests.get(server.url + "/order", params={"to": hooks.url}, headers=too_deep, timeout=10)
    attempts = server.wait_for_callbacks(timeout=10)
    assert [a.status for a in attempts] == [None, None, None]
    assert attempts[0].error == "not sent: the chain of callbacks reached depth 10"
    assert len(hooks.got) == 3  # none more


def test_reset_cancels_pending_callbacks(mock, receiver):
    hooks = receiver()
    server = mock(
        ORDERED.replace("delay: 300", "delay: 60000")  # would wait a minute
    )
    requests.get(server.url + "/order", params={"to": hooks.url}, timeout=10)
    assert server.mock.callbacks.pending == 1
    assert requests.post(server.url + "/__mockserve/reset", timeout=10).status_code == 204
    assert server.wait_for_callbacks(timeout=1) == []
    assert hooks.got == []


def test_stopping_waits_for_pending_callbacks(write_spec, receiver):
    hooks = receiver()
    server = MockServer(write_spec(ORDERED)).start()
    requests.get(server.url + "/order", params={"to": hooks.url}, timeout=10)
    server.stop()  # the three callbacks (300 ms in all) are sent before it returns
    assert [g["path"] for g in hooks.got] == ["/1", "/2", "/3"]


def test_an_error_answer_sends_no_callback(mock, receiver):
    hooks = receiver()
    server = mock(
        PAYMENTS.replace("    callbacks:", "    body: {schema: {required: [ref]}}\n    callbacks:")
    )
    answer = requests.post(server.url + "/payments", json={"callback_url": hooks.url}, timeout=10)
    assert answer.status_code == 422
    assert server.wait_for_callbacks(timeout=10) == []


def test_callback_spec_errors_are_located(write_spec):
    from mockserve import load_spec
    from mockserve.errors import SpecError

    path = write_spec(
        """\
        mockserve: 1
        routes:
          - path: /x
            callbacks:
              - {url: "{{ nope(", retry: {attempts: 0}}
              - {name: y}
        """
    )
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    text = str(caught.value)
    assert "routes[0].callbacks[0].retry.attempts: 0 is less than the minimum of 1" in text
    assert "routes[0].callbacks[0].url: template syntax error" in text
    assert "routes[0].callbacks[1]: 'url' is required" in text


OPENAPI_CALLBACK = """\
openapi: 3.0.3
info: {title: Subscriptions, version: "1"}
paths:
  /streams/{team-id}:
    post:
      parameters:
        - {name: team-id, in: path, required: true, schema: {type: string}}
        - {name: callbackUrl, in: query, required: true, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {hook: {type: string}}}
      responses:
        "201":
          description: subscribed
          content:
            application/json:
              example: {subscriptionId: s-42}
      callbacks:
        onData:
          "{$request.query.callbackUrl}/data/{$request.path.team-id}/{$response.body#/subscriptionId}":
            post:
              requestBody:
                content:
                  application/json:
                    example: {userData: hello}
              responses: {"202": {description: ok}}
        onBody:
          "$request.body#/hook":
            put:
              requestBody:
                content:
                  application/json:
                    schema: {required: [n], properties: {n: {type: integer, const: 7}}}
              responses: {"204": {description: ok}}
"""


def test_openapi_callbacks_are_sent_with_runtime_expressions(write_spec, receiver):
    hooks = receiver()
    path = write_spec(OPENAPI_CALLBACK, name="api.yaml")
    with MockServer(path) as server:
        answer = requests.post(
            server.url + "/streams/blue",
            params={"callbackUrl": hooks.url},
            json={"hook": hooks.url + "/by-body"},
            timeout=10,
        )
        assert answer.status_code == 201
        got = hooks.wait(2)
        assert [(g["method"], g["path"], g["json"]) for g in got] == [
            ("POST", "/data/blue/s-42", {"userData": "hello"}),
            ("PUT", "/by-body", {"n": 7}),
        ]
        assert [a.name for a in server.wait_for_callbacks(timeout=10)] == ["onData", "onBody"]


WEBHOOK = """\
openapi: 3.1.0
info: {title: Pets, version: "1"}
webhooks:
  newPet:
    post:
      requestBody:
        content:
          application/json:
            example: {id: 1, name: Rex}
      responses: {"200": {description: ok}}
"""


def test_a_webhook_fires_through_the_admin_api(write_spec, receiver):
    hooks = receiver()
    with MockServer(write_spec(WEBHOOK, name="api.yaml")) as server:
        admin = server.url + "/__mockserve/webhooks/"
        fired = requests.post(admin + "newPet", json={"url": hooks.url + "/pets"}, timeout=10)
        assert fired.status_code == 202
        assert fired.json() == {"webhook": "newPet", "url": hooks.url + "/pets"}
        (got,) = hooks.wait(1)
        assert (got["method"], got["path"], got["json"]) == (
            "POST",
            "/pets",
            {"id": 1, "name": "Rex"},
        )
        server.wait_for_callbacks(timeout=10)
        server.assert_callback_sent("newPet", times=1)
        unknown = requests.post(admin + "oldPet", json={"url": hooks.url}, timeout=10)
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "no webhook 'oldPet'; the spec has: newPet"
        assert requests.post(admin + "newPet", json={}, timeout=10).status_code == 400


def test_the_readme_shows_what_the_callbacks_session_prints(receiver):
    """specs/payments.yaml, driven as the README's session drives it, lists the same."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    session = re.search(r"\$ mockserve run specs/payments.yaml.*?```", readme, re.S).group(0)
    body = json.loads(re.search(r"-d '(.*?)'", session).group(1))
    answer_shown, listing_shown = re.findall(r"\n([\[{].*?[\]}])\n(?=\$|```)", session, re.S)
    hooks = receiver()
    body["callback_url"] = body["callback_url"].replace("http://127.0.0.1:9000", hooks.url)
    with MockServer(ROOT / "specs" / "payments.yaml") as server:
        answer = requests.post(server.url + "/payments", json=body, timeout=10)
        assert answer.text == answer_shown
        server.wait_for_callbacks(timeout=10)
        listing = requests.get(server.url + "/__mockserve/callbacks", timeout=10).text
    printed = json.dumps(json.loads(listing), indent=4).replace(hooks.url, "http://127.0.0.1:9000")

    def masked(text: str) -> str:
        text = re.sub(r'"time": "[^"]*"', '"time": T', text)
        return re.sub(r'"duration_ms": [\d.]+', '"duration_ms": D', text)

    assert masked(printed) == masked(listing_shown)


SLOW_AND_FAST = """\
mockserve: 1
routes:
  - path: /notify
    response: {status: 202}
    callbacks:
      - name: notified
        url: "{{ query.to }}/hook"
        timeout: 8000
"""


def test_a_receiver_that_never_answers_delays_no_other_receiver(mock, receiver):
    hanging = socket.socket()  # accepts connections (in its backlog), never answers
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(64)
    silent = f"http://127.0.0.1:{hanging.getsockname()[1]}"
    hooks = receiver()
    server = mock(SLOW_AND_FAST)
    try:
        for _ in range(12):  # more than any fixed number of senders
            requests.get(server.url + "/notify", params={"to": silent}, timeout=10)
        requests.get(server.url + "/notify", params={"to": hooks.url}, timeout=10)
        hooks.wait(1, timeout=3)  # not after the silent receiver's 8 s timeouts
    finally:
        hanging.close()  # the waiting connections are reset: the mock stops at once
