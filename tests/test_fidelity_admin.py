"""The admin API and the commands that ask it (`health`, `wait`) under plain misuse:
the machine's own name, a URL that is not one, a wrong token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner

from mockserve import MockServer
from mockserve.cli import main

SPEC = "mockserve: 1\nroutes:\n  - path: /ok\n    response: {json: {ok: true}}\n"


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("admin") / "spec.yaml"
    path.write_text(SPEC)
    return path


def test_the_admin_api_answers_the_machines_own_host_name(spec):
    with MockServer(spec) as server:
        host = f"{socket.gethostname()}:{server.port}"
        health = server.url + "/__mockserve/health"
        answer = requests.get(health, headers={"Host": host}, timeout=10)
        assert answer.status_code == 200, answer.text
        # a name that is not this machine's is still refused (DNS rebinding)
        rebound = {"Host": f"rebound.example:{server.port}"}
        refused = requests.get(health, headers=rebound, timeout=10)
        assert refused.status_code == 403


@pytest.mark.parametrize("command", ["health", "wait"])
@pytest.mark.parametrize("url", ["notaurl", "http://[::1", "http://localhost:99999", "ftp://x"])
def test_a_url_that_is_not_one_is_a_usage_error_without_a_traceback(command, url):
    result = CliRunner().invoke(main, [command, url])
    assert result.exit_code == 2, result.output
    assert f"{url!r} is not an http(s) URL" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_wait_with_a_wrong_token_says_so_at_once(spec):
    with MockServer(spec, admin_token="right") as server:
        done = subprocess.run(
            [sys.executable, "-m", "mockserve", "wait", server.url, "--timeout", "60"],
            env={**os.environ, "MOCKSERVE_ADMIN_TOKEN": "wrong"},
            capture_output=True,
            text=True,
            timeout=20,  # far less than --timeout: it did not poll on
        )
    assert done.returncode == 1
    assert "answered 401: the admin token is wrong" in done.stderr
    assert "gave up after" not in done.stderr


def test_health_without_the_token_says_the_token_is_needed(spec):
    with MockServer(spec, admin_token="right") as server:
        result = CliRunner().invoke(main, ["health", server.url], env={"MOCKSERVE_ADMIN_TOKEN": ""})
    assert result.exit_code == 1
    assert "answered 401: the admin API needs a token (--admin-token or " in result.stderr


def test_a_busy_https_port_is_named_in_the_error(spec):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        result = CliRunner().invoke(
            main, ["run", str(spec), "--port", "0", "--https-port", str(taken)]
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{taken}: " in result.stderr
    assert "127.0.0.1:0" not in result.stderr


def test_https_with_https_port_is_a_usage_error_not_ignored(spec):
    result = CliRunner().invoke(
        main, ["run", str(spec), "--port", "0", "--https", "--https-port", "0"]
    )
    assert result.exit_code == 2
    assert "--https serves HTTPS on --port; --https-port N serves it on N beside" in result.stderr
