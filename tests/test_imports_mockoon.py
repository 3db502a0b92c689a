"""Mockoon environments imported: the spec answers each route's requests as Mockoon does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import urllib3
from click.testing import CliRunner
from imports_compare import ask, same_answer
from source_tools import mockoon, shared_corpus

from mockserve import MockServer, load_spec
from mockserve.cli import main

# What each route of the corpus's environments describes: its rules, in turn.
RULES = [
    {"path": "/users/1"},
    {"path": "/users/1", "json": {"test": "test"}},
    {"path": "/rules/5"},
    {"path": "/rules/1", "query": {"array": "test1"}},
    {"path": "/rules/1"},
    {"path": "/rules/5", "headers": {"Accept-Charset": "UTF-8"}},
    {"path": "/rules/5", "headers": {"Accept-Charset": "UTF-16"}},
    {"path": "/rules/5", "json": {"name": "john"}},
    {"path": "/rules/5", "json": {"user": [{"name": "John"}]}},
    {"path": "/rules/5", "json": {"users": ["Ringo", "Paul"]}},
    {"path": "/rules/5", "json": {"user": "Richard"}},
    {"path": "/rules/5", "json": {"test": 1}},
    {"path": "/rules/5", "json": {"test": True}},
    {"path": "/rules/5", "data": "testfullbody", "headers": {"Content-Type": "text/plain"}},
    {"path": "/rules/5", "data": "somebody2", "headers": {"Content-Type": "text/plain"}},
    {"path": "/operator/1"},
    {"path": "/random-sequential"},
    {"path": "/disable-rules"},
    {"path": "/disable-rules", "json": {"test": "value1"}},
    {"path": "/requestnumber"},
    {"path": "/no-such-route"},
]
DEMO = [
    {"path": "/v2/users"},
    {"path": "/v2/users/1"},
    {"path": "/v2/users/2"},
    {"path": "/v2/users/3"},
    {"method": "POST", "path": "/v2/users", "json": {"firstname": "Ann", "status": "new"}},
    {"method": "POST", "path": "/v2/users", "json": {"firstname": "", "lastname": "Lee"}},
    {"method": "DELETE", "path": "/v2/users/1"},
    {"method": "PUT", "path": "/v2/users/1/status/away"},
    # A CRUD route is a resource: its answers carry no custom headers (reported as dropped).
    {"path": "/v2/resources", "resource": True},
    {"method": "POST", "path": "/v2/resources", "json": {"id": 5}, "resource": True},
    {"path": "/v2/resources/5", "resource": True},
]  # fmt: skip


def imported(tmp: Path, name: str) -> tuple[Path, str]:
    output = tmp / "spec.yaml"
    source = shared_corpus("mockoon") / name
    result = CliRunner().invoke(main, ["import", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return output, result.stderr


@pytest.mark.parametrize(
    ("name", "scheme", "requests_"),
    [("response-rules.json", "http", RULES), ("demo-users-api-v2.json", "https", DEMO)],
)
def test_answers_as_mockoon_does(tmp_path, name, scheme, requests_):
    spec_path, _ = imported(tmp_path, name)
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    with mockoon(shared_corpus("mockoon") / name) as source, MockServer(spec_path) as ours:
        with requests.Session() as session:
            session.verify = False  # Mockoon serves the demo over TLS with its own certificate
            for request in requests_:
                same_answer(
                    ask(session, f"{scheme}://{source}", request),
                    ask(session, ours.url, request),
                    json.dumps(request),
                    headers="resource" not in request,
                )


def test_rules_crud_and_what_was_dropped(tmp_path):
    spec_path, warnings = imported(tmp_path, "demo-users-api-v2.json")
    spec = load_spec(spec_path)
    assert [r.name for r in spec.routes][:3] == ["Get all users", "Get a user", "Create a user"]
    assert spec_path.read_text().count('- when: path.id == "1"') == 1
    assert (
        "resources:\n  resources:\n    path: /v2/resources\n    key: id\n" in spec_path.read_text()
    )
    source = shared_corpus("mockoon") / "demo-users-api-v2.json"
    assert warnings.splitlines() == [
        f"{source}:/tlsOptions: TLS: served over plain HTTP (use `mockserve run --https`)",
        f"{source}:/routes/5: CRUD route: its headers (Global-Header) are not sent by a resource",
    ]
