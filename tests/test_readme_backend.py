"""The README's "Record a real API" and "Check a backend" sessions, run as written.

Each `console` block is replayed command by command in a temporary folder against real
upstreams on free ports: the README's ports (9000 and 9001 for the real API, 8000 for
mockserve) are placeholders substituted here. What each command prints must be what the
README shows.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from upstream import Upstream, json_answer

ROOT = Path(__file__).resolve().parent.parent


def _section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(f"## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end > 0 else None]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Background:
    """A `mockserve ... &` job: its stderr read line by line from a thread."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserve", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")

    def read(self, count: int) -> list[str]:
        return [self.lines.get(timeout=20) for _ in range(count)]

    def stop(self) -> list[str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        rest = []
        while (line := self.lines.get(timeout=10)) != "":
            rest.append(line)
        return rest


class Session:
    """Runs a README console session; each command's output is compared as it goes."""

    def __init__(self, cwd: Path, ports: dict[str, int]):
        self.cwd = cwd
        self.ports = ports
        self.jobs: list[Background] = []
        self.status = 0
        paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}

    def local(self, text: str) -> str:
        for shown, real in self.ports.items():
            text = re.sub(rf"(?<=[:/ ]){shown}\b", str(real), text)
        return text

    def run(self, block: str) -> None:
        steps = re.split(r"^\$ ", block, flags=re.M)[1:]
        for step in steps:
            command, _, shown = step.partition("\n")
            expected = [line.rstrip() for line in shown.splitlines()]
            actual = self.execute(self.local(command))
            assert [self.local(line) for line in expected] == [a.rstrip() for a in actual], (
                f"$ {command}"
            )

    def execute(self, command: str) -> list[str]:
        words = shlex.split(command, comments=True)
        if words[-1] == "&":
            job = Background(words[1:-1], self.cwd, self.env)
            self.jobs.append(job)
            return job.read(1)  # the banner: the server answers from then on
        if words == ["kill", "%1"]:
            return self.jobs.pop().stop()
        if words == ["echo", "$?"]:
            return [str(self.status)]
        if words[0] == "cat":
            return (self.cwd / words[1]).read_text().splitlines()
        if words[0] == "curl":
            return [self.curl(words[1:])]
        if words[0] == "mockserve":
            done = subprocess.run(
                [sys.executable, "-m", "mockserve", *words[1:]],
                cwd=self.cwd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=60,
            )
            self.status = done.returncode
            return done.stdout.splitlines()
        raise AssertionError(
            f"the README session uses a command this test does not know: {command}"
        )

    def curl(self, words: list[str]) -> str:
        method, headers, data, url = "GET", {}, None, ""
        words = iter(words)
        for word in words:
            if word == "-s":
                continue
            if word == "-X":
                method = next(words)
            elif word == "-H":
                name, _, value = next(words).partition(":")
                headers[name.strip()] = value.strip()
            elif word == "-d":
                data = next(words)
                method = "POST" if method == "GET" else method
            else:
                url = word if "://" in word else "http://" + word
        session = requests.Session()
        session.trust_env = False
        return session.request(method, url, headers=headers, data=data, timeout=10).text

    def close(self) -> None:
        for job in self.jobs:
            job.stop()


def _consoles(section: str) -> list[str]:
    return re.findall(r"```console\n(.*?)```", section, re.S)


@pytest.fixture
def api():
    """The real API of the README (port 9000) and its next version (9001)."""
    first, second = Upstream(), Upstream()
    for server in (first, second):
        server.answer(
            "GET", "/jobs/7", json_answer({"state": "queued"}), json_answer({"state": "done"})
        )
        server.answer(
            "POST", "/orders", lambda seen: json_answer({"id": "o-1", **json.loads(seen.body)}, 201)
        )
    first.answer(
        "GET", "/users/1", json_answer({"id": 1, "name": "Ada", "email": "ada@example.com"})
    )
    second.answer("GET", "/users/1", json_answer({"id": "1", "name": "Ada"}))
    yield first, second
    first.stop()
    second.stop()


def test_the_record_session_of_the_readme_runs_as_shown(api, tmp_path):
    first, second = api
    session = Session(tmp_path, {"9000": first.port, "9001": second.port, "8000": _free_port()})
    try:
        for block in _consoles(_section("Record a real API")):
            session.run(block)
    finally:
        session.close()
    assert [seen.path for seen in first.seen] == ["/users/1", "/jobs/7", "/jobs/7", "/orders"]


def test_the_verify_session_of_the_readme_runs_as_shown(api, tmp_path):
    first, second = api
    section = _section("Check a backend against your spec")
    for spec in re.findall(r"```yaml\n# (\S+)\n(.*?)```", section, re.S):
        (tmp_path / spec[0]).write_text(spec[1])
    session = Session(tmp_path, {"9000": first.port, "9001": second.port, "8000": _free_port()})
    for block in _consoles(section):
        session.run(block)
    assert (tmp_path / "verify.xml").read_text().startswith("<?xml")
