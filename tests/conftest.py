"""Shared fixtures: specs written to a temp folder, served over real HTTP or a test client."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mockserve import MockServer, create_app

SPECS = Path(__file__).resolve().parent.parent / "specs"


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write a spec (YAML text, dedented) and any extra files; return the spec's path."""

    def write(text: str, name: str = "spec.yaml", **files: str) -> Path:
        for file_name, content in files.items():
            target = tmp_path / file_name.replace("__", "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(content))
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


class Live:
    """A spec served by the real server on a free port of 127.0.0.1."""

    def __init__(self, server: MockServer):
        self.server = server
        self.url = server.url
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def serve(write_spec) -> Iterator:
    """Serve a spec (YAML text or a path) over real HTTP: `live = serve(text)`."""
    servers: list[MockServer] = []

    def start(spec: str | Path, *, seed: int | None = None, **files: str) -> Live:
        path = spec if isinstance(spec, Path) else write_spec(spec, **files)
        server = MockServer(path, seed=seed).start()
        servers.append(server)
        return Live(server)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def client(write_spec):
    """Flask's test client for a spec (YAML text or a path), for fine-grained cases."""

    def make(spec: str | Path, *, seed: int | None = None, **files: str):
        path = spec if isinstance(spec, Path) else write_spec(spec, **files)
        return create_app(path, seed=seed).test_client()

    return make


ROOT = Path(__file__).resolve().parent.parent
BANNER = re.compile(r"on (https?://\S+)")


class Cli:
    """`mockserve run ...` as a user starts it: a process, its URL, its stderr lines."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None, command: str = "run"):
        paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
        full_env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserve", command, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
        )
        self.lines: list[str] = []
        self.url = ""
        # stderr is read by a thread of its own, so a test waits on a line with a timeout.
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._queue.put(line)
        self._queue.put("")  # the end

    def read_line(self, timeout: float = 15) -> str:
        """The next line of stderr ("" at its end); AssertionError if none comes in time."""
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s; so far: {self.lines}") from None
        self.lines.append(line)
        return line

    def wait_for_banner(self) -> str:
        """Read until the `serving ... on URL` line; the port is listening from then on."""
        for _ in range(20):
            line = self.read_line()
            found = BANNER.search(line) if "serving" in line else None
            if found:
                self.url = found.group(1)
                return self.url
            if not line:
                break
        raise AssertionError(f"mockserve did not start: {self.lines}")

    def stop(self, timeout: float = 20) -> tuple[int, str]:
        """SIGTERM if still running; the exit code and the rest of stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        while "" not in self.lines:
            self.read_line(timeout=1)
        return self.process.returncode, "".join(self.lines)


@pytest.fixture
def cli() -> Iterator:
    """Start `mockserve run ARGS` (or `command`) in a subprocess: `run = cli([...]);
    run.wait_for_banner()`."""
    started: list[Cli] = []

    def start(args: list[str], env: dict[str, str] | None = None, command: str = "run") -> Cli:
        run = Cli([str(a) for a in args], env, command)
        started.append(run)
        return run

    yield start
    for run in started:
        run.stop()
