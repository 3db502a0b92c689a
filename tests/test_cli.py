"""The command line: `mockserve run`, `validate` and `routes`, each with `--help`.

`run` binds 127.0.0.1 by default, prints the URL it serves on, logs one line per
request naming the route, and stops cleanly (exit 0) on SIGINT or SIGTERM.
`python -m mockserve` is the same command.
"""

from __future__ import annotations

import json
import re
import signal
import textwrap
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent

SPEC = """
    mockserve: 1
    title: Tiny shop
    routes:
      - path: /health
        response: {json: {status: ok}}
      - name: get-user
        path: /users/{id:int}
        response: {json: {id: "{{ path.id }}"}}
      - method: [PUT, PATCH]
        path: /things/{name}
        response: {status: 204}
      - path: /token
        response: {json: {token: "{{ uuid() }}", name: "{{ fake.name() }}"}}
"""


@pytest.fixture
def spec_file(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(SPEC))
    return path


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], ["run", "validate", "routes"]),
        (["run"], ["Serve SPEC", "--host", "127.0.0.1", "--port", "8000", "--seed"]),
        (["validate"], ["Check each SPEC", "exit 0", "2"]),
        (["routes"], ["List the routes SPEC serves"]),
    ],
)
def test_each_command_explains_itself(args, says):
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    for text in says:
        assert text in result.output


def test_routes_prints_a_table_of_method_path_and_name(spec_file):
    result = CliRunner().invoke(main, ["routes", str(spec_file)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "METHOD     PATH             NAME",
        "GET        /health          GET /health",
        "GET        /users/{id:int}  get-user",
        "PUT,PATCH  /things/{name}   PUT,PATCH /things/{name}",
        "GET        /token           GET /token",
    ]


def test_routes_on_a_broken_spec_exits_2(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("mockserve: 1\nroutes: 5\n")
    result = CliRunner().invoke(main, ["routes", str(broken)])
    assert result.exit_code == 2
    assert "routes: 5 is not an array" in result.stderr


# -- run, as a real process ----------------------------------------------------------------


@pytest.fixture
def running(spec_file, cli):
    """`mockserve run SPEC --port 0 ARGS` as a process, once it printed where it serves."""

    def start(*args: str):
        run = cli([spec_file, "--port", "0", *args])
        run.serving()
        return run

    return start


def test_run_binds_127_0_0_1_by_default_and_prints_its_url(running):
    server = running()
    assert server.url is not None, server.lines
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    assert "Tiny shop" in server.lines[-1] and "4 routes" in server.lines[-1]
    assert requests.get(server.url + "/health", timeout=5).json() == {"status": "ok"}
    server.stop(signal.SIGTERM)


def test_run_logs_one_line_per_request_with_the_route_name(running):
    server = running()
    requests.get(server.url + "/users/7?x=1", timeout=5)
    first = server.read_line()
    requests.get(server.url + "/nowhere", timeout=5)
    second = server.read_line()
    assert "GET /users/7?x=1 -> 200" in first and "get-user" in first
    assert "GET /nowhere -> 404" in second


def test_run_quiet_logs_no_requests(running):
    server = running("--quiet")
    requests.get(server.url + "/health", timeout=5)
    assert server.stop(signal.SIGTERM) == 0
    assert not any("/health" in line for line in server.lines)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_cleanly_on_sigterm_and_sigint(running, signum):
    server = running()
    requests.get(server.url + "/health", timeout=5)
    assert server.stop(signum) == 0
    assert "mockserve: stopped" in server.lines
    assert not any("Traceback" in line for line in server.lines)
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/health", timeout=2)


def test_run_says_when_the_port_is_taken(running, spec_file):
    server = running()
    port = server.url.rsplit(":", 1)[1]
    result = CliRunner().invoke(main, ["run", str(spec_file), "--port", port])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_run_says_when_the_host_is_not_an_address(spec_file):
    result = CliRunner().invoke(main, ["run", str(spec_file), "--host", "999.1.1.1", "--port", "0"])
    assert result.exit_code == 1
    assert "cannot listen on 999.1.1.1:0" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_run_seed_makes_answers_repeatable_across_runs(running):
    answers = []
    for _ in range(2):
        server = running("--seed", "7")
        answers.append([requests.get(server.url + "/token", timeout=5).json() for _ in range(2)])
        assert server.stop(signal.SIGTERM) == 0
    assert answers[0] == answers[1]
    assert answers[0][0] != answers[0][1]


def test_schema_prints_the_format_schema_editors_can_use():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["mockserve"]
    assert "routes" in schema["properties"]


def test_run_watch_reloads_an_edited_spec_and_says_so(running, spec_file):
    server = running("--watch")
    assert "watching for changes" in server.lines[-1]
    assert requests.get(server.url + "/health", timeout=5).json() == {"status": "ok"}
    spec_file.write_text(spec_file.read_text().replace("{status: ok}", "{status: edited}"))
    assert "mockserve: reloaded" in server.read_until("mockserve: reloaded")[-1]
    assert requests.get(server.url + "/health", timeout=5).json() == {"status": "edited"}
    # The reloaded app still stops over the admin API.
    assert requests.post(server.url + "/__mockserve/shutdown", timeout=5).status_code == 204
    assert server.process.wait(timeout=15) == 0
