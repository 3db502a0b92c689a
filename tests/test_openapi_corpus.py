"""Serving the 23 real OpenAPI documents of the corpus, over real HTTP.

Each document is loaded and served once per module. For each, a sample of operations
(all of them for the small documents) gets a valid request built from the document;
the answer must carry the status the document declares first (lowest 2xx, ...) and a
body that is the document's example or validates against its response schema.
"""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from openapi_corpus import (
    CORPUS,
    DOCUMENTS,
    LARGE,
    RequestMaker,
    corpus,  # noqa: F401 - the fixture needs_corpus uses: fails when the corpus is missing
    needs_corpus,
    operations,
    read_document,
    response_validator,
)

from mockserve.app import create_app
from mockserve.cli import main
from mockserve.openapi import openapi_spec
from mockserve.serve import Runner
from mockserve.spec.format import format_validator
from mockserve.spec.loader import Loader

pytestmark = needs_corpus
LARGE_30 = {"github-api.github.com.json", "apisguru-kubernetes.json", "stripe-spec3.yaml"}
SAMPLE = 30  # operations per large or mid-size document; every operation of the small ones


class Served:
    def __init__(self, name: str):
        self.name = name
        loader = Loader(CORPUS / name)
        self.data, self.warnings, self.spec = openapi_spec(loader.read_main(), loader)
        self.server = Runner(create_app(self.spec), host="127.0.0.1", port=0)
        self.server.start()
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)  # a declared 302 points elsewhere
        return self.session.request(method, self.server.url + path, timeout=10, **kwargs)


@pytest.fixture(scope="module")
def served():
    """Serve a corpus document, once per module: `served("oai-petstore.yaml")`."""
    cache: dict[str, Served] = {}

    def get(name: str) -> Served:
        if name not in cache:
            cache[name] = Served(name)
        return cache[name]

    yield get
    for item in cache.values():
        item.server.stop()


def _sample(ops: list, name: str) -> list:
    if name not in LARGE and len(ops) <= 80:
        return ops
    step = max(1, len(ops) // SAMPLE)
    return ops[::step][:SAMPLE]


def _check_answer(document, op, response) -> None:
    expected = op.expected_status()
    assert response.status_code == expected, (op, response.status_code, response.text[:300])
    code = op.expected_code()
    declared = op.responses().get(code) if code else None
    content = (declared or {}).get("content") or {}
    if not content or expected in (204, 304):
        assert not response.content or expected not in (204, 304)
        return
    media = response.headers.get("Content-Type", "").split(";")[0]
    key = next((k for k in content if k.split(";")[0].strip() == media), None)
    if key is None:  # a wildcard type (*/*, image/*) was declared
        assert any("*" in k for k in content), (op, media, list(content))
        return
    obj = content[key] or {}
    if "json" not in media or not ("schema" in obj or "example" in obj or obj.get("examples")):
        return
    body = response.json()
    example = _NONE
    if "example" in obj:
        example = obj["example"]
    elif obj.get("examples"):
        example = op.deref(next(iter(obj["examples"].values()))).get("value")
    if example is not _NONE and body == example:
        return
    # no example, or one that fails its own schema (never the answer): a value that fits
    assert "schema" in obj, op
    validator = response_validator(document, op, code, key)
    if example is not _NONE:
        assert list(validator.iter_errors(example)), (op, "a valid example was not the answer")
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, (op, errors[:3], response.text[:300])


_NONE = object()
ADDED = ("(not declared)", "(allowed methods)")  # path items first: see path_items.py


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_document_serves_its_operations(served, name):
    document = read_document(name)
    live = served(name)
    ops = operations(document)
    # every operation is a route; the others answer a concrete path's undeclared methods
    own = [r for r in live.spec.routes if not r.name.endswith(ADDED)]
    assert len(own) == len(ops)
    maker = RequestMaker(document)
    checked = 0
    for op in _sample(ops, name):
        call = maker.request(op)
        if call is None:
            continue
        response = live.request(op.method, call.pop("path"), **call)
        _check_answer(document, op, response)
        checked += 1
    assert checked >= len(_sample(ops, name)) * 0.5  # most operations can be called


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_spec_made_of_each_document_is_valid_in_the_spec_format(served, name):
    """What `mockserve import` writes passes the format's own schema (serving skips that pass)."""
    data = served(name).data
    errors = [e.message for e in format_validator(None).iter_errors(data)]
    assert errors == []
    if name not in LARGE_30:  # 3.0 documents at scale: the same dialect, checked on the others
        schemas = list(data.get("schemas", {}).values())
        for route in data["routes"]:
            body = route.get("body")
            schemas += [route.get(k) for k in ("query", "headers", "path_params") if k in route]
            schemas += [
                b["schema"]
                for b in (body if isinstance(body, list) else [body] if body else [])
                if "schema" in b
            ]
        meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
        assert [e.message for s in schemas for e in meta.iter_errors(s)] == []


def test_the_mega_document_serves_an_operation_without_responses(served):
    live = served("oai-31-mega.yaml")
    assert [r.path for r in live.spec.routes] == ["/"]
    answer = live.request("GET", "/")
    assert answer.status_code == 204 and answer.content == b""
    assert live.request("GET", "/anything").status_code == 404


def test_a_document_with_only_webhooks_starts_and_fires_them_on_request(served):
    live = served("oai-31-webhook-example.yaml")
    assert live.spec.routes == ()
    assert list(live.spec.webhooks) == ["newPet"]  # POST /__mockserve/webhooks/newPet
    assert live.request("POST", "/newPet").status_code == 404


def test_openai_is_invalid_as_shipped_but_still_loads(served):
    live = served("openai.yaml")
    assert any("duplicate names in 'required'" in w for w in live.spec.warnings)
    # `/responses?beta=true` is served beside `/responses`, chosen by `beta=true`
    shared = "POST /responses: 2 operations told apart by a value in their path key share"
    assert any(w.startswith(shared) for w in live.spec.warnings)
    answer = live.request("GET", "/models", headers={"Authorization": "Bearer sk-test"})
    assert answer.status_code == 200


def test_github_two_parameters_in_one_segment(served):
    live = served("github-api.github.com.json")
    answer = live.request("GET", "/repos/octo/hello/compare/main...feature")
    assert answer.status_code == 200
    assert "base_commit" in answer.json()


def test_twilio_suffix_templates_and_basic_auth(served):
    live = served("twilio-api-v2010.yaml")
    path = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef.json"
    refused = live.request("GET", path)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Basic")
    assert (
        live.request("GET", path, headers={"Authorization": "Basic not-base64!"}).status_code == 401
    )
    good = live.request("GET", path, auth=("AC123", "token"))
    assert good.status_code == 200 and isinstance(good.json(), dict)


def test_twilio_form_fields_are_converted_to_their_types(served):
    live = served("twilio-api-v2010.yaml")
    path = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json"
    auth = ("AC123", "token")
    bad = live.request(
        "POST",
        path,
        auth=auth,
        data={
            "To": "+15555550100",
            "From": "+15555550101",
            "Url": "https://x.test",
            "Timeout": "soon",
        },
    )
    assert bad.status_code == 422
    assert {"in": "body", "path": "/Timeout"}.items() <= bad.json()["errors"][0].items()
    good = live.request(
        "POST",
        path,
        auth=auth,
        data={
            "To": "+15555550100",
            "From": "+15555550101",
            "Url": "https://x.test",
            "Timeout": "30",
        },
    )
    assert good.status_code == 201


def test_box_fragment_paths_share_one_route(served):
    live = served("apisguru-box.json")
    assert any("#add_shared_link" in w for w in live.spec.warnings)
    answer = live.request("GET", "/files/123", headers={"Authorization": "Bearer t"})
    assert answer.status_code == 200


def test_github_invalid_query_names_the_parameter(served):
    live = served("github-api.github.com.json")
    answer = live.request("GET", "/repos/octo/hello/pulls", params={"per_page": "lots"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"in": "query", "path": "/per_page", "message": "'lots' is not of type 'integer'"}
    ]


def test_spotify_uses_its_own_401_for_a_missing_token(served):
    live = served("spotify-fixed.yaml")
    answer = live.request("GET", "/albums/4aawyAB9vmqN3uQ7FjRGTy")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" in answer.json() and "route" not in answer.json()  # the document's own


def test_adyen_named_examples_by_prefer(served):
    live = served("adyen-checkout-v71.yaml")
    headers = {"X-API-Key": "key", "Content-Type": "application/json"}
    document = read_document("adyen-checkout-v71.yaml")
    examples = document["paths"]["/paymentLinks/{linkId}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["examples"]
    name, example = next(iter(examples.items()))
    answer = live.request(
        "GET", "/paymentLinks/PL123", headers={**headers, "Prefer": f"example={name}"}
    )
    assert answer.status_code == 200
    assert answer.json() == live_value(document, example)


def live_value(document, example):
    if "$ref" in example:
        target = document
        for part in example["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/")]
        example = target
    return example["value"]


LOAD_ROUND_TRIP = [
    "oai-petstore.yaml",
    "oai-petstore-expanded.yaml",
    "oai-api-with-examples.yaml",
    "swagger-petstore3.yaml",
    "apisguru-httpbin.json",
    "adyen-recurring-v68.yaml",
    "spotify-fixed.yaml",
    "oai-31-mega.yaml",
]


@pytest.mark.parametrize("name", LOAD_ROUND_TRIP)
def test_import_round_trip_serves_the_same_answers(served, name, tmp_path):
    written = tmp_path / "imported.yaml"
    result = CliRunner().invoke(main, ["import", str(CORPUS / name), "-o", str(written)])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["validate", str(written)]).exit_code == 0
    document = read_document(name)
    direct = served(name)
    imported = Runner(create_app(written), host="127.0.0.1", port=0)
    imported.start()
    try:
        maker = RequestMaker(document)
        for op in _sample(operations(document), name)[:25]:
            call = maker.request(op)
            if call is None:
                continue
            path = call.pop("path")
            one = direct.request(op.method, path, **call)
            two = requests.request(op.method, imported.url + path, timeout=10, **call)
            assert (one.status_code, one.content) == (two.status_code, two.content), op
            assert one.headers.get("Content-Type") == two.headers.get("Content-Type")
    finally:
        imported.stop()


def test_github_path_parameters_behind_a_ref_are_converted(served):
    live = served("github-api.github.com.json")
    assert live.request("GET", "/repos/o/r/code-scanning/alerts/42").status_code == 200
    bad = live.request("GET", "/repos/o/r/code-scanning/alerts/forty-two")
    assert bad.json()["errors"][0]["path"] == "/alert_number"


def test_github_declared_framing_headers_are_not_copied(served):
    live = served("github-api.github.com.json")
    answer = live.request("POST", "/markdown", json={"text": "Hello **world**"})
    assert answer.status_code == 200
    assert int(answer.headers["Content-Length"]) == len(answer.content)


def test_github_redirects_are_served_as_declared(served):
    live = served("github-api.github.com.json")
    answer = live.request("GET", "/repos/o/r/actions/jobs/1/logs")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("https://")


def test_stripe_deep_object_parameters_are_checked(served):
    live = served("stripe-spec3.yaml")
    assert not any("deepObject" in w for w in live.spec.warnings)
    auth = {"Authorization": "Bearer sk_test"}
    answer = live.request("GET", "/v1/apps/secrets?scope[type]=account", headers=auth)
    assert answer.status_code == 200
    assert answer.json()["object"] == "list"
    wrong = live.request("GET", "/v1/apps/secrets?scope[type]=galaxy", headers=auth)
    assert wrong.status_code == 422
    assert [e["path"] for e in wrong.json()["errors"]] == ["/scope/type"]


def test_box_a_declared_options_operation_answers_itself(served):
    live = served("apisguru-box.json")
    answer = live.request("OPTIONS", "/events", headers={"Authorization": "Bearer t"})
    assert answer.status_code == 200
    assert "entries" in answer.json()
