"""The pytest plugin, used exactly as users do: a test suite run by pytest (pytester)."""

from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

SHOP = (Path(__file__).parent / "specs" / "orders.yaml").read_text()


def plugin_args() -> list[str]:
    """Load the plugin as this install has it: by its entry point, or by module name.

    Naming the module with -p while the entry point also loads it would register it twice,
    which pytest refuses; `-p mockserve` names the entry point and is always safe.
    """
    installed = any(
        ep.name == "mockserve" and ep.value == "mockserve.pytest_plugin"
        for ep in entry_points(group="pytest11")
    )
    if not installed:
        return ["-p", "mockserve.pytest_plugin"]
    return ["-p", "mockserve"] if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else []


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with specs/shop.yaml and a pytest.ini at its root."""
    pytester.makeini("[pytest]\n")
    (pytester.path / "specs").mkdir()
    (pytester.path / "specs" / "shop.yaml").write_text(SHOP)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*plugin_args(), "-p", "no:cacheprovider", *args)


def test_a_test_whose_client_keeps_the_contract_passes(suite):
    suite.makepyfile("""
        import requests

        def test_order(mockserve):
            server = mockserve("specs/shop.yaml")
            assert requests.get(server.url + "/users/7", timeout=10).json() == {"id": 7}
            answer = requests.post(server.url + "/orders", json={"item": "tea", "qty": 2},
                                   timeout=10)
            assert answer.status_code == 201
            server.assert_called("POST", "create-order", times=1, json={"item": "tea", "qty": 2})
            server.assert_no_violations()
    """)
    run(suite).assert_outcomes(passed=1)


def test_a_client_that_sends_a_bad_body_fails_the_test_listing_each_failure(suite):
    suite.makepyfile("""
        import requests

        def test_order(mockserve):
            server = mockserve("specs/shop.yaml")
            requests.post(server.url + "/orders", json={"item": "tea", "qty": 0}, timeout=10)
            requests.get(server.url + "/userz/3", timeout=10)
    """)
    result = run(suite)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*mockserve: 2 violations: requests the spec does not cover or that broke its contract",
            "  POST /orders -> 422 (create-order)",
            "      body/qty: 0 is less than the minimum of 1",
            "  GET /userz/3 -> 404 (no route)",
            "      no route matches GET /userz/3; closest: GET /users/{id:int}*",
            "(mark the test @pytest.mark.mockserve_allow_violations if the client is meant to "
            "send them)",
        ]
    )
    # The failure is the test's own, not an error in a fixture's teardown.
    assert "ERROR at teardown" not in result.stdout.str()


def test_an_expected_call_that_never_came_fails_listing_the_requests_that_did(suite):
    suite.makepyfile("""
        import requests

        def test_profile(mockserve):
            server = mockserve("specs/shop.yaml")
            requests.get(server.url + "/users/2", timeout=10)
            server.assert_called("GET", "/users/1")
    """)
    result = run(suite)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            '>*server.assert_called("GET", "/users/1")',
            "E*AssertionError: expected GET /users/1 to be called at least once, "
            "but it was called 0 times",
            "E*Requests that did arrive (1), closest first:",
            "E*  GET /users/2 -> 200 (get-user)",
        ]
    )
    # The assertion points at the test's line, not into mockserve's code.
    assert "mockserve/testing.py" not in result.stdout.str()


def test_the_opt_out_marker_lets_a_test_send_bad_requests_on_purpose(suite):
    suite.makepyfile("""
        import pytest
        import requests

        @pytest.mark.mockserve_allow_violations
        def test_the_client_reports_a_rejected_order(mockserve):
            server = mockserve("specs/shop.yaml")
            answer = requests.post(server.url + "/orders", json={"qty": 0}, timeout=10)
            assert answer.status_code == 422
            assert len(server.violations) == 1
    """)
    run(suite).assert_outcomes(passed=1)


def test_a_test_that_fails_anyway_shows_the_violations_beside_its_own_failure(suite):
    suite.makepyfile("""
        import requests

        def test_order(mockserve):
            server = mockserve("specs/shop.yaml")
            answer = requests.post(server.url + "/orders", json={"qty": 0}, timeout=10)
            assert answer.status_code == 201
    """)
    result = run(suite)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*assert 422 == 201*",
            "*- Captured mockserve violations call -*",
            "  POST /orders -> 422 (create-order)",
            "      body: 'item' is a required property",
            "      body/qty: 0 is less than the minimum of 1",
        ]
    )


def test_the_spec_marker_and_the_server_fixture_serve_a_test_its_spec(suite):
    suite.makepyfile("""
        import pytest
        import requests

        @pytest.mark.mockserve_spec("specs/shop.yaml", seed=3)
        def test_profile(mockserve_server):
            answer = requests.get(mockserve_server.url + "/users/5", timeout=10)
            assert answer.json() == {"id": 5}
            mockserve_server.assert_called("GET", "get-user", times=1)
    """)
    run(suite).assert_outcomes(passed=1)


def test_the_ini_option_names_a_default_spec_and_the_command_line_overrides_it(suite):
    suite.makeini("[pytest]\nmockserve_spec = specs/shop.yaml\n")
    (suite.path / "other.yaml").write_text(
        "mockserve: 1\ntitle: Other\nroutes:\n  - path: /other\n    response: {json: 1}\n"
    )
    suite.makepyfile("""
        def test_title(mockserve_server, pytestconfig):
            assert mockserve_server.spec.title == pytestconfig.getoption("title")
    """)
    suite.makeconftest("""
        def pytest_addoption(parser):
            parser.addoption("--title")
    """)
    run(suite, "--title=Shop").assert_outcomes(passed=1)
    run(suite, "--title=Other", "--mockserve-spec=other.yaml").assert_outcomes(passed=1)


def test_relative_spec_paths_resolve_against_the_rootdir_not_the_test_folder(suite):
    suite.mkpydir("deep")
    (suite.path / "deep" / "test_deep.py").write_text(
        "def test_it(mockserve):\n    assert mockserve('specs/shop.yaml').spec.title == 'Shop'\n"
    )
    run(suite).assert_outcomes(passed=1)


def test_a_test_without_a_spec_is_told_how_to_name_one(suite):
    suite.makepyfile("""
        def test_it(mockserve_server):
            pass
    """)
    result = run(suite)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mockserve: no spec for this test: mark it "
            "@pytest.mark.mockserve_spec('specs/shop.yaml'), "
            "or give --mockserve-spec or the mockserve_spec ini option",
        ]
    )


def test_a_bad_spec_fails_the_test_with_every_located_problem(suite):
    (suite.path / "specs" / "bad.yaml").write_text(
        "mockserve: 1\nroutes:\n  - path: /a\n    response: {status: two}\n"
    )
    suite.makepyfile("""
        def test_it(mockserve):
            mockserve("specs/bad.yaml")
    """)
    result = run(suite)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "mockserve: cannot serve */specs/bad.yaml:",
            "*specs/bad.yaml:4:*: routes[[]0[]].response.status: 'two' is not an integer status*",
        ]
    )
    assert "During handling" not in result.stdout.str()


def test_every_server_a_test_started_is_stopped_when_it_ends(suite):
    suite.makepyfile("""
        import pytest
        import requests

        started = []

        def test_start_two(mockserve):
            started.append(mockserve("specs/shop.yaml").url)
            started.append(mockserve("specs/shop.yaml").url)
            assert len(set(started)) == 2

        def test_they_are_gone():
            for url in started:
                with pytest.raises(requests.ConnectionError):
                    requests.get(url + "/users/1", timeout=10)
    """)
    run(suite).assert_outcomes(passed=2)


def test_options_and_markers_are_registered_with_help(suite):
    run(suite, "--help").stdout.fnmatch_lines(
        [
            "mockserve (HTTP mocks from a YAML spec):",
            "  --mockserve-spec=SPEC*",
            "*mockserve_spec (string):*",
        ]
    )
    run(suite, "--markers").stdout.fnmatch_lines(
        [
            "@pytest.mark.mockserve_spec(spec, seed=None, port=0): the spec the mockserve_server*",
            "@pytest.mark.mockserve_allow_violations: do not fail the test*",
        ]
    )
    # --strict-markers accepts them: they are registered, not guessed.
    suite.makepyfile("""
        import pytest

        @pytest.mark.mockserve_allow_violations
        @pytest.mark.mockserve_spec("specs/shop.yaml")
        def test_it(mockserve_server):
            pass
    """)
    run(suite, "--strict-markers").assert_outcomes(passed=1)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="reads pyproject.toml with tomllib")
def test_the_pytest11_entry_point_loads_the_plugin_once(suite):
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = declared["project"]["entry-points"]["pytest11"]["mockserve"]
    assert target == "mockserve.pytest_plugin"
    # An installed distribution, as pip leaves it, declaring that entry point.
    dist = suite.path / "site" / "mockserve_probe-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mockserve-probe\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[pytest11]\nmockserve = {target}\n")
    suite.syspathinsert(suite.path / "site")
    suite.makepyfile("""
        def test_it(mockserve, pytestconfig):
            names = [name for name, plugin in pytestconfig.pluginmanager.list_name_plugin()
                     if getattr(plugin, "__name__", "") == "mockserve.pytest_plugin"]
            assert names == ["mockserve"]
    """)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    # `-p mockserve` names the entry point: still loaded once.
    suite.runpytest("-p", "no:cacheprovider", "-p", "mockserve").assert_outcomes(passed=1)


def test_the_admin_shutdown_stops_a_fixture_server(suite):
    suite.makepyfile("""
        import pytest
        import requests

        def test_stop(mockserve):
            server = mockserve("specs/shop.yaml")
            answer = requests.post(server.url + "/__mockserve/shutdown", timeout=10)
            assert answer.status_code == 204
            assert server.wait_stopped(timeout=10)
            with pytest.raises(requests.ConnectionError):
                requests.get(server.url + "/users/7", timeout=5)
    """)
    run(suite).assert_outcomes(passed=1)
