"""`mockserve import`: a file it cannot read is named for what it is, and a HAR's
traffic is written only as a spec that `validate` accepts, saying what it left out."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from mockserve.cli import main


def _entry(method: str, url: str, status: int = 200, text: str = '{"ok": true}') -> dict:
    return {
        "request": {"method": method, "url": url, "headers": []},
        "response": {
            "status": status,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"mimeType": "application/json", "text": text},
        },
    }


def _import(tmp_path, name: str, content: str):
    (tmp_path / name).write_text(content)
    output = tmp_path / "spec.yaml"
    result = CliRunner().invoke(main, ["import", str(tmp_path / name), "-o", str(output)])
    return result, output


EXPECTED = (
    "expected an OpenAPI document, a HAR file, a Postman collection, WireMock mappings, a "
    "Mockoon environment or curl lines"
)


@pytest.mark.parametrize(
    "name, content, said",
    [
        (
            "data.json",
            '{"users": [], "total": 0}',
            f"JSON of no known format (an object with keys 'users', 'total'); {EXPECTED}",
        ),
        (
            "broken.har",
            '{"log": {"version": "1.2"}}',
            f"JSON of no known format (an object with keys 'log'); {EXPECTED}",
        ),
        ("list.yaml", "- a\n- b\n", f"not a format mockserve imports (YAML: a list): {EXPECTED}"),
        (
            "notes.txt",
            "just some words: [unclosed\n",
            f"not a format mockserve imports (neither JSON nor YAML): {EXPECTED}",
        ),
        ("empty.json", "", f"not a format mockserve imports (the file is empty): {EXPECTED}"),
        (
            "old.json",
            '{"swagger": "2.0", "paths": {}}',
            "a Swagger 2.0 document; convert it to OpenAPI 3 (an 'openapi' key)",
        ),
        (
            "other.yaml",
            "title: notes\ntext: 'see swagger: the docs'\n",
            "not an OpenAPI document (an object with keys 'title', 'text'; expected an 'openapi'",
        ),
    ],
)
def test_a_file_that_is_neither_openapi_nor_har_is_named_for_what_it_is(
    tmp_path, name, content, said
):
    result, output = _import(tmp_path, name, content)
    assert result.exit_code == 2
    assert said in result.stderr
    assert "Traceback" not in result.output
    assert not output.exists()


def test_har_traffic_a_spec_cannot_say_is_left_out_with_a_note(tmp_path):
    entries = [
        _entry("GET", "https://api.example.com/users/1"),
        _entry("PROPFIND", "https://api.example.com/dav"),
        _entry("GET", "https://api.example.com/odd", status=999),
        _entry("GET", "https://api.example.com/items/{id}"),
        _entry("GET", "https://api.example.com/a/<b>"),
        _entry("GET", "https://api.example.com/__mockserve/reset"),
        _entry("GET", "https://api.example.com/named"),
    ]
    entries[-1]["response"]["headers"].append({"name": "X-Name", "value": "na\u00efve \u2713"})
    result, output = _import(tmp_path, "t.har", json.dumps({"log": {"entries": entries}}))
    assert result.exit_code == 0, result.output
    assert "written (2 routes)" in result.output
    for note in (
        "PROPFIND /dav: a spec's routes take GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS "
        "or TRACE; not written",
        "GET /odd: status 999 is not an HTTP status (100 to 599); not written",
        "GET /items/{id}: a route cannot match this path literally",
        "GET /a/<b>: a route cannot match this path literally",
        "GET /__mockserve/reset: under the admin path /__mockserve; not written",
        "GET /named: header X-Name is no Latin-1 text; not written",
    ):
        assert note in result.stderr
    checked = CliRunner().invoke(main, ["validate", str(output)])
    assert checked.exit_code == 0, checked.output


def test_har_traffic_of_several_hosts_says_which_routes_merge_them(tmp_path):
    entries = [
        _entry("GET", "https://a.example.com/users/1", text='{"from": "a"}'),
        _entry("GET", "https://b.example.com/users/1", text='{"from": "b"}'),
        _entry("GET", "https://b.example.com/health"),
    ]
    result, output = _import(tmp_path, "t.har", json.dumps({"log": {"entries": entries}}))
    assert result.exit_code == 0, result.output
    assert (
        "traffic to 2 hosts (a.example.com, b.example.com) is written as one spec; "
        "GET /users/1 answers for both" in result.stderr
    )
    assert len(yaml.safe_load(output.read_text())["routes"]) == 2
