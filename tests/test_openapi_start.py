"""Start time: a served OpenAPI document compiles each route on its first request.

`load_spec(path, lazy=True)` (what `run` serves) checks a converted document's names,
methods and paths at load; a route's contract and answers compile when it is first
called, once, whatever the threads. `validate` and `import` compile every route, and a
spec in mockserve's own format is checked whole at load either way.
"""

from __future__ import annotations

import json
import textwrap
import threading

import pytest
import requests
from click.testing import CliRunner

from mockserve import MockServer, load_spec
from mockserve.cli import main
from mockserve.errors import SpecError
from mockserve.spec import routes as spec_routes

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Start", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "operationId": "listItems",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer", "maximum": 10},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "items",
                        "content": {"application/json": {"example": [{"id": 1}]}},
                    }
                },
            }
        },
        "/items/{id}": {
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "one item",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id"],
                                    "properties": {"id": {"type": "integer", "const": 7}},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/broken": {
            "get": {
                "operationId": "broken",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"$ref": "#/components/schemas/Gone"}}
                ],
                "responses": {"204": {"description": "nothing"}},
            }
        },
    },
}


@pytest.fixture
def document(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(DOCUMENT))
    return path


@pytest.fixture
def served(document):
    """The document loaded lazily (as `run` loads it), served over real HTTP."""
    spec = load_spec(document, lazy=True)
    server = MockServer(spec).start()
    yield spec, server.url
    server.stop()


def _route(spec, name):
    return next(route for route in spec.routes if route.name == name)


def test_routes_compile_on_their_first_request_not_at_load(document):
    spec = load_spec(document, lazy=True)
    assert [route.name for route in spec.routes] == ["listItems", "getItem", "broken"]
    assert not any(route.is_compiled for route in spec.routes)
    assert all(route.is_compiled for route in load_spec(document).routes)


def test_a_lazy_contract_rejects_invalid_requests_on_the_first_call_and_later(served):
    spec, url = served
    for _ in range(2):
        answer = requests.get(url + "/items", params={"limit": 11}, timeout=10)
        assert answer.status_code == 422
        assert answer.json()["errors"] == [
            {"in": "query", "path": "/limit", "message": "11 is greater than the maximum of 10"}
        ]
    assert requests.get(url + "/items", timeout=10).status_code == 422  # limit is required
    answer = requests.get(url + "/items", params={"limit": 3}, timeout=10)
    assert (answer.status_code, answer.json()) == (200, [{"id": 1}])
    assert requests.get(url + "/items/x", timeout=10).status_code == 422
    assert _route(spec, "listItems").is_compiled


def test_concurrent_first_requests_compile_a_route_once_and_all_get_its_answer(
    document, monkeypatch
):
    compiled = []
    parts = spec_routes.RouteBuilder.parts

    def counting(self, item, *args):
        compiled.append(item.data.get("name"))
        return parts(self, item, *args)

    monkeypatch.setattr(spec_routes.RouteBuilder, "parts", counting)
    spec = load_spec(document, lazy=True)
    server = MockServer(spec).start()
    start = threading.Barrier(16)
    answers: list[tuple[int, object]] = []

    def call() -> None:
        start.wait()
        answer = requests.get(server.url + "/items/7", timeout=30)
        answers.append((answer.status_code, answer.json()))

    try:
        threads = [threading.Thread(target=call) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    assert answers == [(200, {"id": 7})] * 16
    assert compiled.count("getItem") == 1


def test_a_route_that_cannot_compile_answers_500_saying_why_and_the_rest_serve(served):
    _, url = served
    answer = requests.get(url + "/broken", timeout=10)
    assert answer.status_code == 500
    body = answer.json()
    assert body["route"] == "broken"
    assert "unknown $ref '#/schemas/Gone'" in body["error"]
    assert requests.get(url + "/items?limit=1", timeout=10).status_code == 200


def test_validate_reports_a_route_that_is_never_called(document):
    result = CliRunner().invoke(main, ["validate", str(document)])
    assert result.exit_code == 0
    assert "warning: GET /broken: unknown $ref '#/schemas/Gone'" in result.output
    assert "not served" in result.output


SPEC = """\
    mockserve: 1
    routes:
      - path: /called
        response: {json: {ok: true}}
      - path: /never-called
        response: {json: {n: "{{ 1 + }}"}}
"""


@pytest.mark.parametrize("lazy", [False, True])
def test_a_spec_in_the_format_is_checked_whole_at_load_even_lazily(tmp_path, lazy):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(SPEC))
    with pytest.raises(SpecError) as raised:
        load_spec(path, lazy=lazy)
    [problem] = raised.value.problems
    assert (problem.line, problem.column, problem.where) == (6, 26, "routes[1].response.json.n")


def test_validate_reports_a_bad_route_that_is_never_called_with_its_location(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(textwrap.dedent(SPEC))
    result = CliRunner().invoke(main, ["validate", "spec.yaml"])
    assert result.exit_code == 2
    assert result.output.startswith("spec.yaml:6:26: routes[1].response.json.n: template syntax")


YAML_DOCUMENT = """\
openapi: 3.0.3
info: {title: Cached, version: "1"}
paths:
  /when:
    get:
      responses:
        "200":
          description: a date stays the text written
          content: {application/json: {example: {on: 2024-01-01, n: 1.5}}}
"""


def test_a_yaml_document_is_parsed_once_then_read_from_the_cache(tmp_path, monkeypatch):
    from mockserve.spec import source

    monkeypatch.setattr(source, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("MOCKSERVE_CACHE_DIR", str(tmp_path / "cache"))
    first = source.parse_openapi_fast(YAML_DOCUMENT, "doc.yaml")
    [entry] = (tmp_path / "cache").iterdir()
    parsed = []
    monkeypatch.setattr(source.yaml, "load", lambda *a, **k: parsed.append(1))
    second = source.parse_openapi_fast(YAML_DOCUMENT, "doc.yaml")
    assert second.data == first.data and not parsed
    assert first.data["paths"]["/when"]["get"]["responses"]["200"]["content"] == {
        "application/json": {"example": {"true": "2024-01-01", "n": 1.5}}
    }
    entry.write_bytes(b"not marshal")  # a damaged entry is parsed afresh
    monkeypatch.undo()
    monkeypatch.setattr(source, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("MOCKSERVE_CACHE_DIR", str(tmp_path / "cache"))
    assert source.parse_openapi_fast(YAML_DOCUMENT, "doc.yaml").data == first.data


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    from mockserve.spec import source

    monkeypatch.setattr(source, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("MOCKSERVE_CACHE_DIR", "off")
    assert source.cache_dir() is None
    assert source.parse_openapi_fast(YAML_DOCUMENT, "doc.yaml").data["openapi"] == "3.0.3"


GENERATED = {
    "openapi": "3.1.0",
    "info": {"title": "Generated", "version": "1"},
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "name": {"type": "string", "pattern": "^[a-z]{3,8}$"},
                    "age": {"type": "integer", "minimum": 1, "maximum": 30},
                },
            }
        }
    },
    "paths": {
        f"/{kind}": {
            "get": {
                "responses": {
                    "200": {
                        "description": "generated",
                        "headers": {"X-Token": {"schema": {"type": "string", "format": "uuid"}}},
                        "content": {
                            "application/json": {"schema": schema},
                            "application/xml": {"schema": schema},
                        },
                    }
                }
            }
        }
        for kind, schema in {
            "pet": {"$ref": "#/components/schemas/Pet"},
            "pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
            "id": {"type": "string", "format": "uuid"},
        }.items()
    },
}


def test_routes_converted_on_first_request_in_any_order_answer_what_the_import_writes():
    import copy

    from mockserve.openapi import convert_document
    from mockserve.openapi.convert import Converter

    imported, _ = convert_document(copy.deepcopy(GENERATED), seed=7)
    converter = Converter(copy.deepcopy(GENERATED), seed=7)
    served = converter.spec(later=True)
    assert [set(route) for route in served["routes"]] == [{"method", "path"}] * 3
    for route in reversed(served["routes"]):
        converter.complete(route)
        converter.complete(route)  # a second call changes nothing
    assert served == imported


def test_a_spec_read_from_the_parse_cache_still_locates_its_problems(tmp_path, monkeypatch):
    """A large spec (an import) is parsed without marks, and read from the cache the
    second time; a problem is still reported at its line and column."""
    from mockserve.spec import source

    monkeypatch.setattr(source, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("MOCKSERVE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(SPEC))
    for _ in range(2):
        with pytest.raises(SpecError) as raised:
            load_spec(path)
        [problem] = raised.value.problems
        assert (problem.line, problem.column, problem.where) == (6, 26, "routes[1].response.json.n")
    assert len(list((tmp_path / "cache").iterdir())) == 1


@pytest.mark.parametrize(
    "text",
    [
        YAML_DOCUMENT,
        "on: 1\nyes: 2\n1: 3\n1.5: 4\nnull: 5\n2024-01-01: 6\nd: 2024-01-01\n",
        "a: &x {b: 1}\nc: *x\nd: {<<: *x, e: 2}\n",
        "a: !!set {x, y}\nb: !!omap [{a: 1}]\nc: !!binary aGk=\n",
        "x: 1\nx: 2\n",
        "a: &a [*a]\n",
        "",
    ],
)
def test_a_yaml_document_reads_as_pyyaml_reads_it(text):
    """The quick walk over the nodes gives what yaml.load gives (duplicate and odd keys too)."""
    import yaml

    from mockserve.spec import source

    expected = yaml.load(text, Loader=source._FastLoader)  # noqa: S506 - a safe loader
    assert repr(source._parse_openapi(text)) == repr(expected)


def _documents():
    import yaml
    from test_callbacks import OPENAPI_CALLBACK
    from test_openapi_behaviour import OWN_WORDS, SELECTED

    return {
        "callbacks": yaml.safe_load(OPENAPI_CALLBACK),
        "error examples": yaml.safe_load(OWN_WORDS),
        "selected by a value": yaml.safe_load(SELECTED),
    }


@pytest.mark.parametrize("name", ["callbacks", "error examples", "selected by a value"])
def test_a_route_completed_on_first_request_is_what_the_import_writes(name):
    """Error examples, callbacks and operations told apart by a query or header value
    (one shared route, made whole from all of them) come with the route's conversion."""
    import copy

    from mockserve.openapi import convert_document
    from mockserve.openapi.convert import Converter

    document = _documents()[name]
    imported, _ = convert_document(copy.deepcopy(document), seed=3)
    converter = Converter(copy.deepcopy(document), seed=3)
    served = converter.spec(later=True)
    assert not any("responses" in route for route in served["routes"])
    for route in reversed(served["routes"]):
        converter.complete(route)
    assert served == imported


def test_lazily_served_error_examples_and_callbacks_compile_only_when_called(tmp_path):
    import yaml
    from test_callbacks import OPENAPI_CALLBACK, Receiver
    from test_openapi_behaviour import OWN_WORDS

    document = yaml.safe_load(OWN_WORDS)
    document["paths"].update(yaml.safe_load(OPENAPI_CALLBACK)["paths"])
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))
    spec = load_spec(path, lazy=True)
    hooks = Receiver(())
    with MockServer(spec) as server:
        assert not any(route.is_compiled for route in spec.routes)  # nor by create_app
        answer = requests.post(server.url + "/unprocessable", json={}, timeout=10)
        assert (answer.status_code, answer.json()) == (422, {"code": "missing_field"})
        answer = requests.post(
            server.url + "/streams/blue",
            params={"callbackUrl": hooks.url},
            json={"hook": hooks.url + "/by-body"},
            timeout=10,
        )
        assert answer.status_code == 201
        assert [g["path"] for g in hooks.wait(2)] == ["/data/blue/s-42", "/by-body"]
        compiled = sorted(route.path for route in spec.routes if route.is_compiled)
        assert compiled == ["/streams/{team_id}", "/unprocessable"]
    hooks.stop()
