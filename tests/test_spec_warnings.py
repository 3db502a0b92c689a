"""Spec warnings: what loads and serves, but is likely not what its author meant.

YAML 1.1 reads an unquoted `yes`, `no`, `on` or `off` (any case) as a boolean, so
`country: NO` in a `json` body answers `false`. Where a value is sent as text or JSON (a
response header, a `json` leaf, `state`, resource data), `validate` and `run` say so,
located as FILE:LINE:COL: WHERE: warning: ..., and serve the spec as written. `true` and
`false` written as such, quoted text, keys (which stay the text written) and settings are
never warned about.
"""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner
from running import Running

from mockserve.cli import main


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Work in the spec's folder, so FILE is printed as the user typed it."""
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> str:
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip("\n"))
        return name

    return write


def quote_it(text: str, value: str) -> str:
    """The warning's advice for `text`, which YAML 1.1 read as `value`."""
    return (
        f'unquoted {text!r} is read as {value}; write "{text}" for the text '
        f"or {value} for the boolean"
    )


SHOP = """
    mockserve: 1
    settings: {cors: yes}
    routes:
      - path: /flags
        response:
          headers: {X-Cache: on, X-Real: true}
          json:
            enabled: yes
            country: NO
            real: false
            quoted: "yes"
            on: 1
            list: [Off, 1]
          state: {seen: yes}
      - path: /flaky
        faults: [{rate: 0.5, status: 503, json: {retry: YES}}]
    resources:
      pets: {path: /pets, data: [{id: 1, vaccinated: no}]}
    errors:
      404: {json: {found: no}}
"""


def test_validate_warns_at_each_unquoted_yes_no_on_off_and_still_passes(in_tmp):
    result = CliRunner().invoke(main, ["validate", in_tmp("shop.yaml", SHOP)])
    assert result.exit_code == 0
    assert result.stdout == "shop.yaml: ok (2 routes, 1 resource)\n"
    assert result.stderr.splitlines() == [
        f"shop.yaml:6:26: routes[0].response.headers.X-Cache: warning: {quote_it('on', 'true')}",
        f"shop.yaml:8:18: routes[0].response.json.enabled: warning: {quote_it('yes', 'true')}",
        f"shop.yaml:9:18: routes[0].response.json.country: warning: {quote_it('NO', 'false')}",
        f"shop.yaml:13:16: routes[0].response.json.list[0]: warning: {quote_it('Off', 'false')}",
        f"shop.yaml:14:21: routes[0].response.state.seen: warning: {quote_it('yes', 'true')}",
        f"shop.yaml:16:53: routes[1].faults[0].json.retry: warning: {quote_it('YES', 'true')}",
        f"shop.yaml:18:50: resources.pets.data[0].vaccinated: warning: {quote_it('no', 'false')}",
        f"shop.yaml:20:23: errors.404.json.found: warning: {quote_it('no', 'false')}",
    ]


def test_included_files_and_data_files_are_warned_about_where_they_are(in_tmp):
    in_tmp("pets.yaml", "- {id: 1, vaccinated: off}\n")
    in_tmp(
        "more.yaml",
        """
        routes:
          - path: /more
            response: {json: yes}
        """,
    )
    spec = in_tmp(
        "main.yaml",
        """
        mockserve: 1
        include: [more.yaml]
        resources:
          pets: {path: /pets, data: {file: pets.yaml}}
        """,
    )
    result = CliRunner().invoke(main, ["validate", spec])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"more.yaml:3:22: routes[0].response.json: warning: {quote_it('yes', 'true')}",
        f"pets.yaml:1:23: [0].vaccinated: warning: {quote_it('off', 'false')}",
    ]


def test_booleans_written_as_such_and_quoted_text_are_not_warned_about(in_tmp):
    spec = in_tmp(
        "ok.yaml",
        """
        mockserve: 1
        settings: {cors: on}
        routes:
          - path: /a
            query: {properties: {on: {type: boolean, default: yes}}}
            response:
              headers: {X-On: "on", X-True: True}
              json: {yes: true, no: False, text: 'off', words: "yes and no"}
        """,
    )
    result = CliRunner().invoke(main, ["validate", spec])
    assert (result.exit_code, result.stderr) == (0, "")


def test_the_spec_is_served_as_written_the_warning_changes_nothing(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /flags
            response:
              headers: {X-Cache: on}
              json: {enabled: yes, quoted: "yes"}
    """)
    response = live.get("/flags")
    assert response.json() == {"enabled": True, "quoted": "yes"}
    assert response.headers["X-Cache"] == "true"


def test_run_prints_the_warnings_before_it_serves(in_tmp, tmp_path):
    with Running(in_tmp("shop.yaml", SHOP), "--port", "0", cwd=tmp_path) as server:
        printed = server.serving()
        assert server.stop() == 0
    assert printed[-1].startswith("mockserve: serving 'shop.yaml' (2 routes, 1 resource)")
    assert printed[:2] == [
        f"shop.yaml:6:26: routes[0].response.headers.X-Cache: warning: {quote_it('on', 'true')}",
        f"shop.yaml:8:18: routes[0].response.json.enabled: warning: {quote_it('yes', 'true')}",
    ]
    assert len(printed) == 9  # eight warnings, then the line saying where it serves
