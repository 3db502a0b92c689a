"""Sockets served by `mockserve run`, as a process (the log lines, `--strict`), and the
README's WebSocket examples, run as written."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
import requests
import yaml
from running import Running
from websockets.sync.client import connect

SECONDS = 10

SPEC = """
mockserve: 1
routes:
  - path: /health
    response: {json: {status: ok}}
websockets:
  - path: /ws/echo
    on_connect: [{send: ready}]
    on_message:
      - when: message.type == 'echo'
        send: "{{ message.text }}"
"""


@pytest.mark.parametrize("answering", ["uvicorn", "uvicorn-threads"])
def test_run_serves_sockets_beside_the_routes_and_strict_counts_unmatched_messages(
    tmp_path, answering
):
    (tmp_path / "echo.yaml").write_text(SPEC)
    options = ("--port", "0", "--strict", "--server", answering)
    with Running("echo.yaml", *options, cwd=tmp_path) as server:
        started = server.serving()
        assert started[-1].startswith("mockserve: serving 'echo.yaml' (1 route, 1 websocket) on ")
        url = "ws" + server.url.removeprefix("http") + "/ws/echo?from=test"
        with connect(url, open_timeout=SECONDS) as socket:
            assert socket.recv(timeout=SECONDS) == "ready"
            socket.send(json.dumps({"type": "echo", "text": "hello"}))
            assert socket.recv(timeout=SECONDS) == "hello"
            answer = requests.get(server.url + "/health", timeout=SECONDS)
            assert answer.json() == {"status": "ok"}
            pushed = requests.post(
                server.url + "/__mockserve/websockets/ws/echo/send",
                json={"message": {"news": 1}},
                timeout=SECONDS,
            )
            assert pushed.json() == {"path": "/ws/echo", "sockets": 1}
            assert json.loads(socket.recv(timeout=SECONDS)) == {"news": 1}
            socket.send("what is this")
            socket.send(json.dumps({"type": "echo", "text": "still here"}))  # answered in order
            assert socket.recv(timeout=SECONDS) == "still here"
        code = server.stop(signal.SIGTERM)
    log = "\n".join(server.lines)
    assert "WEBSOCKET /ws/echo?from=test -> 101 open (socket 1)" in log
    assert (
        "VIOLATION WEBSOCKET /ws/echo: no on_message entry answers the message what is this" in log
    )
    assert "WEBSOCKET /ws/echo?from=test -> closed by the client (1000) (socket 1)" in log
    assert code == 1  # the verdict of --strict (its summary goes to stdout)


ROOT = Path(__file__).resolve().parent.parent


def _websockets_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## WebSockets\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_chat_is_the_example_spec():
    shown = yaml.safe_load(re.search(r"```yaml\n(.*?)```", _websockets_section(), re.S)[1])
    example = yaml.safe_load((ROOT / "specs" / "chat.yaml").read_text())
    assert shown == {key: example[key] for key in ("settings", "websockets")}


def test_the_readme_python_example_runs_as_written(monkeypatch):
    monkeypatch.chdir(ROOT)
    code = re.search(r"```py\n(.*?)```", _websockets_section(), re.S)[1]
    exec(compile("from mockserve import MockServer\n" + code, "README.md", "exec"), {})  # noqa: S102
