"""`mockserve run --strict` in CI: the exit status is the verdict, the summary says why."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent
WAIT = 20  # seconds any one step may take before the test gives up

SHOP = (Path(__file__).parent / "specs" / "orders.yaml").read_text()


class Run:
    """`python -m mockserve run SPEC --port 0 ...` as a child process, URL read from stderr."""

    def __init__(self, spec: Path, *args: str):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserve", "run", str(spec), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.stderr_lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self.url = self._wait_for_url()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _wait_for_url(self) -> str:
        while True:
            try:
                line = self._lines.get(timeout=WAIT)
            except queue.Empty:
                self.process.kill()
                raise AssertionError("mockserve printed no 'serving' line") from None
            if line is None:
                raise AssertionError("mockserve ended early:\n" + "".join(self.stderr_lines))
            found = re.search(r"serving .* on (http://\S+)", line)
            if found:
                return found.group(1)

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=WAIT, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, timeout=WAIT, **kwargs)

    def finish(self) -> tuple[int, str, str]:
        """Wait for the process to end on its own: (exit status, stdout, stderr)."""
        try:
            status = self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        stdout = self.process.stdout.read()
        self._reader.join(timeout=WAIT)
        return status, stdout, "".join(self.stderr_lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)
        self.process.stdout.close()
        self._reader.join(timeout=WAIT)
        self.process.stderr.close()


@pytest.fixture
def start(tmp_path: Path):
    """Start `mockserve run` on a spec: `run = start("--strict", "--exit-after", "2")`."""
    spec = tmp_path / "shop.yaml"
    spec.write_text(SHOP)
    runs: list[Run] = []

    def launch(*args: str) -> Run:
        runs.append(Run(spec, *args))
        return runs[-1]

    yield launch
    for run in runs:
        run.kill()


def test_a_bad_request_makes_a_strict_run_exit_1_with_a_readable_summary(start):
    run = start("--strict", "--exit-after", "3")
    assert run.get("/users/1").status_code == 200
    assert run.post("/orders", json={"item": "tea", "qty": 0}).status_code == 422
    assert run.get("/userz/1").status_code == 404
    status, stdout, stderr = run.finish()
    assert status == 1
    assert stdout.splitlines()[:5] == [
        "mockserve: 2 violations in 3 requests:",
        "  POST /orders -> 422 (create-order)",
        "      body/qty: 0 is less than the minimum of 1",
        "  GET /userz/1 -> 404 (no route)",
        "      no route matches GET /userz/1; closest: GET /users/{id:int} "
        "(segment 1 is 'userz', the route has 'users')",
    ]
    # Each violation was also logged the moment it happened, marked as such.
    assert re.search(r"VIOLATION POST /orders -> 422: body/qty: 0 is less than", stderr)
    assert "mockserve: stopped" in stderr


def test_a_clean_strict_run_exits_0_after_the_requests_asked_for(start):
    run = start("--strict", "--exit-after", "2")
    assert run.get("/users/1").json() == {"id": 1}
    # The last request counted still gets its answer before the server stops.
    assert run.post("/orders", json={"item": "tea", "qty": 1}).status_code == 201
    status, stdout, stderr = run.finish()
    assert (status, stdout) == (0, "mockserve: no violations in 2 requests\n")
    with pytest.raises(requests.ConnectionError):
        run.get("/users/1")


def test_the_last_answer_arrives_whole_even_when_large_and_read_late(tmp_path):
    (tmp_path / "big.json").write_text('"' + "x" * 8_000_000 + '"')
    spec = tmp_path / "big.yaml"
    spec.write_text("mockserve: 1\nroutes:\n  - path: /big\n    response: {file: big.json}\n")
    run = Run(spec, "--exit-after", "1")
    try:
        with requests.get(run.url + "/big", stream=True, timeout=WAIT) as answer:
            # The server stops after this request; the client has not read a byte yet.
            time.sleep(0.5)
            assert len(answer.raw.read()) == 8_000_002
        assert run.finish()[0] == 0
    finally:
        run.kill()


def test_sigterm_stops_a_strict_run_with_the_same_summary(start):
    run = start("--strict")
    run.get("/users/x")
    run.process.send_signal(signal.SIGTERM)
    status, stdout, _ = run.finish()
    assert status == 1
    assert stdout.splitlines()[:2] == [
        "mockserve: 1 violation in 1 request:",
        "  GET /users/x -> 404 (no route)",
    ]


def test_ctrl_c_stops_a_clean_strict_run_with_exit_0(start):
    run = start("--strict")
    run.get("/users/2")
    run.process.send_signal(signal.SIGINT)
    status, stdout, stderr = run.finish()
    assert (status, stdout) == (0, "mockserve: no violations in 1 request\n")
    assert "Traceback" not in stderr


def test_without_strict_violations_are_logged_but_do_not_fail_the_run(start):
    run = start("--exit-after", "1")
    assert run.post("/orders", json={}).status_code == 422
    status, stdout, stderr = run.finish()
    assert (status, stdout) == (0, "")
    # One line for the request, saying why it missed.
    line = next(line for line in stderr.splitlines() if "POST /orders -> 422" in line)
    assert line.endswith(
        "(body: 'item' is a required property; body: 'qty' is a required property)"
    )


def test_shutdown_over_the_admin_api_ends_the_run_with_its_verdict(start):
    pytest.importorskip("mockserve.admin", reason="the admin API is not in this build")
    run = start("--strict", "--exit-after", "5")
    run.get("/users/1")
    assert run.post("/__mockserve/shutdown").status_code == 204
    status, stdout, _ = run.finish()
    # Admin requests are not counted: one request, no violation.
    assert (status, stdout) == (0, "mockserve: no violations in 1 request\n")


@pytest.mark.parametrize(
    "option, words",
    [
        ("--strict", "exit 1 if there was any"),
        ("--exit-after N", "admin requests are not counted"),
    ],
)
def test_run_help_explains_the_ci_options(option, words):
    result = CliRunner().invoke(main, ["run", "--help"], terminal_width=200)
    line = next(line for line in result.output.splitlines() if line.strip().startswith(option))
    assert words in line


def test_exit_after_takes_a_positive_count(tmp_path):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SHOP)
    result = CliRunner().invoke(main, ["run", str(spec), "--exit-after", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--exit-after'" in result.output
