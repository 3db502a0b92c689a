"""Hot reload (`run --watch`): edit the spec while it serves.

A change to the spec, an included file or a fixture reloads it; a spec with problems
is reported and the previous version keeps serving.
"""

from __future__ import annotations

import threading

import pytest
import requests
from click.testing import CliRunner

from mockserve import create_app, load_spec
from mockserve.cli import main
from mockserve.reload import Reloader
from mockserve.serve import Runner

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


class Events:
    """What the reloader did: each version it swapped in, each report; waited on, not polled."""

    def __init__(self):
        self.reloads = 0
        self.reports: list[str] = []
        self.changed = threading.Condition()

    def reloaded(self) -> None:
        with self.changed:
            self.reloads += 1
            self.changed.notify_all()

    def report(self, text: str) -> None:
        with self.changed:
            self.reports.append(text)
            self.changed.notify_all()

    def wait(self, done) -> bool:
        with self.changed:
            return self.changed.wait_for(done, timeout=WAIT)


@pytest.fixture
def watched(tmp_path):
    """A spec served by a real server whose Reloader swaps in each good version."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(VERSION.format(version=1))
    (tmp_path / "extra.yaml").write_text(EXTRA.format(text="one"))
    (tmp_path / "catalog.json").write_text('["tea"]')
    loaded = load_spec(spec)
    runner = Runner(create_app(loaded), port=0).start()
    events = Events()

    def swap(app, _spec) -> None:
        runner.swap(app)
        events.reloaded()

    # A change made before the watcher is ready is still seen: it compares times too.
    reloader = Reloader(
        spec, loaded, seed=None, report=events.report, debounce_ms=50, on_reload=swap
    ).start()
    yield tmp_path, runner, events
    reloader.stop()
    runner.stop()


def test_an_edited_spec_serves_its_new_answers(watched):
    folder, server, events = watched
    version = lambda: requests.get(server.url + "/version", timeout=5).json()  # noqa: E731
    assert version() == {"version": 1}
    (folder / "spec.yaml").write_text(VERSION.format(version=2))
    assert events.wait(lambda: events.reloads == 1)
    assert version() == {"version": 2}


def test_included_files_and_fixtures_are_watched_too(watched):
    folder, server, events = watched
    (folder / "extra.yaml").write_text(EXTRA.format(text="two"))
    assert events.wait(lambda: events.reloads == 1)
    assert requests.get(server.url + "/extra", timeout=5).text == "two"
    (folder / "catalog.json").write_text('["tea", "cake"]')
    assert events.wait(lambda: events.reloads == 2)
    assert requests.get(server.url + "/catalog", timeout=5).json() == ["tea", "cake"]


def test_a_broken_edit_is_reported_and_the_previous_version_keeps_serving(watched):
    folder, server, events = watched
    (folder / "spec.yaml").write_text(
        VERSION.format(version=2).replace("{version: 2}", "{version: 2}, status: two")
    )
    assert events.wait(lambda: len(events.reports) == 1)
    assert events.reports[0].splitlines() == [
        f"{folder / 'spec.yaml'}:5:44: routes[0].response.status: 'two' is not an integer "
        "status (100 to 599) or a lone {{ expression }}",
        f"{folder / 'spec.yaml'}: 1 problem; still serving the previous version",
    ]
    assert requests.get(server.url + "/version", timeout=5).json() == {"version": 1}
    # Fixing it serves the fix.
    (folder / "spec.yaml").write_text(VERSION.format(version=3))
    assert events.wait(lambda: events.reloads == 1)
    assert requests.get(server.url + "/version", timeout=5).json() == {"version": 3}


@pytest.mark.parametrize("option", [["--strict"], ["--exit-after", "2"], ["--workers", "2"]])
def test_watch_is_refused_with_the_ci_options(tmp_path, option):
    spec = tmp_path / "spec.yaml"
    spec.write_text("mockserve: 1\nroutes: []\n")
    result = CliRunner().invoke(main, ["run", str(spec), "--watch", *option])
    assert result.exit_code == 2
    assert "--watch is for editing a spec while it serves" in result.output
