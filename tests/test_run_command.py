"""`mockserve run SPEC -- CMD`, `mockserve health`, `mockserve wait`, MOCKSERVE_<OPTION>."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockserve import MockServer
from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent

SPEC = """
    mockserve: 1
    routes:
      - path: /hello
        response: {json: {hello: world}}
"""

# A CMD that asks the mock for PATH (from MOCKSERVE_URL), prints the answer and exits CODE.
ASK = (
    "import os, sys, urllib.request, urllib.error\n"
    "try:\n"
    "    answer = urllib.request.urlopen(os.environ['MOCKSERVE_URL'] + sys.argv[1]).read()\n"
    "except urllib.error.HTTPError as exc:\n"
    "    answer = exc.read()\n"
    "print(answer.decode())\n"
    "sys.exit(int(sys.argv[2]))\n"
)


def mockserve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m mockserve ARGS` to its end."""
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    return subprocess.run(
        [sys.executable, "-m", "mockserve", *args],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("path", "code", "flags", "env", "expected"),
    [
        ("/hello", 0, [], {}, 0),  # CMD's code
        ("/hello", 3, [], {}, 3),
        ("/nowhere", 0, [], {}, 0),  # a violation without --strict
        ("/nowhere", 0, ["--strict"], {}, 1),  # --strict: 1 when CMD passed
        ("/nowhere", 4, ["--strict"], {}, 4),  # CMD's own failure comes first
        ("/nowhere", 0, [], {"MOCKSERVE_STRICT": "true"}, 1),  # a flag from the environment
        ("/hello", 0, ["--strict"], {}, 0),
    ],
)
def test_run_serves_while_cmd_runs_and_exits_with_its_code(
    write_spec, path, code, flags, env, expected
):
    spec = write_spec(SPEC)
    done = mockserve(
        "run", str(spec), "--port", "0", *flags, "--", sys.executable, "-c", ASK, path, str(code),
        env=env,
    )  # fmt: skip
    assert done.returncode == expected, done.stderr
    if path == "/hello":
        assert done.stdout.splitlines()[0] == '{"hello":"world"}'
    assert "mockserve: stopped" in done.stderr
    if expected == 1:
        assert "1 violation in 1 request" in done.stdout


def test_a_cmd_that_cannot_run_is_127(write_spec):
    done = mockserve("run", str(write_spec(SPEC)), "--port", "0", "--", "no-such-command-here")
    assert done.returncode == 127
    assert "cannot run no-such-command-here" in done.stderr


def test_run_takes_its_port_from_the_environment(write_spec):
    port = free_port()
    done = mockserve(
        "run", str(write_spec(SPEC)), "--", sys.executable, "-c",
        "import os; print(os.environ['MOCKSERVE_URL'])",
        env={"MOCKSERVE_PORT": str(port)},
    )  # fmt: skip
    assert done.stdout.strip() == f"http://127.0.0.1:{port}"


def test_cmd_with_workers_is_a_usage_error(write_spec):
    result = CliRunner().invoke(main, ["run", str(write_spec(SPEC)), "-w", "2", "--", "true"])
    assert result.exit_code == 2
    assert "-- CMD serves with one process" in result.output


# -- health and wait -----------------------------------------------------------------


@pytest.fixture
def up(write_spec):
    with MockServer(write_spec(SPEC), admin_token="s3cret") as server:
        yield server


def test_health_is_0_when_the_mock_answers_ok(up):
    result = CliRunner().invoke(main, ["health", up.url, "--admin-token", "s3cret"])
    assert (result.exit_code, result.output) == (0, "ok\n")


def test_health_reads_the_token_from_the_environment(up):
    result = CliRunner().invoke(main, ["health", up.url], env={"MOCKSERVE_ADMIN_TOKEN": "s3cret"})
    assert result.exit_code == 0


def test_health_is_1_saying_why(up):
    result = CliRunner().invoke(main, ["health", up.url], env={"MOCKSERVE_ADMIN_TOKEN": ""})
    assert result.exit_code == 1
    assert result.output == (
        f"mockserve: {up.url}/__mockserve/health answered 401: the admin API needs a token "
        "(--admin-token or MOCKSERVE_ADMIN_TOKEN)\n"
    )
    nobody = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["health", nobody])
    assert result.exit_code == 1
    assert "does not answer" in result.output


def test_health_defaults_to_this_machine_on_mockserve_port(up):
    port = up.url.rsplit(":", 1)[1]
    result = CliRunner().invoke(
        main, ["health"], env={"MOCKSERVE_PORT": port, "MOCKSERVE_ADMIN_TOKEN": "s3cret"}
    )
    assert result.exit_code == 0


def test_wait_returns_once_the_mock_answers(cli, write_spec):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    run = cli([write_spec(SPEC), "--port", str(port), "-q"])
    done = mockserve("wait", url, "--timeout", "30")  # started before it may listen
    assert (done.returncode, done.stdout) == (0, "ok\n")
    run.serving()
    assert run.url == url


def test_wait_gives_up_after_its_timeout():
    nobody = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["wait", nobody, "--timeout", "0.2"])
    assert result.exit_code == 1
    assert result.output.startswith("mockserve: gave up after 0.2 s: ")


def test_sigterm_ends_cmd_and_every_process_cmd_started(write_spec):
    # CMD starts a process of its own and waits; its first line is that process's id
    command = ["sh", "-c", "sleep 60 & echo $!; wait"]
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserve", "run", str(write_spec(SPEC)), "--port", "0",
         "--", *command],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    grandchild = None
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "CMD did not start"
        grandchild = int(process.stdout.readline())
        process.send_signal(signal.SIGTERM)
        # stdout ends when every process holding it has ended, the grandchild included
        rest, _ = process.communicate(timeout=20)
        assert process.returncode == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
        if grandchild is not None and _alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)
            pytest.fail("CMD's own child outlived the SIGTERM")


def _alive(pid: int) -> bool:
    """Running (not ended, nor a zombie its new parent has yet to reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
