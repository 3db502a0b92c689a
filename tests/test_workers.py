"""`mockserve run --workers N`: several processes, for specs whose answers need no state."""

from __future__ import annotations

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


def test_two_workers_serve_one_port_and_stop_on_sigterm(cli, write_spec):
    run = cli([write_spec(STATELESS), "--port", "0", "-q", "--workers", "2"])
    run.serving()
    url = run.url  # the port listens from now on; answers wait for a worker
    assert requests.get(url + "/health", timeout=10).json() == {"status": "ok"}
    assert len(_children(run.process.pid)) == 2
    answers = [requests.get(f"{url}/users/{i}", timeout=5).json() for i in range(20)]
    assert answers == [{"id": i} for i in range(20)]
    assert run.stop() == 0
    assert f"on {url} with 2 workers" in run.lines[0]
    assert "mockserve: stopped" in run.lines


# -- the admin API of several workers tells the truth ----------------------------------------


def test_shutdown_through_the_admin_api_stops_every_worker(cli, write_spec):
    run = cli([write_spec(STATELESS), "--port", "0", "-q", "--workers", "2"])
    run.serving()
    url = run.url
    assert requests.get(url + "/health", timeout=10).json() == {"status": "ok"}
    assert requests.post(url + "/__mockserve/shutdown", timeout=10).status_code == 204
    assert run.process.wait(timeout=20) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/health", timeout=5)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/requests"), ("DELETE", "/requests"), ("POST", "/reset"), ("GET", "/state")],
)
def test_what_one_worker_alone_would_see_is_refused_saying_why(cli, write_spec, method, path):
    run = cli([write_spec(STATELESS), "--port", "0", "-q", "--workers", "2"])
    run.serving()
    url = run.url
    answer = requests.request(method, url + "/__mockserve" + path, timeout=10)
    assert answer.status_code == 409
    assert "runs 2 worker processes, each with its own journal" in answer.json()["error"]
    assert requests.get(url + "/__mockserve/health", timeout=10).json() == {"status": "ok"}
