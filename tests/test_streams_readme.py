"""The README's "Streams and LLM APIs" section shows what the product really does."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
from pathlib import Path

import requests
from running import Running

ROOT = Path(__file__).resolve().parent.parent


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Streams and LLM APIs\n", 1)[1].split("\n## ", 1)[0]


def test_the_streaming_session_prints_what_the_mock_sends(tmp_path):
    session = re.search(r"```console\n(.*?)```", _section(), re.S).group(1)
    commands = re.findall(r"^\$ (.*)$", session, re.M)
    assert commands[0] == "mockserve run specs/events.yaml"
    serving_line = session.split("\n")[1]
    shown = session.split("$ " + commands[1] + "\n", 1)[1]  # every byte curl prints
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    with Running(*shlex.split(commands[0])[2:], "--port", "0", cwd=tmp_path) as server:
        printed = [line.replace(server.url, "http://127.0.0.1:8000") for line in server.serving()]
        assert printed == [serving_line]
        path = shlex.split(commands[1])[-1].removeprefix("localhost:8000")
        assert requests.get(server.url + path, timeout=10).text == shown


def test_the_python_example_runs_as_written(monkeypatch):
    monkeypatch.chdir(ROOT)
    code = re.search(r"```python\n(.*?)```", _section(), re.S).group(1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102
    assert printed.getvalue() == "You said: hi\n"
