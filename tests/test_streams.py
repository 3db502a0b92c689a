"""`response.stream` (server-sent events) and slow bodies, over real HTTP.

One server for the module, reset between tests. The wire text is what is asserted:
it is the format's contract (`event:`, `id:`, `retry:`, `data:` lines, a blank line
after each event). The journal entry of a stream is written when the stream ends.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mockserve import MockServer

SPEC = """
mockserve: 1
routes:
  - path: /events
    response:
      stream:                           # as the format's own example
        - {event: progress, data: {pct: 10}, delay: 100}
        - {event: progress, data: {pct: "{{ 40 + 10 }}"}, id: "2", delay: {min: 50, max: 150}}
        - {data: done}
      repeat: 2
  - path: /feed
    response:
      status: 203
      headers: {X-Feed: "{{ query.who }}"}
      stream:
        - {comment: "hello {{ query.who }}", retry: 3000}
        - {event: note, id: "{{ query.who }}-1", data: "line one\\nline two"}
        - {data: ["a", 1, true, null]}
        - {data: "{{ query.who }}"}
  - path: /ticker
    response:
      stream: [{data: {tick: "{{ stream.index }}"}, delay: 20}]
      repeat: forever
  - path: /cut
    faults: [{rate: 1, kind: disconnect, after: 2}]
    response:
      stream: [{data: one}, {data: two}, {data: three}]
  - path: /garbled
    faults: [{rate: 1, kind: malformed, after: 1}]
    response:
      stream: [{data: {ok: 1}}, {data: {ok: 2}}]
  - path: /stalled
    faults: [{rate: 1, kind: stall, after: 1, duration: 400}]
    response:
      stream: [{data: first}, {data: never}]
  - path: /bad-template
    response:
      stream: [{data: ok}, {data: "{{ 1 // 0 }}"}, {data: never sent}]
  - path: /slow
    response:
      text: "hello, slowly"
      chunks: {size: 5, delay: 30}
  - path: /trickle
    response:
      json: {word: "{{ query.word }}"}
      bytes_per_second: 200
  - path: /later
    response:
      stream: [{data: late, delay: 2500}]
  - path: /plain
    response: {json: {ok: true}}
  - path: /bad-delay
    response:
      stream: [{data: first}, {data: second, delay: "{{ query.wait }}"}]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MockServer]:
    folder: Path = tmp_path_factory.mktemp("streams")
    spec = folder / "streams.yaml"
    spec.write_text(textwrap.dedent(SPEC))
    with MockServer(spec, seed=7) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server: MockServer) -> None:
    server.reset()


def get(server: MockServer, path: str, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", 10)
    return requests.get(server.url + path, **kwargs)


def stream_of(server: MockServer, path: str) -> dict:
    """The journal's `stream` record of the (one) request to `path`, once it has ended."""
    (entry,) = server.wait_for("GET", path)
    return entry.extra["stream"]


# -- events on the wire ----------------------------------------------------------------


def test_the_formats_example_sends_every_event_three_times(server):
    response = get(server, "/events")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    once = 'event: progress\ndata: {"pct":10}\n\nevent: progress\nid: 2\ndata: {"pct":50}\n\n'
    once += "data: done\n\n"
    assert response.text == once * 3
    assert stream_of(server, "/events") == {"events": 9, "client_left": False}


def test_every_field_is_templated_and_text_data_keeps_its_lines(server):
    response = get(server, "/feed", params={"who": "ada"})
    assert response.status_code == 203  # status and headers apply as to any answer
    assert response.headers["X-Feed"] == "ada"
    assert response.text == (
        ": hello ada\nretry: 3000\n\n"
        "event: note\nid: ada-1\ndata: line one\ndata: line two\n\n"
        'data: ["a",1,true,null]\n\n'
        "data: ada\n\n"
    )


def test_each_event_arrives_before_the_next_delay_starts(server):
    with get(server, "/ticker", stream=True) as response:
        lines = response.iter_lines()
        # A forever stream: reading these means each was flushed on its own.
        received = [next(lines) for _ in range(6)]
    ticks = [b'data: {"tick":0}', b'data: {"tick":1}', b'data: {"tick":2}']
    assert received == [line for tick in ticks for line in (tick, b"")]
    server.wait_for("GET", "/ticker")  # journaled once it ended: not in the next test's journal


def test_the_headers_are_sent_before_the_first_delay(server):
    # EventSource opens (and a client sees the status) at once, not after 2.5 s.
    with get(server, "/later", stream=True, timeout=(5, 1.5)) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/event-stream"
    server.wait_for("GET", "/later")  # journaled once it ended: not in the next test's journal


def test_a_client_that_goes_away_ends_its_stream_and_the_journal_says_so(server):
    with get(server, "/ticker", stream=True) as response:
        next(response.iter_lines())
    record = stream_of(server, "/ticker")
    assert record["client_left"] is True
    assert record["events"] >= 1
    (entry,) = server.calls("GET", "/ticker")
    assert entry.status == 200
    assert entry.response.body.startswith(b'data: {"tick":0}\n\n')


def test_open_streams_do_not_hold_up_other_requests(server):
    with ThreadPoolExecutor(20) as pool:
        opened = list(pool.map(lambda _: get(server, "/ticker", stream=True), range(20)))
        try:
            for response in opened:
                assert next(response.iter_lines()) == b'data: {"tick":0}'
            assert get(server, "/plain").json() == {"ok": True}
        finally:
            for response in opened:
                response.close()
    entries = server.wait_for("GET", "/ticker", times=20)
    assert all(entry.extra["stream"]["client_left"] for entry in entries)


# -- faults inside streams -------------------------------------------------------------


def test_a_disconnect_fault_cuts_the_connection_after_n_events(server):
    received = raw_get(server, "/cut")  # until the server closes the connection
    body = received.split(b"\r\n\r\n", 1)[1]
    assert b"data: one\n\n" in body and b"data: two\n\n" in body
    assert b"three" not in body
    assert not body.endswith(b"0\r\n\r\n")  # no end of the chunked body: cut, not ended
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # as a client sees it
        get(server, "/cut")  # requests reads the body whole: it cannot
    record = server.wait_for("GET", "/cut", times=2)[0].extra["stream"]
    assert record == {"events": 2, "client_left": False, "fault": "disconnect"}


def raw_get(server: MockServer, path: str) -> bytes:
    """Every byte the server sends for GET `path` on a connection, until it closes it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: mock\r\n\r\n".encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_a_malformed_fault_sends_an_event_that_is_not_json(server):
    response = get(server, "/garbled")
    assert response.text == 'data: {"ok":1}\n\ndata: {"id": 1, "name": "trunc\n\n'
    assert stream_of(server, "/garbled")["fault"] == "malformed"


def test_a_stall_sends_nothing_more_but_keeps_the_connection_open(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(b"GET /stalled HTTP/1.1\r\nHost: mock\r\n\r\n")
        received = b""
        while b"data: first\n\n" not in received:
            received += connection.recv(4096)
        connection.settimeout(0.2)
        with pytest.raises(TimeoutError):  # open, and silent
            connection.recv(4096)
        connection.settimeout(5)
        rest = b""
        while not rest.endswith(b"0\r\n\r\n"):  # then the stream ends, cleanly
            rest += connection.recv(4096)
    assert b"never" not in received + rest
    assert stream_of(server, "/stalled") == {"events": 1, "client_left": False, "fault": "stall"}


def test_a_template_that_fails_mid_stream_ends_it_cleanly_and_is_journaled(server, caplog):
    response = get(server, "/bad-template")
    assert response.status_code == 200
    assert response.text == "data: ok\n\n"  # the stream ended cleanly, without a cut
    record = stream_of(server, "/bad-template")
    assert record["events"] == 1
    assert "routes[6].response.stream[1].data" in record["error"]
    assert "ZeroDivisionError" in record["error"]
    assert "the stream ends after 1 event" in caplog.text
    assert any("ZeroDivisionError" in v.why for v in server.violations)
    get(server, "/plain")  # the server goes on serving
    server.wait_for("GET", "/plain")


def test_a_templated_delay_that_is_not_milliseconds_ends_the_stream(server):
    assert get(server, "/bad-delay", params={"wait": "soon"}).text == "data: first\n\n"
    record = stream_of(server, "/bad-delay")
    assert record["events"] == 1
    assert "routes[11].response.stream[1].delay: 'soon' is not milliseconds" in record["error"]


# -- any body, sent slowly -------------------------------------------------------------


def test_chunks_send_a_body_in_parts(server):
    with get(server, "/slow", stream=True) as response:
        parts = list(response.iter_content(chunk_size=None))
    assert parts == [b"hello", b", slo", b"wly"]
    assert stream_of(server, "/slow") == {"events": 3, "client_left": False}


def test_bytes_per_second_sends_a_templated_body_at_that_rate(server):
    with get(server, "/trickle", params={"word": "slowly"}, stream=True) as response:
        parts = list(response.iter_content(chunk_size=None))
    assert b"".join(parts) == b'{"word":"slowly"}'
    assert [len(part) for part in parts] == [10, 7]  # 200 B/s: 10 bytes each 50 ms


# -- mistakes, located by `mockserve validate` -----------------------------------------

BAD = """\
mockserve: 1
routes:
  - path: /a
    response:
      stream:
        - {event: tick, data: "{{ oops( }}", delay: {min: 5, max: 1}}
        - {evnt: typo}
        - {retry: soon}
      repeat: sometimes
  - path: /b
    faults: [{rate: 1, kind: stall, after: 1}]
    response: {json: {a: 1}, repeat: 2, chunks: {size: 0}}
  - path: /c
    faults: [{rate: 1, llm_error: rate_limit}]
    response: {text: plain}
  - method: POST
    path: /d
    faults: [{rate: 1, llm_error: overloaded, status: 500}]
    response:
      llm: {api: openai-chat, text: "{{ body.x ", tool_calls: [{name: f, arguments: "{no"}]}
  - path: /e
    faults: [{rate: 1, kind: empty, after: 2}]
    response: {stream: [{data: x}], bytes_per_second: 10, llm: {api: gemini}}
"""


@pytest.mark.parametrize(
    "line",
    [
        "bad.yaml:6:31: routes[0].response.stream[0].data: template syntax error",
        "bad.yaml:6:53: routes[0].response.stream[0].delay: min (5) is greater than max (1)",
        "bad.yaml:7:12: routes[0].response.stream[1].evnt: unknown key 'evnt'; did you mean",
        "bad.yaml:8:19: routes[0].response.stream[2].retry: 'soon' is not a number of millis",
        "bad.yaml:9:15: routes[0].response.repeat: 'sometimes' is not a count (0 or more) or",
        "bad.yaml:11:30: routes[1].faults[0].kind: a stall needs 'duration' (ms)",
        "bad.yaml:11:37: routes[1].faults[0].after: 'after' counts the events of a stream; no",
        "bad.yaml:12:30: routes[1].response.repeat: 'repeat' goes with 'stream'",
        "bad.yaml:12:56: routes[1].response.chunks.size: 0 is less than the minimum of 1",
        "bad.yaml:14:35: routes[2].faults[0].llm_error: llm_error needs a route that answers",
        "bad.yaml:18:47: routes[3].faults[0].status: an llm_error is the provider's own answer",
        "bad.yaml:20:37: routes[3].response.llm.text: template syntax error",
        "bad.yaml:20:85: routes[3].response.llm.tool_calls[0].arguments: arguments are not JSON",
        "bad.yaml:22:37: routes[4].faults[0].after: 'after' goes with kind: disconnect, malf",
        "bad.yaml:23:37: routes[4].response.bytes_per_second: 'bytes_per_second' paces a plain",
        "bad.yaml:23:59: routes[4].response.llm: a response has one body; found stream, llm",
        "bad.yaml:23:70: routes[4].response.llm.api: 'gemini' is not one of ['openai-chat',",
    ],
)
def test_validate_locates_mistakes_in_streams_and_llm_answers(validated, line):
    assert line in validated


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> str:
    """What `mockserve validate bad.yaml` prints (it exits 2, with no traceback)."""
    folder = tmp_path_factory.mktemp("bad")
    (folder / "bad.yaml").write_text(BAD)
    result = subprocess.run(
        [sys.executable, "-m", "mockserve", "validate", "bad.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bad.yaml: 17 problems" in result.stdout + result.stderr
    return result.stdout + result.stderr
