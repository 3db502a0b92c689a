"""OpenAPI documents served as they say, found by running real ones: each case is a
trimmed piece of a real document (source noted in its fixture)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import requests
import yaml

from mockserve import MockServer
from mockserve.loading import load_spec

READ_ONLY = """\
openapi: {version}
info: {{title: read-only properties, version: "1"}}
paths:
  /users:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/User'}}
      responses:
        "201":
          description: made
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/User'}}
components:
  schemas:
    User:
      type: object
      required: [id, name]
      properties:
        id: {{type: integer, readOnly: true}}
        name: {{type: string}}
"""


def served(path, *, lazy: bool = True) -> MockServer:
    """The document as `mockserve run` serves it: each route compiled on its first call."""
    return MockServer(load_spec(path, lazy=lazy))


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_body_ref_to_a_schema_with_read_only_properties_is_served(tmp_path, version):
    path = tmp_path / "users.yaml"
    path.write_text(READ_ONLY.format(version=version))
    with served(path) as server:
        made = requests.post(server.url + "/users", json={"name": "Ada"}, timeout=10)
        assert made.status_code == 201, made.text
        refused = requests.post(server.url + "/users", json={"id": 1}, timeout=10)
        assert refused.status_code == 422  # `name` is still required


# Trimmed from VTEX's CMS API (APIs.guru vtex.local/CMS-API): a path with a trailing slash
# beside a templated sibling one segment longer.
TRAILING_SLASH = """\
openapi: 3.0.3
info: {title: trailing slash, version: "1"}
paths:
  /_v/cms/api/{builderId}/:
    get:
      parameters:
        - {name: builderId, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: all, content: {application/json: {example: {which: all}}}}
  /_v/cms/api/{builderId}/{content-type}:
    get:
      parameters:
        - {name: builderId, in: path, required: true, schema: {type: string}}
        - {name: content-type, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: one, content: {application/json: {example: {which: one}}}}
  /items/:
    get:
      responses:
        "200": {description: all, content: {application/json: {example: {which: items}}}}
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: one, content: {application/json: {example: {which: item}}}}
"""


@pytest.mark.parametrize(
    "path, status, answer",
    [
        ("/_v/cms/api/faststore/", 200, {"which": "all"}),
        ("/_v/cms/api/faststore/page", 200, {"which": "one"}),
        ("/items/", 200, {"which": "items"}),
        ("/items/7", 200, {"which": "item"}),
    ],
)
def test_a_literal_or_shorter_path_wins_over_a_parameter_matched_by_nothing(
    trailing_slash, path, status, answer
):
    got = requests.get(trailing_slash.url + path, timeout=10)
    assert (got.status_code, got.json()) == (status, answer)


def test_a_parameter_matched_by_nothing_is_still_named_missing(trailing_slash):
    got = requests.get(trailing_slash.url + "/_v/cms/api//page", timeout=10)
    assert got.status_code == 422
    assert "'builderId' is a required property" in got.text


@pytest.fixture(scope="module")
def trailing_slash(tmp_path_factory):
    path = tmp_path_factory.mktemp("slash") / "cms.yaml"
    path.write_text(TRAILING_SLASH)
    with served(path) as server:
        yield server


SPECS = Path(__file__).resolve().parent / "specs" / "openapi"


def test_a_pattern_that_needs_a_line_feed_and_allows_32768_characters_loads_and_answers():
    document = SPECS / "aws-acm-trimmed.yaml"
    schemas = yaml.safe_load(document.read_text())["components"]["schemas"]
    with served(document, lazy=False) as server:  # everything generated at load
        answer = requests.post(
            server.url + "/",
            headers={"X-Amz-Target": "CertificateManager.GetCertificate"},
            json={"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/1"},
            timeout=10,
        )
    assert answer.status_code == 200, answer.text
    for name, schema in (("Certificate", "CertificateBody"), ("CertificateChain", None)):
        pattern = schemas[schema or name]["pattern"]
        assert re.search(pattern, answer.json()[name]), answer.json()[name]
        assert "\n" in answer.json()[name]


# A `type` that is no type name, as in codat's documents (APIs.guru codat.io): a schema
# written where its property name should be.
NOT_A_TYPE = """\
openapi: 3.0.3
info: {title: not a type, version: "1"}
paths:
  /things:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [kind]
                properties:
                  kind:
                    type: {type: string, enum: [a, b]}
                  mixed:
                    type: [string, [integer]]
"""


def test_a_type_that_is_no_type_name_is_warned_about_not_a_type_error(tmp_path):
    path = tmp_path / "codat.yaml"
    path.write_text(NOT_A_TYPE)
    spec = load_spec(path)
    said = '\'type\' {"type": "string", "enum": ["a", "b"]} is not a type name; ignored'
    assert any(said in warning for warning in spec.warnings), spec.warnings
    with served(path) as server:
        answer = requests.get(server.url + "/things", timeout=10)
    assert answer.status_code == 200
    assert "kind" in answer.json()


# The AWS query protocol's keys (APIs.guru amazonaws.com/ec2 and /autoscaling, trimmed):
# every operation at `/`, told apart by the `Action` its clients send in the query (GET)
# or in a form body (POST), and the JSON protocol's `X-Amz-Target` header.
def _operation(name: str, method: str) -> dict:
    answer = {"content": {"application/json": {"example": {"operation": name, "via": method}}}}
    operation: dict = {"operationId": f"{method.upper()}{name}", "responses": {"200": answer}}
    if method == "get":
        operation["parameters"] = [
            {"name": "Action", "in": "query", "required": True,
             "schema": {"type": "string", "enum": [name]}},
        ]  # fmt: skip
    else:
        form = {"type": "object", "properties": {"Action": {"type": "string"}}}
        operation["requestBody"] = {
            "content": {"application/x-www-form-urlencoded": {"schema": form}}
        }
    return operation


def _selector_document(actions: list[str]) -> dict:
    paths: dict = {}
    for name in actions:
        paths[f"/#Action={name}"] = {m: _operation(name, m) for m in ("get", "post")}
    for key, example in (
        ("/#X-Amz-Target=Certificates.GetCertificate", {"target": 1}),
        ("/weather?city_id={city_id}", {"by": "city"}),
        ("/weather?q={q}", {"by": "q"}),
        ("/things?archived", {"by": "bare"}),
        ("/things?kind=a&size=b", {"by": "two"}),
        ("/things?kind=a", {"by": "one"}),
    ):
        method = "post" if "Amz" in key else "get"
        answer = {"content": {"application/json": {"example": example}}}
        paths[key] = {method: {"responses": {"200": answer}}}
    return {"openapi": "3.0.3", "info": {"title": "selectors", "version": "1"}, "paths": paths}


ACTIONS = [f"Action{number:03d}" for number in range(300)] + ["AttachInstances"]


@pytest.fixture(scope="module")
def selectors(tmp_path_factory):
    path = tmp_path_factory.mktemp("aws") / "aws.json"
    path.write_text(json.dumps(_selector_document(ACTIONS)))
    with served(path) as server:
        yield server


ATTACH = {"operation": "AttachInstances"}
AMZ_TARGET = {"X-Amz-Target": "Certificates.GetCertificate"}


@pytest.mark.parametrize(
    "method, target, options, expected",
    [
        ("GET", "/?Action=AttachInstances&Version=2016-11-15", {}, {**ATTACH, "via": "get"}),
        ("POST", "/", {"data": {"Action": "AttachInstances", "Version": "2016"}}, None),
        ("POST", "/", {"data": {"Action": "AttachInstances"}}, {**ATTACH, "via": "post"}),
        ("POST", "/", {"data": {"Action": "Action007"}}, {"operation": "Action007", "via": "post"}),
        ("GET", "/?Action=Action299", {}, {"operation": "Action299", "via": "get"}),
        ("POST", "/", {"headers": AMZ_TARGET, "json": {}}, {"target": 1}),
        ("GET", "/weather?city_id=5", {}, {"by": "city"}),
        ("GET", "/weather?q=paris", {}, {"by": "q"}),
        ("GET", "/things?archived", {}, {"by": "bare"}),
        ("GET", "/things?archived=true", {}, {"by": "bare"}),
        ("GET", "/things?kind=a&size=b", {}, {"by": "two"}),
        ("GET", "/things?kind=a", {}, {"by": "one"}),
    ],
)
def test_operations_told_apart_by_a_path_key_value_answer_as_their_clients_send_them(
    selectors, method, target, options, expected
):
    answer = requests.request(method, selectors.url + target, timeout=10, **options)
    assert answer.status_code == 200, answer.text
    if expected is not None:
        assert answer.json() == expected


def test_a_value_no_operation_is_told_apart_by_is_the_404_naming_the_choices(selectors):
    answer = requests.get(selectors.url + "/?Action=Nothing", timeout=10)
    assert answer.status_code == 404
    (why,) = answer.json()["errors"]
    assert 'param("Action") == "Action000" is false' in why["why"]
    assert why["why"].endswith(" more")  # not all 2,000 conditions in one answer


def test_sampled_answers_keep_to_their_own_document():
    document = SPECS / "sampled-answers.yaml"
    with served(document) as server:
        answer = requests.get(server.url + "/accounts/7", timeout=10)
    assert answer.status_code == 200, answer.text
    account = answer.json()
    assert "secret" not in account  # writeOnly, through its $ref
    assert str(uuid.UUID(account["id"])) == account["id"]
    assert datetime.fromisoformat(account["created"].replace("Z", "+00:00"))
    assert isinstance(account["kind"], dict) and "name" in account["kind"]  # the $ref's type
    assert all(str(uuid.UUID(a)) == a for a in account["aliases"])
    # no date-time is 10 characters long: the format is kept, not "string"
    assert datetime.fromisoformat(account["expires"].replace("Z", "+00:00"))
    # `example: "many"` is no integer: not sent as the header's value
    assert answer.headers.get("X-Rate-Limit", "0").isdigit()


def test_a_document_too_large_to_load_in_time_is_refused_at_once(tmp_path):
    from mockserve.errors import SpecError
    from mockserve.spec.loader import MAX_FILE_BYTES

    huge = tmp_path / "graph.yaml"
    with huge.open("wb") as handle:  # sparse: no disk is used, nothing is read
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(SpecError) as refused:
        load_spec(huge, lazy=True)
    assert "it is 256.0 MB and 1 byte; mockserve reads files of up to 256 MB" in str(refused.value)
