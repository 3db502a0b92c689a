"""The tools whose files mockserve imports, run for real to compare their answers.

WireMock's standalone jar comes in npm's `wiremock` package (run with `java`), the
Mockoon CLI is npm's `@mockoon/cli`. They install once into a cache folder
(`MOCKSERVE_TOOLS`, default `~/.cache/mockserve-tools`); a missing `npm`, `node` or
`java` fails the test saying so, never skips it.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PACKAGES = ("wiremock@3.13.2", "@mockoon/cli@9.9.0")
TOOLS = Path(os.environ.get("MOCKSERVE_TOOLS", Path.home() / ".cache" / "mockserve-tools"))


def _need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.fail(f"`{program}` is not installed: it is needed to run the source tool")
    return found


def _installed() -> Path:
    """The cached node_modules, installed with npm on first use."""
    modules = TOOLS / "node_modules"
    if (
        not (modules / "wiremock" / "package.json").exists()
        or not (modules / "@mockoon" / "cli" / "package.json").exists()
    ):
        npm = _need("npm")
        TOOLS.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(TOOLS), *PACKAGES],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(f"npm install {' '.join(PACKAGES)} failed:\n{done.stderr[-2000:]}")
    return modules


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_line(process: subprocess.Popen[str], marker: str, timeout: float) -> None:
    """Read the tool's output until `marker` (it is listening), or fail with what it said."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if marker in line:
            return
    process.kill()
    pytest.fail(f"the tool did not start (no {marker!r} within {timeout}s):\n{''.join(seen)}")


@contextmanager
def wiremock(root: Path) -> Iterator[str]:
    """WireMock serving the `mappings/` and `__files/` of `root`; yields its base URL."""
    java = _need("java")
    jars = sorted((_installed() / "wiremock").rglob("wiremock-standalone-*.jar"))
    if not jars:
        pytest.fail("npm's wiremock package holds no wiremock-standalone jar")
    port = free_port()
    command = [java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-jar", str(jars[0])]
    command += ["--port", str(port), "--bind-address", "127.0.0.1", "--root-dir", str(root)]
    command += ["--disable-banner", "--no-request-journal", "--local-response-templating"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_line(process, "port:", 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(10)


@contextmanager
def mockoon(environment: Path) -> Iterator[str]:
    """The Mockoon CLI serving `environment` on a free port; yields its base URL."""
    _need("node")
    cli = _installed() / ".bin" / "mockoon-cli"
    port = free_port()
    process = subprocess.Popen(
        [str(cli), "start", "--data", str(environment), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_line(process, "Server started", 60)
        yield f"127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(10)


def shared_corpus(name: str) -> Path:
    """shared/corpus/NAME beside the clone (CI) or above the worktree; fails when missing."""
    here = Path(__file__).resolve().parent
    for folder in (here, *here.parents):
        candidate = folder / "shared" / "corpus" / name
        if candidate.is_dir():
            return candidate
    pytest.fail(f"shared/corpus/{name} is missing: these tests need the project's shared/ folder")


if __name__ == "__main__":  # `.ci/run` installs the tools once, before the tests run
    print(f"source tools ready in {_installed()}")
