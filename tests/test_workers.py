"""`mockserve run --workers N`: several processes, for specs whose answers need no state."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent

STATELESS = """
    mockserve: 1
    routes:
      - path: /health
        response:
          json: {status: ok}
      - path: /users/{id:int}
        response:
          json: {id: "{{ path.id }}"}
"""


@pytest.mark.parametrize(
    ("route", "named"),
    [
        (
            """
      - method: POST
        path: /orders
        response:
          json: {ok: true}
          state: {last: "{{ body }}"}
    """,
            "state",
        ),
        (
            """
      - path: /jobs
        order: sequence
        responses:
          - json: {state: queued}
          - json: {state: done}
    """,
            "sequence/cycle order",
        ),
        (
            """
      - path: /ping
        order: cycle
        responses:
          - json: {n: 1}
          - json: {n: 2}
    """,
            "sequence/cycle order",
        ),
    ],
)
def test_a_spec_with_state_is_refused_with_workers(write_spec, route, named):
    path = write_spec("mockserve: 1\nroutes:" + route)
    result = CliRunner().invoke(main, ["run", str(path), "--workers", "2"])
    assert result.exit_code == 2
    assert f"--workers needs a spec without state, and this one uses {named}" in result.output
    assert "Serve it with one process" in result.output


def test_a_spec_with_resources_is_refused_with_workers(write_spec):
    path = write_spec("""
        mockserve: 1
        resources:
          pets:
            path: /pets
            data: [{id: 1, name: Rex}]
    """)
    result = CliRunner().invoke(main, ["run", str(path), "--workers", "3"])
    assert result.exit_code == 2
    assert "uses resources" in result.output


def test_workers_must_be_at_least_one(write_spec):
    result = CliRunner().invoke(main, ["run", str(write_spec(STATELESS)), "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(
    not hasattr(os, "fork") or not Path("/proc").is_dir(),
    reason="--workers forks; counting workers reads /proc",
)
def test_two_workers_serve_one_port_and_stop_on_sigterm(write_spec):
    path = write_spec(STATELESS)
    port = _free_port()
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockserve",
            "run",
            str(path),
            "--port",
            str(port),
            "-q",
            "--workers",
            "2",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):  # up to 10 s for the workers to start
            try:
                answer = requests.get(url + "/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert answer.json() == {"status": "ok"}
        assert len(_children(process.pid)) == 2
        answers = [requests.get(f"{url}/users/{i}", timeout=5).json() for i in range(20)]
        assert answers == [{"id": i} for i in range(20)]
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=15)
    assert process.returncode == 0
    assert f"on http://127.0.0.1:{port} with 2 workers" in errors
    assert "mockserve: stopped" in errors
