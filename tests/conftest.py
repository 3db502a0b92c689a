"""Shared fixtures: specs written to a temp folder, served over real HTTP or a test client."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from running import Running
from upstream import Upstream

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


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A real backend on a free port of 127.0.0.1: `upstream.answer(METHOD, PATH, ...)`."""
    server = Upstream()
    yield server
    server.stop()


@pytest.fixture
def cli(tmp_path: Path) -> Iterator:
    """Start `mockserve run ARGS` as a process: `run = cli([...]); run.serving(); run.url`."""
    started: list[Running] = []

    def start(args: list, env: dict[str, str] | None = None, command: str = "run") -> Running:
        run = Running(*(str(a) for a in args), cwd=tmp_path, env=env, subcommand=command)
        started.append(run)
        return run

    yield start
    for run in started:
        run.stop()


# -- a real Redis for the shared store ----------------------------------------------------

REDIS_MISSING = (
    "redis-server is not installed, and the shared-store tests need a real one: "
    "apt-get install -y redis-server (Debian/Ubuntu), brew install redis (macOS), "
    "or put valkey-server on PATH"
)


class RedisServer:
    """A redis-server of this test's own, on a unix socket in a temp folder (no TCP port)."""

    def __init__(self, folder: Path):
        self.binary = shutil.which("redis-server") or shutil.which("valkey-server")
        if self.binary is None:
            pytest.fail(REDIS_MISSING)
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> RedisServer:
        """Start it and return once it says it accepts connections."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.folder),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        ready = threading.Event()
        lines: list[str] = []

        def read(stream) -> None:
            for line in stream:
                lines.append(line)
                if "ready to accept connections" in line.lower():
                    ready.set()
            ready.set()  # it ended

        self._reader = threading.Thread(target=read, args=(self.process.stdout,), daemon=True)
        self._reader.start()
        if not ready.wait(15) or self.process.poll() is not None:
            raise AssertionError("redis-server did not start:\n" + "".join(lines))
        return self

    def kill(self) -> None:
        """Stop it at once, as a crash would (its data is gone)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self._reader.join(timeout=10)  # it has read to the end of the output
            self.process.stdout.close()

    def client(self):
        import redis

        return redis.Redis(unix_socket_path=str(self.socket))


@pytest.fixture(scope="module")
def _module_redis(tmp_path_factory) -> Iterator[RedisServer]:
    """One redis-server per test module (starting one costs more than most tests)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.kill()


@pytest.fixture
def redis_server(_module_redis: RedisServer) -> RedisServer:
    """The module's redis-server, running and empty for this test (restarted if a test
    before this one stopped it)."""
    if _module_redis.process is None or _module_redis.process.poll() is not None:
        _module_redis.kill()
        _module_redis.start()
    client = _module_redis.client()
    client.flushall()
    client.close()
    return _module_redis
