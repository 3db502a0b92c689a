"""What else an OpenAPI user expects of the mock (spec format 1.1), each over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path("/work/shared/corpus/openapi")


# -- Prefer asks for what the document does not have -------------------------------------

PREFER = """
openapi: 3.0.3
info: {title: prefer, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              examples:
                rex: {value: {name: Rex}}
                tom: {value: {name: Tom}}
        "404":
          description: missing
          content: {application/json: {example: {message: no such pet}}}
  /ranged:
    get:
      responses:
        "200": {description: ok, content: {application/json: {example: {ok: true}}}}
        4XX:
          description: client error
          content: {application/json: {example: {from: range}}}
        default:
          description: anything else
          content: {application/json: {example: {from: default}}}
"""


@pytest.fixture
def prefer(serve):
    return serve(PREFER)


@pytest.mark.parametrize(
    "asked, message",
    [
        ("code=500", "Prefer: code=500 is not declared by this operation (declared: 200, 404)"),
        ("code=teapot", "Prefer: code=teapot is not declared by this operation"),
        ("example=max", "Prefer: example=max is not declared by this operation"),
        ("code=404, example=rex", "Prefer: example=rex is not declared by this operation"),
    ],
)
def test_prefer_for_what_is_not_declared_is_a_404_naming_it(prefer, asked, message):
    answer = prefer.get("/pets", headers={"Prefer": asked})
    assert answer.status_code == 404
    body = answer.json()
    assert body["error"].startswith(message) and body["route"] == "GET /pets"
    assert body["errors"][0]["in"] == "headers" and body["errors"][0]["path"] == "/prefer"


def test_the_404_lists_the_named_examples_there_are(prefer):
    body = prefer.get("/pets", headers={"Prefer": "example=max"}).json()
    assert body["error"].endswith("(named examples: rex, tom)")
    tom = prefer.get("/pets", headers={"Prefer": "example=tom"})
    assert (tom.status_code, tom.json()) == (200, {"name": "Tom"})


@pytest.mark.parametrize(
    "code, answer",
    [("418", {"from": "range"}), ("400", {"from": "range"}), ("503", {"from": "default"})],
)
def test_a_range_covers_its_codes_before_default(prefer, code, answer):
    got = prefer.get("/ranged", headers={"Prefer": f"code={code}"})
    assert (got.status_code, got.json()) == (int(code), answer)


# -- media types with parameters --------------------------------------------------------

MEDIA = """
openapi: 3.1.0
info: {title: media, version: "1"}
paths:
  /charset:
    get:
      responses:
        "200":
          description: ok
          content:
            "application/json; charset=utf-8": {example: {charset: true}}
  /versioned:
    post:
      requestBody:
        content:
          "application/vnd.shop+json; version=1":
            schema: {type: object, required: [n], properties: {n: {type: integer}}}
      responses:
        "200":
          description: ok
          content:
            "application/vnd.shop+json; version=1": {example: {versioned: true}}
            "not a media type": {example: nope}
"""


@pytest.mark.parametrize(
    "path, accept",
    [
        ("/charset", "application/json; charset=utf-8"),
        ("/charset", "application/json"),
        ("/charset", None),
    ],
)
def test_media_types_match_without_their_parameters(serve, path, accept):
    live = serve(MEDIA)
    answer = live.get(path, headers={"Accept": accept} if accept else {})
    assert (answer.status_code, answer.json()) == (200, {"charset": True})
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_versioned_json_type_and_a_key_that_is_no_media_type(serve):
    live = serve(MEDIA)
    media = "application/vnd.shop+json; version=1"
    answer = live.post(
        "/versioned", data='{"n": 1}', headers={"Content-Type": media, "Accept": media}
    )
    assert (answer.status_code, answer.json()) == (200, {"versioned": True})
    bad = live.post("/versioned", data='{"n": "x"}', headers={"Content-Type": media})
    assert bad.status_code == 422
    assert any("'not a media type' is not a media type" in w for w in live.server.spec.warnings)


# -- invalid requests in the document's own words ----------------------------------------

OWN_WORDS = """
openapi: 3.0.3
info: {title: errors, version: "1"}
paths:
  /unprocessable:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [n], properties: {n: {type: integer}}}
      responses:
        "201": {description: ok}
        "422":
          description: invalid
          content:
            application/json:
              examples:
                missing: {value: {code: missing_field}}
                wrong: {value: {code: wrong_type}}
  /bad:
    get:
      parameters:
        - {name: n, in: query, required: true, schema: {type: integer}}
      responses:
        "200": {description: ok}
        "400":
          description: bad
          content: {application/json: {example: {code: bad_request}}}
        default:
          description: other
          content: {application/json: {example: {code: other}}}
  /plain:
    get:
      parameters:
        - {name: n, in: query, required: true, schema: {type: integer}}
      responses:
        "200": {description: ok}
        "400": {description: no example, content: {application/json: {schema: {type: object}}}}
"""


@pytest.mark.parametrize(
    "path, kwargs, status, body",
    [
        ("/unprocessable", {"json": {}}, 422, {"code": "missing_field"}),
        (
            "/unprocessable",
            {"json": {}, "headers": {"Prefer": "code=422, example=wrong"}},
            422,
            {"code": "wrong_type"},
        ),
        ("/bad?n=x", {}, 400, {"code": "bad_request"}),
    ],
)
def test_an_invalid_request_gets_the_documents_error_example(serve, path, kwargs, status, body):
    live = serve(OWN_WORDS)
    method = "POST" if path == "/unprocessable" else "GET"
    answer = live.request(method, path, **kwargs)
    assert (answer.status_code, answer.json()) == (status, body)
    entry = live.server.journal[-1]
    assert entry.failures and entry.status == status


def test_without_an_error_example_the_servers_own_422(serve):
    live = serve(OWN_WORDS)
    answer = live.get("/plain?n=x")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "/n"
    assert live.get("/plain?n=1").status_code == 200


def test_a_route_level_errors_key_in_a_plain_spec(serve):
    live = serve("""
        mockserve: 1
        errors:
          422: {json: {spec: wide}}
        routes:
          - path: /own
            query: {type: object, required: [q]}
            errors:
              422:
                - when: prefer('example') == 'short'
                  status: 400
                  json: {short: true}
                - json: {problems: "{{ errors | length }}"}
            response: {json: {ok: true}}
          - path: /shared
            query: {type: object, required: [q]}
            response: {json: {ok: true}}
    """)
    own = live.get("/own")
    assert (own.status_code, own.json()) == (422, {"problems": 1})
    short = live.get("/own", headers={"Prefer": "example=short"})
    assert (short.status_code, short.json()) == (400, {"short": True})
    shared = live.get("/shared")
    assert (shared.status_code, shared.json()) == (422, {"spec": "wide"})


def test_adyen_answers_an_invalid_request_with_its_own_422_example(serve):
    live = serve(CORPUS / "adyen-recurring-v68.yaml")
    answer = live.post("/scheduleAccountUpdater", json={})
    assert answer.status_code == 422
    assert answer.json()["message"] == "RecurringShopper not found"
    assert live.server.journal[-1].failures


# -- paths as written -------------------------------------------------------------------

PATHS = """
openapi: 3.0.3
info: {title: paths, version: "1"}
paths:
  /a b/{id}:
    get: {responses: {"200": {description: ok, content: {application/json: {example: space}}}}}
  /pipe|x:
    get: {responses: {"200": {description: ok, content: {application/json: {example: pipe}}}}}
  /lt<gt>/{id}:
    get: {responses: {"200": {description: ok, content: {application/json: {example: angle}}}}}
  /gt>:
    get: {responses: {"200": {description: ok, content: {application/json: {example: gt}}}}}
  /v1/{name}:frobnicate:
    get: {responses: {"200": {description: ok, content: {application/json: {example: colon}}}}}
  /x-y/{a}-{b}:
    get: {responses: {"200": {description: ok, content: {application/json: {example: dash}}}}}
"""


@pytest.mark.parametrize(
    "path, answer",
    [
        ("/a%20b/1", "space"),
        ("/pipe|x", "pipe"),
        ("/lt%3Cgt%3E/1", "angle"),
        ("/gt%3E", "gt"),
        ("/v1/n:frobnicate", "colon"),
        ("/x-y/1-2", "dash"),
    ],
)
def test_paths_are_served_as_written(serve, path, answer):
    live = serve(PATHS)
    got = live.get(path)
    assert (got.status_code, got.json()) == (200, answer)
    assert live.server.spec.warnings == ()


ARNS = """
openapi: 3.0.3
info: {title: arns, version: "1"}
paths:
  /arns/{arn}/tags:
    get:
      parameters:
        - {name: arn, in: path, required: true, schema: {type: string, minLength: 1}}
      responses:
        "200":
          description: the tags
          content:
            application/json:
              schema: {type: object}
              example: {tags: []}
"""


def test_an_encoded_slash_stays_inside_its_parameter(serve):
    live = serve(ARNS)
    answer = live.get("/arns/arn:aws:s3%2Fbucket%2Fkey/tags")
    assert answer.status_code == 200
    assert live.server.journal[-1].route == "GET /arns/{arn}/tags"


def test_a_missing_path_parameter_is_a_422_naming_it(serve):
    live = serve(ARNS)
    answer = live.get("/arns//tags")
    assert answer.status_code == 422
    [failure] = answer.json()["errors"]
    assert failure["in"] == "path"
    assert "arn" in failure["message"] or failure["path"] == "/arn"


# -- readOnly, writeOnly, discriminator ----------------------------------------------------

MODELS = """
openapi: 3.0.3
info: {title: models, version: "1"}
components:
  schemas:
    Pet:
      type: object
      required: [id, name, petType, secret]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        petType: {type: string}
        secret: {type: string, writeOnly: true}
      discriminator:
        propertyName: petType
        mapping: {kitty: "#/components/schemas/Cat"}
    Cat:
      allOf:
        - $ref: "#/components/schemas/Pet"
        - {type: object, properties: {purrs: {type: boolean}}}
    Dog:
      allOf:
        - $ref: "#/components/schemas/Pet"
        - {type: object, properties: {barks: {type: boolean}}}
    AnyPet:
      oneOf:
        - $ref: "#/components/schemas/Dog"
        - $ref: "#/components/schemas/Cat"
      discriminator: {propertyName: petType}
paths:
  /pets:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
      responses:
        "201":
          description: created
          content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
  /cats/mine:
    get:
      responses:
        "200":
          description: a cat
          content: {application/json: {schema: {$ref: "#/components/schemas/Cat"}}}
  /any:
    get:
      responses:
        "200":
          description: one pet
          content: {application/json: {schema: {$ref: "#/components/schemas/AnyPet"}}}
"""


def test_read_only_is_not_required_in_requests_and_write_only_never_answered(serve):
    live = serve(MODELS)
    created = live.post("/pets", json={"name": "Rex", "petType": "Dog", "secret": "s"})
    assert created.status_code == 201
    assert "secret" not in created.json() and "id" in created.json()
    missing = live.post("/pets", json={"name": "Rex", "petType": "Dog"})
    assert missing.status_code == 422  # writeOnly stays required in the request


def test_a_discriminator_says_which_option_a_generated_body_is(serve):
    live = serve(MODELS)
    assert live.get("/cats/mine").json()["petType"] == "kitty"
    assert live.get("/any").json()["petType"] == "Dog"


# -- bodies and values that are hard to make -----------------------------------------------

HARD = """
openapi: 3.1.0
info: {title: hard, version: "1"}
paths:
  /overlap:
    get:
      responses:
        "200":
          description: options that overlap
          content:
            application/json:
              schema:
                oneOf:
                  - {type: object, properties: {a: {type: string}}}
                  - {type: object, properties: {b: {type: string}}}
  /values:
    get:
      responses:
        "200":
          description: values
          headers:
            X-Note: {schema: {type: string}, example: "two\\nlines"}
          content:
            application/json:
              schema:
                type: object
                required: [code, id, when, slug, dflt]
                properties:
                  code: {type: string, pattern: "^[A-Z]{3}[0-9]+$", minLength: 12, maxLength: 14}
                  id: {type: string, format: uuid, maxLength: 36}
                  when: {type: string, format: date-time, minLength: 24}
                  slug: {type: string, pattern: "^a.+z$"}
                  dflt: {type: integer, minimum: 5, default: 1}
  /wrong-example:
    get:
      responses:
        "200":
          description: an example that fails its schema
          content:
            application/json:
              schema: {type: object, required: [n], properties: {n: {type: integer}}}
              example: {n: "not a number"}
"""


def test_overlapping_options_still_answer_the_declared_media_type(serve):
    live = serve(HARD)
    answer = live.get("/overlap")
    assert answer.headers["Content-Type"] == "application/json"
    assert isinstance(answer.json(), dict)
    assert any("/overlap" in w and "overlap" in w for w in live.server.spec.warnings)


IMPOSSIBLE = """
openapi: 3.0.3
info: {title: impossible, version: "1"}
paths:
  /contradiction:
    get:
      responses:
        "200":
          description: a pattern of 5-10 letters that must be 20 long, beside a fine id
          content:
            application/json:
              schema:
                type: object
                required: [code, id]
                properties:
                  code: {type: string, pattern: "^[a-z]{5,10}$", minLength: 20}
                  id: {type: integer, minimum: 3}
"""


def test_a_schema_no_value_fits_still_answers_its_shape_with_a_warning(serve):
    live = serve(IMPOSSIBLE)
    answer = live.get("/contradiction")
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert isinstance(body["code"], str) and body["id"] >= 3
    assert any(
        "no value fits the schema" in w and "the answer has its shape" in w
        for w in live.server.spec.warnings
    )


def test_generated_values_honour_format_pattern_and_length_together(serve):
    import re
    import uuid

    live = serve(HARD)
    answer = live.get("/values")
    value = answer.json()
    assert re.search("^[A-Z]{3}[0-9]+$", value["code"]) and 12 <= len(value["code"]) <= 14
    uuid.UUID(value["id"])
    assert len(value["when"]) >= 24 and value["when"].startswith("2024-01-15T")
    assert "\n" not in value["slug"] and re.search("^a.+z$", value["slug"])
    assert value["dflt"] >= 5  # the default fails its own schema
    assert "\n" not in answer.headers["X-Note"]
    warnings = live.server.spec.warnings
    assert any("the default 1 fails its own schema" in w for w in warnings)


def test_an_example_that_fails_its_schema_is_not_the_answer(serve):
    live = serve(HARD)
    assert isinstance(live.get("/wrong-example").json()["n"], int)
    assert any("its example fails its own schema" in w for w in live.server.spec.warnings)


def test_spotify_answers_follow_their_discriminator(serve):
    live = serve(CORPUS / "spotify-fixed.yaml")
    answer = live.get("/me/player/currently-playing", headers={"Authorization": "Bearer x"})
    # no mapping, and TrackObject says `type: {enum: [track]}`: its own schema wins
    assert (answer.status_code, answer.json()["item"]["type"]) == (200, "track")


# -- operations told apart by a query or header value --------------------------------------

SELECTED = """
openapi: 3.0.3
info: {title: rpc, version: "1"}
paths:
  /?Action=DescribeInstances:
    get: {responses: {"200": {description: ok, content: {application/json: {example: {a: 1}}}}}}
  /?Action=RunInstances:
    get: {responses: {"200": {description: ok, content: {application/json: {example: {a: 2}}}}}}
  /#X-Amz-Target=Svc.List:
    post: {responses: {"200": {description: ok, content: {application/json: {example: {b: 1}}}}}}
  /#X-Amz-Target=Svc.Get:
    post: {responses: {"200": {description: ok, content: {application/json: {example: {b: 2}}}}}}
"""


@pytest.mark.parametrize(
    "method, path, headers, status, body",
    [
        ("GET", "/?Action=DescribeInstances", {}, 200, {"a": 1}),
        ("GET", "/?Action=RunInstances", {}, 200, {"a": 2}),
        ("POST", "/", {"X-Amz-Target": "Svc.List"}, 200, {"b": 1}),
        ("POST", "/", {"X-Amz-Target": "Svc.Get"}, 200, {"b": 2}),
        ("GET", "/?Action=Other", {}, 404, None),
    ],
)
def test_operations_chosen_by_a_query_or_header_value(serve, method, path, headers, status, body):
    live = serve(SELECTED)
    answer = live.request(method, path, headers=headers)
    assert answer.status_code == status
    if body is not None:
        assert answer.json() == body
    assert not any("skipped" in w for w in live.server.spec.warnings)


# -- A concrete path answers for its own methods only (path item first) -------------------

PATH_ITEMS = """
openapi: 3.0.3
info: {title: path items, version: "1"}
paths:
  /pet/findByStatus:
    get:
      responses: {"200": {description: ok, content: {application/json: {example: [1]}}}}
  /pet/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
    get:
      responses: {"200": {description: ok}}
    post:
      responses: {"200": {description: ok}}
    delete:
      responses: {"204": {description: gone}}
"""


def test_a_method_a_concrete_path_lacks_is_405_not_its_templated_sibling(serve):
    live = serve(PATH_ITEMS)

    answer = live.post("/pet/findByStatus")

    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert answer.json()["error"] == (
        "POST is not allowed on /pet/findByStatus; use GET, HEAD, OPTIONS"
    )
    assert live.get("/pet/findByStatus").json() == [1]
    assert live.post("/pet/7").status_code == 200  # the templated path keeps its methods


def test_a_method_the_document_does_not_declare_is_a_strict_violation(serve):
    live = serve(PATH_ITEMS)
    live.get("/pet/findByStatus")
    live.post("/pet/findByStatus")

    assert [str(v) for v in live.server.violations] == [
        "POST /pet/findByStatus -> 405: POST is not declared for /pet/findByStatus"
    ]


def test_options_on_a_concrete_path_lists_only_its_own_methods(serve):
    live = serve(PATH_ITEMS)

    assert live.request("OPTIONS", "/pet/findByStatus").headers["Allow"] == "GET, HEAD, OPTIONS"
    templated = set(live.request("OPTIONS", "/pet/7").headers["Allow"].split(", "))
    assert templated == {"GET", "HEAD", "POST", "DELETE", "OPTIONS"}


def test_an_imported_document_answers_undeclared_methods_the_same(write_spec, serve, tmp_path):
    from click.testing import CliRunner

    from mockserve.cli import main

    document = write_spec(PATH_ITEMS, name="doc.yaml")
    target = tmp_path / "imported.yaml"
    assert CliRunner().invoke(main, ["import", str(document), "-o", str(target)]).exit_code == 0

    answer = serve(target).request("DELETE", "/pet/findByStatus")

    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_siblings_that_differ_only_in_parameter_names_add_up(serve):
    live = serve(
        """
        openapi: 3.0.3
        info: {title: same shape, version: "1"}
        paths:
          /runs/latest: {get: {responses: {"200": {description: ok}}}}
          /runs/{run_id}: {delete: {responses: {"204": {description: gone}}}}
          /runs/{digest}: {patch: {responses: {"200": {description: ok}}}}
        """
    )
    assert not [w for w in live.server.spec.warnings if "duplicate" in w]
    answer = live.request("PATCH", "/runs/latest")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert live.request("DELETE", "/runs/latest").status_code == 405


def test_petstore3_login_and_find_by_status_refuse_their_siblings_methods(serve):
    live = serve(CORPUS / "swagger-petstore3.yaml")

    assert live.post("/pet/findByStatus?status=available").status_code == 405
    assert live.request("PUT", "/user/login").headers["Allow"] == "GET, HEAD, OPTIONS"
    assert live.request("OPTIONS", "/user/logout").headers["Allow"] == "GET, HEAD, OPTIONS"


# -- An empty upload of a declared type is a body ----------------------------------------


def test_an_empty_image_upload_is_accepted_and_a_missing_body_is_not(serve):
    live = serve(CORPUS / "spotify-fixed.yaml")
    auth = {"Authorization": "Bearer token"}

    empty = live.request(
        "PUT", "/playlists/p1/images", headers={**auth, "Content-Type": "image/jpeg"}
    )
    missing = live.request("PUT", "/playlists/p1/images", headers=auth)

    assert empty.status_code == 202
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["message"] == "a request body is required"
