"""Hot reload (`run --watch`): edit the spec while it serves.

A change to the spec, an included file or a fixture reloads it; a spec with problems
is reported and the previous version keeps serving.
"""

from __future__ import annotations

import time

import pytest
import requests
from click.testing import CliRunner

from mockserve import create_app, load_spec
from mockserve.cli import main
from mockserve.reload import Reloader
from mockserve.server import Server

WAIT = 10  # seconds a reload may take before the test gives up

VERSION = """\
mockserve: 1
include: [extra.yaml]
routes:
  - path: /version
    response: {{json: {{version: {version}}}}}
  - path: /catalog
    response: {{file: catalog.json}}
"""
EXTRA = "routes:\n  - path: /extra\n    response: {{text: {text}}}\n"


@pytest.fixture
def watched(tmp_path):
    """A spec served by a real server whose Reloader swaps in each good version."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(VERSION.format(version=1))
    (tmp_path / "extra.yaml").write_text(EXTRA.format(text="one"))
    (tmp_path / "catalog.json").write_text('["tea"]')
    loaded = load_spec(spec)
    server = Server(create_app(loaded), port=0)
    server.start_in_thread()
    reports: list[str] = []
    reloader = Reloader(
        spec,
        loaded,
        seed=None,
        report=reports.append,
        debounce_ms=50,
        on_reload=lambda app, _spec: server.swap(app),
    ).start()
    time.sleep(0.3)  # let the watcher start before the test edits files
    yield tmp_path, server, reports
    reloader.stop()
    server.stop()


def eventually(get, expected):
    """Poll until `get()` returns `expected` (bounded), and return the last value."""
    deadline = time.monotonic() + WAIT
    while True:
        value = get()
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_an_edited_spec_serves_its_new_answers(watched):
    folder, server, _ = watched
    version = lambda: requests.get(server.url + "/version", timeout=5).json()  # noqa: E731
    assert version() == {"version": 1}
    (folder / "spec.yaml").write_text(VERSION.format(version=2))
    assert eventually(version, {"version": 2}) == {"version": 2}


def test_included_files_and_fixtures_are_watched_too(watched):
    folder, server, _ = watched
    extra = lambda: requests.get(server.url + "/extra", timeout=5).text  # noqa: E731
    catalog = lambda: requests.get(server.url + "/catalog", timeout=5).json()  # noqa: E731
    (folder / "extra.yaml").write_text(EXTRA.format(text="two"))
    assert eventually(extra, "two") == "two"
    (folder / "catalog.json").write_text('["tea", "cake"]')
    assert eventually(catalog, ["tea", "cake"]) == ["tea", "cake"]


def test_a_broken_edit_is_reported_and_the_previous_version_keeps_serving(watched):
    folder, server, reports = watched
    (folder / "spec.yaml").write_text(
        VERSION.format(version=2).replace("{version: 2}", "{version: 2}, status: two")
    )
    assert eventually(lambda: len(reports), 1) == 1
    assert reports[0].splitlines() == [
        f"{folder / 'spec.yaml'}:5:44: routes[0].response.status: 'two' is not an integer "
        "status (100 to 599) or a lone {{ expression }}",
        f"{folder / 'spec.yaml'}: 1 problem; still serving the previous version",
    ]
    assert requests.get(server.url + "/version", timeout=5).json() == {"version": 1}
    # Fixing it serves the fix.
    (folder / "spec.yaml").write_text(VERSION.format(version=3))
    version = lambda: requests.get(server.url + "/version", timeout=5).json()  # noqa: E731
    assert eventually(version, {"version": 3}) == {"version": 3}


@pytest.mark.parametrize("option", [["--strict"], ["--exit-after", "2"], ["--workers", "2"]])
def test_watch_is_refused_with_the_ci_options(tmp_path, option):
    spec = tmp_path / "spec.yaml"
    spec.write_text("mockserve: 1\nroutes: []\n")
    result = CliRunner().invoke(main, ["run", str(spec), "--watch", *option])
    assert result.exit_code == 2
    assert "--watch is for editing a spec while it serves" in result.output
