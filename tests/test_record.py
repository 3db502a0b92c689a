"""Recording a real API into a spec that answers the same with the API gone."""

from __future__ import annotations

import base64
import difflib
import json
import zlib
from pathlib import Path

import brotli
import pytest
import requests
import yaml
from click.testing import CliRunner
from upstream import Answer, Upstream, gzip_answer, json_answer

from mockserve import MockServer, load_spec
from mockserve.cli import main
from mockserve.proxy import with_upstream
from mockserve.record.recorder import recording_spec, start_recording

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
BIG = {"items": [{"id": i, "name": f"item {i}"} for i in range(4000)]}  # > 64 KB as JSON


@pytest.fixture
def upstream():
    server = Upstream()
    server.answer(
        "GET",
        "/users/1",
        json_answer(
            {"id": 1, "name": "Ada", "note": "{{ not a template }}"},
            headers=[("Set-Cookie", "session=abc"), ("X-Api-Key", "k-123"), ("ETag", '"v1"')],
        ),
    )
    server.answer(
        "GET",
        "/users/2",
        Answer(200, [("Content-Type", "application/json; charset=utf-8")], b'{"id": 2}'),
    )
    server.answer(
        "GET", "/hello", Answer(200, [("Content-Type", "text/html")], b"<h1>Hi</h1>\nthere\n")
    )
    server.answer("GET", "/logo.png", Answer(200, [("Content-Type", "image/png")], PNG))
    server.answer("GET", "/big", json_answer(BIG))
    server.answer("GET", "/gz", gzip_answer({"zipped": "yes"}))
    server.answer(
        "GET",
        "/deflate",
        Answer(
            200,
            [("Content-Type", "text/plain"), ("Content-Encoding", "deflate")],
            zlib.compress(b"deflated text"),
        ),
    )
    server.answer(
        "GET",
        "/br",
        Answer(
            200,
            [("Content-Type", "application/json"), ("Content-Encoding", "br")],
            brotli.compress(b'{"brotli": true}'),
        ),
    )
    server.answer(
        "GET",
        "/jobs/7",
        json_answer({"state": "queued"}),
        json_answer({"state": "running"}),
        json_answer({"state": "done"}),
    )
    server.answer("GET", "/ping", json_answer({"pong": True}))
    server.answer("POST", "/orders", lambda seen: json_answer(json.loads(seen.body), 201))
    server.answer("GET", "/search", lambda seen: json_answer({"hits": [seen.query.get("q")]}))
    server.answer("DELETE", "/orders/9", Answer(204, [], b""))
    yield server
    server.stop()


@pytest.fixture
def recorder(tmp_path):
    """`recorder(url)`: a `mockserve record` server in a thread, and its Recorder."""
    servers = []

    def start(url: str, output: Path | None = None, **options):
        server = MockServer(recording_spec(url))
        recording = start_recording(
            server.app, output or tmp_path / "recorded.yaml", main=True, **options
        )
        servers.append(server.start())
        return server, recording

    yield start
    for server in servers:
        server.stop()


TRAFFIC = [
    ("GET", "/users/1", {}),
    ("GET", "/users/2", {}),
    ("GET", "/hello", {}),
    ("GET", "/logo.png", {}),
    ("GET", "/big", {}),
    ("GET", "/gz", {"headers": {"Accept-Encoding": "gzip"}}),
    ("GET", "/deflate", {}),
    ("GET", "/br", {}),
    ("GET", "/ping", {}),
    ("GET", "/ping", {}),
    ("POST", "/orders", {"json": {"item": "tea", "qty": 2}}),
    ("POST", "/orders", {"json": {"item": "cake", "qty": 1}}),
    ("GET", "/search?q=tea", {}),
    ("GET", "/search?q=cake", {}),
    ("DELETE", "/orders/9", {}),
]


def _send(url: str, traffic) -> list[requests.Response]:
    answers = []
    for method, target, options in traffic:
        answers.append(requests.request(method, url + target, timeout=10, **options))
    return answers


def _same(live: requests.Response, replayed: requests.Response) -> None:
    assert replayed.status_code == live.status_code
    assert replayed.headers.get("Content-Type") == live.headers.get("Content-Type")
    kind = (live.headers.get("Content-Type") or "").split(";")[0]
    if kind.endswith("json"):
        assert replayed.json() == live.json()
    else:
        assert replayed.content == live.content


def test_record_then_replay_with_the_upstream_gone(upstream, recorder, tmp_path):
    server, recording = recorder(upstream.url)
    live = _send(server.url, TRAFFIC)
    assert [a.status_code for a in live][-1] == 204
    saved = recording.save()
    assert saved["routes"] == 12
    upstream.stop()

    output = tmp_path / "recorded.yaml"
    result = CliRunner().invoke(main, ["validate", str(output)])
    assert result.exit_code == 0, result.output
    with MockServer(output) as replay:
        replayed = _send(replay.url, TRAFFIC)
        for before, after in zip(live, replayed, strict=True):
            _same(before, after)
        assert replay.violations == []


def test_json_is_a_yaml_tree_text_is_text_and_binary_or_large_bodies_are_fixtures(
    upstream, recorder, tmp_path
):
    server, recording = recorder(upstream.url)
    _send(server.url, TRAFFIC)
    recording.save()
    spec = yaml.safe_load((tmp_path / "recorded.yaml").read_text())
    routes = {(r.get("method", "GET"), r["path"]): r for r in spec["routes"]}
    user = routes[("GET", "/users/1")]["response"]
    # a recorded `{{` is sent as written, never run as a template
    assert user["json"]["note"] == "{% raw %}{{ not a template }}{% endraw %}"
    assert routes[("GET", "/hello")]["response"] == {
        "text": "<h1>Hi</h1>\nthere\n",
        "headers": {"Content-Type": "text/html"},
    }
    assert routes[("GET", "/gz")]["response"] == {"json": {"zipped": "yes"}}  # decoded
    assert routes[("GET", "/deflate")]["response"]["text"] == "deflated text"
    assert routes[("GET", "/br")]["response"] == {"json": {"brotli": True}}
    logo = routes[("GET", "/logo.png")]["response"]["file"]
    assert logo.startswith("fixtures/") and logo.endswith(".png")
    assert (tmp_path / logo).read_bytes() == PNG  # bytes identical
    big = routes[("GET", "/big")]["response"]["file"]
    assert json.loads((tmp_path / big).read_bytes()) == BIG
    assert routes[("DELETE", "/orders/9")]["response"] == {"status": 204}


def test_variants_are_when_branches_sequences_and_repeats_one_answer(upstream, recorder, tmp_path):
    server, recording = recorder(upstream.url)
    _send(server.url, TRAFFIC)
    for _ in range(4):  # queued, running, done, done
        requests.get(server.url + "/jobs/7", timeout=10)
    recording.save()
    spec = yaml.safe_load((tmp_path / "recorded.yaml").read_text())
    routes = {(r.get("method", "GET"), r["path"]): r for r in spec["routes"]}
    assert routes[("GET", "/ping")]["response"] == {"json": {"pong": True}}
    jobs = routes[("GET", "/jobs/7")]
    assert jobs["order"] == "sequence"
    assert [r["json"]["state"] for r in jobs["responses"]] == ["queued", "running", "done"]
    search = routes[("GET", "/search")]["responses"]
    assert [r["when"] for r in search] == ['query == {"q": "tea"}', 'query == {"q": "cake"}']
    orders = routes[("POST", "/orders")]["responses"]
    assert orders[0]["when"] == 'body == {"item": "tea", "qty": 2}'
    assert orders[1]["status"] == 201

    upstream.stop()
    with MockServer(tmp_path / "recorded.yaml") as replay:
        states = [requests.get(replay.url + "/jobs/7", timeout=10).json() for _ in range(4)]
        assert [s["state"] for s in states] == ["queued", "running", "done", "done"]
        other = requests.get(replay.url + "/search?q=pie", timeout=10)
        assert other.status_code == 404  # a variant never seen is not made up


def test_credentials_and_redacted_headers_are_written_as_redacted(upstream, recorder, tmp_path):
    server, recording = recorder(upstream.url, redact=["X-Api-Key"])
    requests.get(server.url + "/users/1", headers={"Authorization": "Bearer s3cret"}, timeout=10)
    recording.save()
    text = (tmp_path / "recorded.yaml").read_text()
    for secret in ("session=abc", "k-123", "s3cret"):
        assert secret not in text
    headers = yaml.safe_load(text)["routes"][0]["response"]["headers"]
    assert headers["Set-Cookie"] == "<redacted>"
    assert headers["X-Api-Key"] == "<redacted>"
    assert headers["ETag"] == '"v1"'


def test_saving_twice_adds_nothing_twice(upstream, recorder, tmp_path):
    server, recording = recorder(upstream.url)
    requests.get(server.url + "/users/1", timeout=10)
    first = requests.post(server.url + "/__mockserve/record/save", timeout=10)
    assert first.json()["routes"] == 1
    text = (tmp_path / "recorded.yaml").read_text()
    recording.save()
    assert (tmp_path / "recorded.yaml").read_text() == text
    requests.get(server.url + "/ping", timeout=10)
    assert recording.save()["routes"] == 2


HAND_WRITTEN = """\
# Hand-written: these comments, this spacing and order must survive recording.
routes:
  -   path: /legacy          # odd indentation, kept
      response: {json: {legacy: true}}

  # a route with variants, recorded before
  - path: /search
    responses:
      - when: query.q == 'tea'
        json: {hits: [tea]}

schemas:   # after the routes, on purpose
  Thing: {type: object}
"""

MAIN = """\
mockserve: 1
title: Shop
include: [more.yaml]
routes:
  - path: /health
    response: {json: {ok: true}}
"""


def test_run_record_into_adds_to_a_hand_written_file_and_leaves_its_text(upstream, tmp_path, cli):
    (tmp_path / "more.yaml").write_text(HAND_WRITTEN)
    (tmp_path / "spec.yaml").write_text(MAIN)
    run = cli(
        [
            tmp_path / "spec.yaml",
            "--port",
            "0",
            "--proxy-to",
            upstream.url,
            "--record-into",
            tmp_path / "more.yaml",
        ]
    )
    run.serving()
    url = run.url
    assert requests.get(url + "/health", timeout=10).json() == {"ok": True}
    assert requests.get(url + "/legacy", timeout=10).json() == {"legacy": True}
    assert requests.get(url + "/search?q=tea", timeout=10).json() == {"hits": ["tea"]}
    assert requests.get(url + "/search?q=cake", timeout=10).json() == {"hits": ["cake"]}
    assert requests.get(url + "/users/2", timeout=10).json() == {"id": 2}
    assert requests.post(url + "/health", timeout=10).status_code == 200  # another method
    code = run.stop()
    output = "\n".join(run.lines)
    assert code == 0, output
    assert "more.yaml: written (2 new routes)" in output

    after = (tmp_path / "more.yaml").read_text()
    matcher = difflib.SequenceMatcher(None, HAND_WRITTEN, after, autojunk=False)
    assert {op for op, *_ in matcher.get_opcodes()} <= {"equal", "insert"}, after
    assert [r.path for r in upstream.seen] == ["/search", "/users/2", "/health"]

    upstream.stop()
    spec = load_spec(tmp_path / "spec.yaml")
    assert {r.name for r in spec.routes} >= {"GET /users/2", "POST /health", "GET /search"}
    with MockServer(spec) as replay:
        cake = requests.get(replay.url + "/search?q=cake", timeout=10)
        assert cake.json() == {"hits": ["cake"]}
        assert requests.get(replay.url + "/search?q=tea", timeout=10).json() == {"hits": ["tea"]}
        assert requests.get(replay.url + "/users/2", timeout=10).json() == {"id": 2}


@pytest.mark.parametrize("before", [None, "routes: []\n", "routes:\n", "# mine\n"])
def test_record_into_a_new_or_empty_file_writes_an_includable_file(
    upstream, tmp_path, write_spec, before
):
    spec = write_spec("mockserve: 1\n", name="main.yaml")
    if before is not None:
        (tmp_path / "recorded.yaml").write_text(before)
    server = MockServer(with_upstream(load_spec(spec), upstream.url))
    recording = start_recording(server.app, tmp_path / "recorded.yaml", main=False)
    with server:
        requests.get(server.url + "/users/2", timeout=10)
    recording.save()
    text = (tmp_path / "recorded.yaml").read_text()
    kept = "# mine\n" if before == "# mine\n" else "# Recorded from" if before is None else ""
    assert text.startswith(kept)
    assert "routes:\n  - path: /users/2\n" in text
    assert "mockserve:" not in text
    spec.write_text("mockserve: 1\ninclude: [recorded.yaml]\n")
    assert load_spec(spec).routes[0].name == "GET /users/2"


def test_mockserve_record_writes_on_sigterm(upstream, tmp_path, cli):
    output = tmp_path / "api.yaml"
    run = cli(
        [upstream.url, "-o", output, "--port", "0", "--redact", "X-Api-Key"], command="record"
    )
    run.serving()
    url = run.url
    assert requests.get(url + "/users/1", timeout=10).json()["name"] == "Ada"
    code = run.stop()
    stderr = "\n".join(run.lines)
    assert code == 0, stderr
    assert f"{output}: written (1 new route)" in stderr
    spec = yaml.safe_load(output.read_text())
    assert spec["mockserve"] == 1
    assert spec["routes"][0]["response"]["headers"]["X-Api-Key"] == "<redacted>"


def _har(entries: list[dict]) -> dict:
    return {"log": {"version": "1.2", "creator": {"name": "test"}, "entries": entries}}


def _entry(method, url, status, mime, text, *, encoding=None, post=None, headers=()):
    content = {"size": len(text), "mimeType": mime, "text": text}
    if encoding:
        content["encoding"] = encoding
    request = {"method": method, "url": url, "headers": [], "queryString": []}
    if post is not None:
        request["postData"] = {"mimeType": "application/json", "text": post}
    return {
        "request": request,
        "response": {
            "status": status,
            "headers": [{"name": "Content-Type", "value": mime}, *headers],
            "content": content,
        },
    }


def test_import_a_har_file_writes_the_same_spec(tmp_path):
    har = _har(
        [
            _entry(
                "GET",
                "https://api.example.com/users/1?full=1",
                200,
                "application/json",
                '{"id": 1}',
                headers=[
                    {"name": "Set-Cookie", "value": "s=1"},
                    {"name": "Content-Encoding", "value": "gzip"},
                ],
            ),
            _entry(
                "GET",
                "https://api.example.com/logo.png",
                200,
                "image/png",
                base64.b64encode(PNG).decode(),
                encoding="base64",
            ),
            _entry(
                "POST",
                "https://api.example.com/orders",
                201,
                "application/json",
                '{"ok": true}',
                post='{"qty": 1}',
            ),
            _entry("GET", "https://api.example.com/jobs", 200, "text/plain", "one"),
            _entry("GET", "https://api.example.com/jobs", 200, "text/plain", "two"),
        ]
    )
    (tmp_path / "traffic.har").write_text(json.dumps(har))
    output = tmp_path / "spec.yaml"
    result = CliRunner().invoke(main, ["import", str(tmp_path / "traffic.har"), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "4 routes" in result.output
    assert CliRunner().invoke(main, ["validate", str(output)]).exit_code == 0
    spec = yaml.safe_load(output.read_text())
    routes = {r["path"]: r for r in spec["routes"]}
    assert routes["/users/1"]["response"] == {
        "json": {"id": 1},
        "headers": {"Set-Cookie": "<redacted>"},
    }
    assert (tmp_path / routes["/logo.png"]["response"]["file"]).read_bytes() == PNG
    with MockServer(output) as replay:
        assert requests.post(replay.url + "/orders", timeout=10).status_code == 201
        jobs = [requests.get(replay.url + "/jobs", timeout=10).text for _ in range(3)]
        assert jobs == ["one", "two", "two"]
        assert requests.get(replay.url + "/users/1", timeout=10).json() == {"id": 1}


def test_gzip_that_is_not_gzip_is_kept_as_it_came(upstream, recorder, tmp_path):
    upstream.answer(
        "GET",
        "/broken",
        Answer(200, [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], b"plain"),
    )
    server, recording = recorder(upstream.url)
    requests.get(server.url + "/broken", stream=True, timeout=10).close()
    recording.save()
    response = yaml.safe_load((tmp_path / "recorded.yaml").read_text())["routes"][0]["response"]
    assert response["headers"]["Content-Encoding"] == "gzip"
    assert (tmp_path / response["file"]).read_bytes() == b"plain"


def test_a_recording_verifies_against_the_api_it_came_from(upstream, recorder, tmp_path):
    server, recording = recorder(upstream.url)
    _send(
        server.url,
        [
            ("GET", "/users/1", {}),
            ("GET", "/search?q=tea", {}),
            ("GET", "/search?q=cake", {}),
            ("POST", "/orders", {"json": {"item": "tea", "qty": 2}}),
        ],
    )
    recording.save()
    output = str(tmp_path / "recorded.yaml")
    result = CliRunner().invoke(main, ["verify", output, "--against", upstream.url])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "PASS GET /users/1[generated]",
        "PASS GET /search[?q=tea]",
        "PASS GET /search[?q=cake]",
        "PASS POST /orders[request 1]",
        "4 passed, 0 failed",
    ]
