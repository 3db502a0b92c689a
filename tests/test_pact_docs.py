"""docs/pact.md as written: the consumer side (pytest writes the pact) and the provider
side (`mockserve verify` in CI), run in a fresh project with the guide's own files, and
each output the guide shows compared with what mockserve prints."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from running import Running

from mockserve import MockServer
from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "pact.md").read_text()


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", GUIDE, re.S)


def _sessions() -> list[tuple[list[str], list[str]]]:
    """Each `$ command` of the guide's console blocks, with the lines shown after it."""
    sessions: list[tuple[list[str], list[str]]] = []
    for block in _blocks("console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                sessions.append((shlex.split(line[2:]), []))
            else:
                sessions[-1][1].append(line)
    return sessions


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The consumer's project as the guide lays it out, after `pytest --pact-dir pacts`."""
    folder = tmp_path_factory.mktemp("consumer")
    (folder / "specs").mkdir()
    (folder / "tests").mkdir()
    (folder / "specs" / "orders.yaml").write_text(_blocks("yaml")[0])
    (folder / "tests" / "test_orders.py").write_text(_blocks("python")[0])
    (folder / "pytest.ini").write_text("[pytest]\n")
    args, shown = _sessions()[0]
    assert args == ["pytest", "--pact-dir", "pacts", "--pact-consumer", "web"] and shown == []
    done = subprocess.run(
        [sys.executable, "-m", *args, "-p", "no:cacheprovider", "-q"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def test_the_consumer_side_writes_the_pact_the_guide_shows(project) -> None:
    args, shown = _sessions()[1]
    assert args == ["ls", "pacts"]
    assert sorted(p.name for p in (project / "pacts").iterdir()) == shown


def _verify(project: Path, args: list[str], provider: MockServer) -> list[str]:
    """The guide's `mockserve verify` line in the project's folder, the provider's URL in."""
    assert args[:2] == ["mockserve", "verify"]
    args = [provider.url if a == "http://localhost:8080" else a for a in args]
    args = [str(project / a) if a.startswith("pacts/") else a for a in args]
    return CliRunner().invoke(main, args[1:]).stdout.splitlines()


def test_the_provider_side_prints_what_the_guide_shows(project) -> None:
    (good_args, good_shown), (bad_args, bad_shown) = _sessions()[2:4]
    spec = project / "specs" / "orders.yaml"
    with MockServer(spec, seed=8) as provider:  # a correct provider, its own values
        assert _verify(project, good_args, provider) == good_shown
    broken = project / "broken.yaml"  # one that answers an order's id as text
    broken.write_text(
        spec.read_text().replace(
            'id: "{{ randint(1, 1000) }}"', 'id: "{{ randint(1, 1000) | string }}"'
        )
    )
    with MockServer(broken, seed=8) as provider:
        assert _verify(project, bad_args, provider) == bad_shown


def test_the_ci_step_runs_the_command_the_guide_shows() -> None:
    step = _blocks("yaml")[1]
    assert "mockserve verify pacts/web-Orders.json --against http://localhost:8080" in step
    assert "--provider-states-setup-url http://localhost:8080/_pact/state --junit" in step


def test_serving_the_pact_prints_and_answers_what_the_guide_shows(project) -> None:
    (run_args, run_shown), (curl_args, _) = _sessions()[4:6]
    assert run_args[:2] == ["mockserve", "run"] and curl_args[:2] == ["curl", "-s"]
    server = Running(*run_args[2:], "--port", "0", cwd=project)
    try:
        printed = [line.replace(server.url or "", "") for line in server.serving()]
        assert printed == [line.replace("http://127.0.0.1:8000", "") for line in run_shown]
        path = curl_args[2].removeprefix("localhost:8000")
        answer = requests.get(server.url + path, timeout=10)
    finally:
        server.stop()
    assert answer.status_code == 404
    assert answer.json() == json.loads(_blocks("json")[0])
