"""Meeting the real backend: forwarding to the one upstream, over real HTTP both ways."""

from __future__ import annotations

import gzip
import json
import socket
import threading

import pytest
import requests
from upstream import Answer, Upstream, gzip_answer, json_answer

from mockserve import MockServer


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.stop()


@pytest.fixture
def mock(write_spec):
    """`mock(text, **format)`: a MockServer for the spec, its `{up}` the upstream's URL."""
    servers: list[MockServer] = []

    def start(text: str, **values: str) -> MockServer:
        server = MockServer(write_spec(text.format(**values))).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


SPEC = """
    mockserve: 1
    settings:
      proxy:
        to: {up}/v2
        strip_prefix: /api
        headers: {{X-Env: staging}}
        remove_headers: [Cookie]
    routes:
      - path: /api/health
        response: {{json: {{status: local}}}}
      - path: /api/users/{{id:int}}
        responses:
          - when: path.id == 0
            status: 404
            json: {{error: none}}
      - method: POST
        path: /api/orders
        body: {{schema: {{required: [qty]}}}}
        response: {{status: 201, json: {{ok: true}}}}
      - path: /api/beta/{{rest:path}}
        query: {{properties: {{n: {{type: integer}}}}}}
        response: {{proxy: true}}
"""


def test_spec_routes_answer_locally_and_the_rest_is_forwarded(upstream, mock):
    server = mock(SPEC, up=upstream.url)
    local = requests.get(server.url + "/api/health", timeout=10)
    assert local.json() == {"status": "local"}
    assert upstream.seen == []

    forwarded = requests.get(server.url + "/api/things/7?x=1&x=2", timeout=10)
    assert forwarded.status_code == 200
    seen = forwarded.json()
    assert seen["path"] == "/v2/things/7"  # the prefix stripped, the base path added
    assert upstream.seen[0].target == "/v2/things/7?x=1&x=2"
    entry = server.journal[-1]
    assert entry.route is None
    assert entry.extra["proxied"] is True
    assert entry.extra["upstream"]["status"] == 200
    assert entry.extra["upstream"]["duration_ms"] >= 0


def test_the_upstream_sees_the_header_rules_and_its_own_host(upstream, mock):
    server = mock(SPEC, up=upstream.url)
    requests.get(
        server.url + "/api/things",
        headers={"Cookie": "session=secret", "X-Client": "yes", "Authorization": "Bearer t"},
        timeout=10,
    )
    headers = upstream.seen[0].headers
    assert headers["x-env"] == "staging"  # added
    assert "cookie" not in headers  # removed
    assert headers["x-client"] == "yes"
    assert headers["authorization"] == "Bearer t"
    assert headers["host"] == f"127.0.0.1:{upstream.port}"  # the upstream's, not the mock's


def test_a_when_that_holds_answers_locally_and_none_holding_is_forwarded(upstream, mock):
    server = mock(SPEC, up=upstream.url)
    assert requests.get(server.url + "/api/users/0", timeout=10).status_code == 404
    assert upstream.seen == []
    answer = requests.get(server.url + "/api/users/5", timeout=10)
    assert answer.status_code == 200 and answer.json()["path"] == "/v2/users/5"
    assert server.journal[-1].extra["proxied"] is True


def test_contract_checks_run_first_and_a_422_is_never_forwarded(upstream, mock):
    server = mock(SPEC, up=upstream.url)
    refused = requests.get(server.url + "/api/beta/x?n=lots", timeout=10)
    assert refused.status_code == 422
    assert requests.post(server.url + "/api/orders", json={}, timeout=10).status_code == 422
    assert upstream.seen == []
    passed = requests.get(server.url + "/api/beta/x/y?n=3", timeout=10)
    assert passed.json()["path"] == "/v2/beta/x/y"
    assert server.journal[-1].route == "GET /api/beta/{rest:path}"


def test_when_always_forwards_matched_routes_after_their_contract(upstream, mock):
    server = mock(
        """
        mockserve: 1
        settings: {{proxy: {{to: "{up}", when: always}}}}
        routes:
          - method: POST
            path: /orders
            body: {{schema: {{required: [qty]}}}}
            response: {{status: 201, json: {{local: true}}}}
        """,
        up=upstream.url,
    )
    assert requests.post(server.url + "/orders", json={}, timeout=10).status_code == 422
    assert upstream.seen == []
    answer = requests.post(server.url + "/orders", json={"qty": 2}, timeout=10)
    assert answer.status_code == 200
    assert json.loads(answer.json()["body"]) == {"qty": 2}
    assert requests.get(server.url + "/__mockserve/health", timeout=10).json() == {"status": "ok"}
    assert len(upstream.seen) == 1  # the admin API is never forwarded


def test_a_method_the_spec_lacks_is_forwarded_not_a_405(upstream, mock):
    server = mock(SPEC, up=upstream.url)
    answer = requests.delete(server.url + "/api/health", timeout=10)
    assert answer.status_code == 200 and answer.json()["method"] == "DELETE"


def test_status_headers_and_body_come_back_unchanged_less_hop_by_hop(upstream, mock):
    upstream.answer(
        "GET",
        "/v2/teapot",
        Answer(
            418,
            [
                ("Content-Type", "application/vnd.tea+json"),
                ("Connection", "X-Hop"),
                ("X-Hop", "per-connection"),
                ("Keep-Alive", "timeout=5"),
                ("Proxy-Authenticate", "Basic"),
                ("X-Kept", "1"),
                ("Set-Cookie", "a=1"),
            ],
            b'{"short": "and stout"}',
        ),
    )
    server = mock(SPEC, up=upstream.url)
    answer = requests.get(server.url + "/api/teapot", timeout=10)
    assert answer.status_code == 418
    assert answer.headers["Content-Type"] == "application/vnd.tea+json"
    assert answer.content == b'{"short": "and stout"}'
    assert answer.headers["X-Kept"] == "1"
    assert answer.headers["Set-Cookie"] == "a=1"
    for hop in ("X-Hop", "Keep-Alive", "Proxy-Authenticate"):
        assert hop not in answer.headers


def test_hop_by_hop_request_headers_are_not_forwarded(upstream, mock):
    server = mock(SPEC, up=upstream.url)
    requests.get(
        server.url + "/api/x",
        headers={"Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1", "TE": "trailers"},
        timeout=10,
    )
    headers = upstream.seen[0].headers
    assert "x-secret-hop" not in headers and "te" not in headers


def test_a_large_body_is_streamed_through_byte_for_byte(upstream, mock):
    big = bytes(range(256)) * 4096  # 1 MB
    upstream.answer(
        "GET", "/v2/big", Answer(200, [("Content-Type", "application/octet-stream")], big)
    )
    upstream.answer(
        "GET",
        "/v2/chunked",
        Answer(200, [("Content-Type", "application/octet-stream")], big, chunked=True),
    )
    server = mock(SPEC, up=upstream.url)
    for path in ("/api/big", "/api/chunked"):
        with requests.get(server.url + path, stream=True, timeout=10) as answer:
            received = b"".join(answer.iter_content(65536))
        assert received == big


def test_compressed_bodies_pass_through_compressed(upstream, mock):
    upstream.answer("GET", "/v2/zipped", gzip_answer({"zipped": True}))
    server = mock(SPEC, up=upstream.url)
    answer = requests.get(server.url + "/api/zipped", stream=True, timeout=10)
    assert answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(answer.raw.read()) == b'{"zipped": true}'


def test_an_unreachable_upstream_is_a_502_in_the_usual_shape(mock):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = mock(SPEC, up=f"http://127.0.0.1:{port}")
    answer = requests.get(server.url + "/api/anything", timeout=10)
    assert answer.status_code == 502
    body = answer.json()
    assert set(body) == {"error", "route", "errors"}
    assert "unreachable" in body["error"] and "refused" in body["error"]
    assert server.journal[-1].extra["upstream"]["status"] is None


def test_a_slow_upstream_is_a_504(upstream, mock):
    slow = threading.Event()
    upstream.answer("GET", "/slow", Answer(200, [], b"late", wait=slow))
    server = mock(
        """
        mockserve: 1
        settings: {{proxy: {{to: "{up}", timeout: 200}}}}
        """,
        up=upstream.url,
    )
    answer = requests.get(server.url + "/slow", timeout=10)
    slow.set()
    assert answer.status_code == 504
    assert "did not answer within 200 ms" in answer.json()["error"]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/steal",
        "//127.0.0.1:{evil}/steal",
        "http://127.0.0.1:{evil}/steal",
        "/..//127.0.0.1:{evil}/steal",
        "/@127.0.0.1:{evil}/steal",
    ],
)
def test_a_request_path_never_changes_the_host(upstream, mock, target):
    evil = Upstream()
    try:
        server = mock(SPEC, up=upstream.url)
        request_line = f"GET {target.format(evil=evil.port)} HTTP/1.1\r\n"
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall((request_line + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n").encode())
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 ")
        assert evil.seen == []
        for seen in upstream.seen:  # whatever reached a host reached the configured one
            assert seen.path.startswith("/v2/")
    finally:
        evil.stop()


def test_the_target_url_keeps_the_configured_host():
    from mockserve.proxy import Upstream as Proxied
    from mockserve.spec.model import Proxy

    proxied = Proxied(Proxy(to="https://api.example.com/v2/", strip_prefix="/api"))
    table = {
        "/api/users/1": "https://api.example.com/v2/users/1",
        "/api": "https://api.example.com/v2/",
        "/apiary": "https://api.example.com/v2/apiary",
        "//evil.com/x": "https://api.example.com/v2//evil.com/x",
        "/http://evil.com/x": "https://api.example.com/v2/http://evil.com/x",
        "/a b/ü": "https://api.example.com/v2/a%20b/%C3%BC",
        "/%2e%2e/x?": "https://api.example.com/v2/%252e%252e/x%3F",
        "/a/../../../b": "https://api.example.com/v2/b",
        "/a/./b/..": "https://api.example.com/v2/a/",
    }
    for path, url in table.items():
        assert proxied.target(path) == url
        assert (
            requests.Request("GET", proxied.target(path))
            .prepare()
            .url.startswith("https://api.example.com/")
        )


def test_a_proxy_route_without_an_upstream_is_a_502(client):
    app = client(
        """
        mockserve: 1
        routes:
          - path: /beta
            response: {proxy: true}
        """
    )
    answer = app.get("/beta")
    assert answer.status_code == 502
    assert "--proxy-to" in answer.get_json()["error"]


def test_run_proxy_to_forwards_from_the_command_line(upstream, write_spec, cli):
    upstream.answer("GET", "/users/1", json_answer({"id": 1, "name": "Ada"}))
    spec = write_spec(
        """
        mockserve: 1
        routes:
          - path: /health
            response: {json: {ok: true}}
        """
    )
    run = cli([spec, "--port", "0", "--proxy-to", upstream.url])
    run.serving()
    url = run.url
    assert requests.get(url + "/health", timeout=10).json() == {"ok": True}
    assert requests.get(url + "/users/1", timeout=10).json() == {"id": 1, "name": "Ada"}
    assert f"proxying the rest to {upstream.url}" in "".join(run.lines)


@pytest.mark.parametrize(
    "settings, message",
    [
        ("{to: ftp://x}", "does not match"),
        ("{to: 'http://x', when: sometimes}", "is not one of"),
        ("{to: 'http://x', timeout: 0}", "less than or equal to the minimum"),
    ],
)
def test_bad_proxy_settings_are_spec_errors(write_spec, settings, message):
    from mockserve import SpecError, load_spec

    path = write_spec(f"mockserve: 1\nsettings:\n  proxy: {settings}\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert message in str(caught.value)


def test_a_proxied_response_has_no_body_of_its_own(write_spec):
    from mockserve import SpecError, load_spec

    path = write_spec(
        """
        mockserve: 1
        routes:
          - path: /beta
            response: {proxy: true, json: {x: 1}}
        """
    )
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "routes[0].response.json: a proxied response takes its status" in str(caught.value)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--proxy-to", "ftp://x"], "'ftp://x' is not an http(s) URL"),
        (["--proxy-to", "http://x", "--watch"], "--proxy-to does not combine with --watch"),
        (["--record-into", "more.yaml"], "--record-into records what is forwarded"),
    ],
)
def test_run_refuses_proxy_options_that_cannot_work(write_spec, options, message):
    from click.testing import CliRunner

    from mockserve.cli import main

    spec = write_spec("mockserve: 1\n")
    result = CliRunner().invoke(main, ["run", str(spec), "--port", "0", *options])
    assert result.exit_code == 2
    assert message in result.stderr
