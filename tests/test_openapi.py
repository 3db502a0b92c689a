"""Serving an OpenAPI document: what a client of the mock sees, feature by feature."""

from __future__ import annotations

import base64
import json

import pytest
import yaml
from click.testing import CliRunner

from mockserve.cli import main
from mockserve.openapi import convert_document
from mockserve.openapi.dialect import Dialect
from mockserve.openapi.generate import Generator

SHOP = """
openapi: 3.0.3
info: {title: Shop, version: "1"}
components:
  securitySchemes:
    basic: {type: http, scheme: basic}
    token: {type: http, scheme: bearer}
    key: {type: apiKey, in: query, name: api-key}
    session: {type: apiKey, in: cookie, name: sid}
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer, minimum: 1}
        name: {type: string, pattern: "^[A-Z][a-z]{2,8}$"}
        tag: {type: string, nullable: true}
        born: {type: string, format: date}
        weight: {type: number, minimum: 0, exclusiveMinimum: true}
    Node:
      type: object
      required: [name]
      properties:
        name: {type: string}
        children: {type: array, items: {$ref: "#/components/schemas/Node"}}
    Error:
      type: object
      required: [message]
      properties: {message: {type: string}}
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 50}}
        - {name: tags, in: query, schema: {type: array, items: {type: integer}}}
        - {name: X-Trace, in: header, required: true, schema: {type: string, minLength: 3}}
      responses:
        "200":
          description: pets
          headers:
            X-Total: {schema: {type: integer, minimum: 7, maximum: 7}}
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
            application/xml:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
        4XX:
          description: client error
          content:
            application/json: {schema: {$ref: "#/components/schemas/Error"}}
        default:
          description: other
          content:
            application/json: {example: {message: something else}}
    post:
      operationId: addPet
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: "#/components/schemas/Pet"}}
          application/x-www-form-urlencoded: {schema: {$ref: "#/components/schemas/Pet"}}
          multipart/form-data: {schema: {$ref: "#/components/schemas/Pet"}}
      responses:
        "201":
          description: created
          content:
            application/json:
              examples:
                rex: {value: {id: 1, name: Rex}}
                tom: {value: {id: 2, name: Tom}}
  /pets/mine:
    get:
      responses:
        "200": {description: mine, content: {application/json: {example: {mine: true}}}}
  /pets/{pet-id}:
    parameters:
      - {name: pet-id, in: path, required: true, schema: {type: integer}}
    get:
      operationId: getPet
      responses:
        "200":
          description: one
          content: {application/json: {example: {id: 1, note: "{{ not a template }}"}}}
        "404":
          description: missing
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    delete:
      responses: {"204": {description: gone}}
  /tree:
    get:
      responses:
        "200":
          description: t
          content: {application/json: {schema: {$ref: "#/components/schemas/Node"}}}
  /names/{name}:
    get:
      responses:
        "200": {description: n, content: {text/plain: {example: hello}}}
  /basic:
    get:
      security: [{basic: []}]
      responses: {"200": {description: ok}}
  /either:
    get:
      security: [{token: []}, {key: []}]
      responses: {"200": {description: ok}}
  /session:
    get:
      security: [{session: []}]
      responses:
        "200": {description: ok}
        "401":
          description: who are you
          content: {application/json: {example: {message: log in first}}}
  /open:
    get:
      security: [{}, {token: []}]
      responses: {"200": {description: ok}}
  /upload:
    post:
      requestBody:
        content:
          application/octet-stream: {schema: {type: string, format: binary}}
      responses: {"202": {description: accepted}}
  /a/{x}:
    get:
      responses: {"200": {description: a}}
  /a/{y}:
    get:
      responses: {"200": {description: same URL}}
"""


@pytest.fixture
def shop(serve):
    return serve(SHOP)


TRACE = {"X-Trace": "abc"}


def test_the_answer_is_the_lowest_2xx_with_a_generated_body_that_fits(shop):
    answer = shop.get("/pets", headers=TRACE)
    assert answer.status_code == 200
    pets = answer.json()
    assert pets and {"id", "name"} <= set(pets[0])
    assert pets[0]["id"] >= 1 and pets[0]["weight"] > 0
    assert answer.headers["X-Total"] == "7"


def test_prefer_code_picks_a_declared_status_and_ranges_serve_the_asked_code(shop):
    assert shop.get("/pets/3", headers={"Prefer": "code=404"}).status_code == 404
    ranged = shop.get("/pets", headers={**TRACE, "Prefer": "code=429"})
    assert ranged.status_code == 429 and "message" in ranged.json()
    other = shop.get("/pets", headers={**TRACE, "Prefer": "code=503"})
    assert (other.status_code, other.json()) == (503, {"message": "something else"})
    # not a status at all: asked for, not declared, so never ignored (spec 1.1)
    assert shop.get("/pets", headers={**TRACE, "Prefer": "code=abc"}).status_code == 404


def test_prefer_example_picks_a_named_example(shop):
    pet = {"id": 5, "name": "Rex"}
    assert shop.post("/pets", json=pet).json() == {"id": 1, "name": "Rex"}
    tom = shop.post("/pets", json=pet, headers={"Prefer": "example=tom"})
    assert (tom.status_code, tom.json()) == (201, {"id": 2, "name": "Tom"})


@pytest.mark.parametrize(
    "accept, status, content_type",
    [
        (None, 200, "application/json"),
        ("application/xml", 200, "application/xml"),
        ("application/json;q=0.5, application/xml", 200, "application/xml"),
        ("application/*", 200, "application/json"),
        ("text/html", 406, "application/json"),
    ],
)
def test_accept_picks_a_declared_media_type(shop, accept, status, content_type):
    headers = {**TRACE, **({"Accept": accept} if accept else {})}
    answer = shop.get("/pets", headers=headers)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == content_type
    if content_type == "application/xml":
        assert answer.text.startswith("<")


def test_contract_failures_name_the_parameter(shop):
    answer = shop.get("/pets?limit=lots&tags=1&tags=x")
    # in the document's own words (its `default` example); the failures are journaled
    assert (answer.status_code, answer.json()) == (422, {"message": "something else"})
    failures = shop.server.journal[-1].failures
    assert [(e["in"], e["path"]) for e in failures] == [
        ("query", "/limit"),
        ("query", "/tags/1"),
        ("headers", ""),
    ]
    assert shop.get("/pets?limit=5&tags=3", headers=TRACE).status_code == 200


def test_path_parameters_are_typed_and_renamed_to_identifiers(shop):
    answer = shop.get("/pets/abc")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["in"] == "path"
    assert shop.get("/pets/3").json() == {"id": 1, "note": "{{ not a template }}"}


def test_concrete_paths_win_over_templated_ones(shop):
    assert shop.get("/pets/mine").json() == {"mine": True}


def test_paths_match_after_percent_decoding(shop):
    assert shop.get("/pets/%33").status_code == 200
    assert shop.get("/names/h%C3%A9llo%20you").text == "hello"


def test_request_bodies_by_media_type(shop):
    good = {"id": "5", "name": "Rex"}
    assert shop.post("/pets", data=good).status_code == 201  # form: "5" converted to 5
    assert shop.post("/pets", files={"id": (None, "5"), "name": (None, "Rex")}).status_code == 201
    bad = shop.post("/pets", data={"id": "five", "name": "rex"})
    assert bad.status_code == 422
    assert [e["path"] for e in bad.json()["errors"]] == ["/id", "/name"]
    wrong = shop.post("/pets", data="<pet/>", headers={"Content-Type": "application/xml"})
    assert wrong.json()["errors"][0]["path"] == "/content-type"
    missing = shop.post("/pets", json={"name": "Rex"})
    assert missing.json()["errors"] == [
        {"in": "body", "path": "", "message": "'id' is a required property"}
    ]


def test_an_optional_binary_body(shop):
    assert shop.post("/upload").status_code == 202
    assert (
        shop.post(
            "/upload", data=b"\xff\x00\xfe", headers={"Content-Type": "application/octet-stream"}
        ).status_code
        == 202
    )


@pytest.mark.parametrize(
    "path, headers, status",
    [
        ("/basic", {}, 401),
        ("/basic", {"Authorization": "Basic " + base64.b64encode(b"ann:secret").decode()}, 200),
        ("/basic", {"Authorization": "Basic not-base64"}, 401),
        ("/basic", {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}, 401),
        ("/basic", {"Authorization": "Bearer abc"}, 401),
        ("/either", {"Authorization": "Bearer abc"}, 200),
        ("/either", {}, 401),
        ("/either?api-key=k", {}, 200),
        ("/session", {"Cookie": "sid=s1"}, 200),
        ("/open", {}, 200),
    ],
)
def test_security_requirements_need_a_credential_of_the_right_shape(shop, path, headers, status):
    assert shop.get(path, headers=headers).status_code == status


def test_a_401_challenges_and_uses_the_documents_own_401(shop):
    refused = shop.get("/either")
    assert (
        refused.headers["WWW-Authenticate"]
        == 'Bearer realm="token", ApiKey realm="key", in="query", name="api-key"'
    )
    assert refused.json() == {
        "error": "unauthorized: this operation needs a credential",
        "route": "GET /either",
        "errors": [],
    }
    session = shop.get("/session")
    assert (session.status_code, session.json()) == (401, {"message": "log in first"})
    assert session.headers["WWW-Authenticate"].startswith("ApiKey")


def test_recursive_schemas_give_bounded_values(shop):
    tree = shop.get("/tree").json()
    depth, node = 0, tree
    while node.get("children"):
        node, depth = node["children"][0], depth + 1
    assert "name" in tree and depth < 10


def test_no_content_and_colliding_paths(shop):
    gone = shop.request("DELETE", "/pets/3")
    assert gone.status_code == 204 and gone.content == b""
    assert any("/a/{y}" in w and "skipped" in w for w in shop.server.spec.warnings)


def test_answers_are_repeatable_with_a_seed(serve):
    doc = """
        openapi: 3.1.0
        info: {title: t, version: "1"}
        paths:
          /id:
            get:
              responses:
                "200":
                  description: d
                  content: {application/json: {schema: {type: string, format: uuid}}}
    """
    first = serve(doc, seed=3).get("/id").json()
    assert first == serve(doc, seed=3).get("/id").json()
    assert first != serve(doc, seed=4).get("/id").json()


# -- the conversion, directly ---------------------------------------------------------


@pytest.mark.parametrize(
    "openapi, json_schema",
    [
        ({"type": "string", "nullable": True}, {"type": ["string", "null"]}),
        ({"enum": ["a"], "nullable": True}, {"enum": ["a", None]}),
        (
            {"$ref": "#/components/schemas/Pet", "nullable": True},
            {"anyOf": [{"$ref": "#/schemas/Pet"}, {"type": "null"}]},
        ),
        (
            {"type": "integer", "minimum": 1, "exclusiveMinimum": True},
            {"type": "integer", "exclusiveMinimum": 1},
        ),
        (
            {"type": "integer", "minimum": 1, "exclusiveMinimum": False},
            {"type": "integer", "minimum": 1},
        ),
        ({"type": "string", "example": "x"}, {"type": "string", "examples": ["x"]}),
        ({"type": "object", "required": ["a", "a"]}, {"type": "object", "required": ["a"]}),
        ({"type": "string", "pattern": "^\\p{L}+$"}, {"type": "string"}),
        ({"type": "string", "x-extra": 1, "minLength": "3"}, {"type": "string"}),
    ],
)
def test_openapi_schemas_become_json_schema_2020_12(openapi, json_schema):
    warnings = []
    assert Dialect(False, warnings.append, lambda ref: None).convert(openapi, "here") == json_schema


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^[a-f0-9]{8}-x$"},
        {"type": "string", "format": "email"},
        {"type": "string", "format": "date-time"},
        {"type": "integer", "minimum": 10, "maximum": 12, "multipleOf": 11},
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        {"type": "array", "minItems": 3, "uniqueItems": True, "items": {"type": "integer"}},
        {
            "oneOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}},
                {"type": "object", "required": ["b"], "properties": {"b": {"type": "string"}}},
            ]
        },
        {
            "allOf": [
                {"$ref": "#/schemas/Named"},
                {"type": "object", "required": ["age"], "properties": {"age": {"type": "integer"}}},
            ]
        },
        {"type": "object", "minProperties": 2, "additionalProperties": {"type": "boolean"}},
        {"const": "fixed"},
        {"type": ["null", "string"], "maxLength": 2},
    ],
)
def test_generated_values_validate_against_their_schema(schema):
    from jsonschema import Draft202012Validator

    schemas = {
        "Named": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}},
        }
    }
    value = Generator(schemas, seed=1).value(schema)
    validator = Draft202012Validator(
        {**schema, "schemas": schemas}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert validator.is_valid(value), value


def test_the_converted_spec_says_everything_with_when_conditions():
    spec, warnings = convert_document(yaml.safe_load(SHOP))
    either = next(r for r in spec["routes"] if r["path"] == "/either")
    assert (
        either["responses"][0]["when"]
        == 'not ((credential("bearer")) or (credential("apikey", "api-key", "query")))'
    )
    get_pet = next(r for r in spec["routes"] if r.get("name") == "getPet")
    assert get_pet["path"] == "/pets/{pet_id}"
    assert get_pet["path_params"]["properties"] == {"pet_id": {"type": "integer"}}


# -- the command line --------------------------------------------------------------------


def test_validate_and_routes_take_a_document_and_print_its_warnings(write_spec):
    path = write_spec(SHOP, name="shop.yaml")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0
    assert "ok (15 routes)" in result.output  # 2 answer methods /pets/mine lacks
    assert "warning: GET /a/{y}: same URL as GET /a/{x}; skipped" in result.output


def test_import_writes_a_valid_spec_that_answers_the_same(write_spec, serve, tmp_path):
    document = write_spec(SHOP, name="shop.yaml")
    target = tmp_path / "spec.yaml"
    result = CliRunner().invoke(main, ["import", str(document), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "spec.yaml: written (15 routes, 1 warning)" in result.output
    assert CliRunner().invoke(main, ["validate", str(target)]).exit_code == 0
    direct, imported = serve(document), serve(target)
    for path, headers in [
        ("/pets", TRACE),
        ("/pets", {**TRACE, "Accept": "application/xml"}),
        ("/pets/3", {"Prefer": "code=404"}),
        ("/tree", {}),
        ("/either", {}),
    ]:
        one, two = direct.get(path, headers=headers), imported.get(path, headers=headers)
        assert (one.status_code, one.content, one.headers.get("Content-Type")) == (
            two.status_code,
            two.content,
            two.headers.get("Content-Type"),
        )


def test_import_refuses_a_file_that_is_already_a_spec(write_spec, tmp_path):
    path = write_spec("mockserve: 1\nroutes: []\n")
    result = CliRunner().invoke(main, ["import", str(path), "-o", str(tmp_path / "out.yaml")])
    assert result.exit_code == 2
    assert "already a mockserve spec: `mockserve run" in result.output
    assert not (tmp_path / "out.yaml").exists()


def test_import_says_when_it_cannot_write_the_spec(write_spec, tmp_path):
    path = write_spec(json.dumps({"openapi": "3.0.0", "paths": {}}), name="empty.json")
    out = tmp_path / "no-such-folder" / "out.yaml"
    result = CliRunner().invoke(main, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr == f"{out}: cannot write: No such file or directory\n"


NOPE = {"$ref": "#/nope"}


def test_a_broken_document_is_a_clear_error(write_spec):
    path = write_spec(
        json.dumps({"openapi": "3.0.0", "paths": {"/x": {"get": {"responses": {"200": NOPE}}}}}),
        name="broken.json",
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0
    assert "$ref '#/nope' cannot be followed" in result.output


# -- the helpers, in a plain spec ---------------------------------------------------------


def test_prefer_accepts_and_credential_work_in_any_spec(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /report
            responses:
              - when: not credential('bearer')
                status: 401
                headers: {WWW-Authenticate: Bearer}
              - when: accepts('text/csv', 'application/json') == 'text/csv'
                status: "{{ (prefer('code') or 200) | int }}"
                text: "a,b"
              - json: {user: "{{ credential('bearer') }}", wanted: "{{ prefer('example') }}"}
    """)
    assert live.get("/report").status_code == 401
    auth = {"Authorization": "Bearer ann"}
    csv = live.get("/report", headers={**auth, "Accept": "text/csv", "Prefer": "code=203"})
    assert (csv.status_code, csv.text) == (203, "a,b")
    plain = live.get(
        "/report", headers={**auth, "Accept": "application/json", "Prefer": "example=x"}
    )
    assert plain.json() == {"user": "ann", "wanted": "x"}


def test_a_templated_status_that_is_not_a_status_is_a_500(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /s
            response: {status: "{{ query.s }}"}
    """)
    assert live.get("/s?s=418").status_code == 418
    broken = live.get("/s?s=teapot")
    assert broken.status_code == 500 and "is not an HTTP status" in json.dumps(broken.json())


def test_deep_objects_still_get_their_minimum_of_properties():
    from jsonschema import Draft202012Validator

    closed = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {"flag": {"type": "boolean"}},
    }
    schema = closed
    for _ in range(6):  # deeper than optional properties are filled in
        schema = {"type": "object", "required": ["inner"], "properties": {"inner": schema}}
    value = Generator({}, seed=1).value(schema)
    assert Draft202012Validator(schema).is_valid(value), value


X = "/x"


def _answering(schema):
    return {"get": {"responses": {"200": {"content": {"application/json": {"schema": schema}}}}}}


@pytest.mark.parametrize(
    "paths, routes, warning",
    [
        (None, 0, None),
        ({X: None}, 0, None),
        ({X: {"get": "oops"}}, 0, None),
        ({X: {"get": {"responses": {"200": "oops"}}}}, 1, None),
        ({X: {"get": {"parameters": {"a": 1}}}}, 1, None),
        ({"x": {"get": {}}}, 0, "a path must start with '/'"),
        ({"/x/{a": {"get": {}}}, 0, "unbalanced braces in path; not served"),
        ({"/x/{a}/{a}": {"get": {}}}, 1, None),
        ({X: _answering({"$ref": "#/components/schemas/Missing"})}, 1, "no value fits the schema"),
        ({X: _answering({"$ref": "other.yaml#/X"})}, 1, "cannot be followed"),
        ({X: _answering({"type": "string", "pattern": "(a"})}, 1, "is not a regex Python can use"),
        ({X: {"get": {"security": [{"nope": []}]}}}, 1, "security scheme 'nope' is not declared"),
        ({"/__mockserve/x": {"get": {}}}, 0, "under the admin path"),
    ],
)
def test_broken_documents_load_with_warnings_never_a_crash(write_spec, paths, routes, warning):
    from mockserve import load_spec

    document = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": paths}
    spec = load_spec(write_spec(json.dumps(document), name="doc.json"))
    assert len(spec.routes) == routes
    if warning:
        assert any(warning in w for w in spec.warnings), spec.warnings
