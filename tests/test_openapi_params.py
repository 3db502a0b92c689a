"""OpenAPI parameters read by `style` and `explode`, and XML request bodies, over HTTP.

Each row of the table is one parameter in a one-operation document: a request the
document accepts (and what a template then sees, through the document's import), and
one it refuses with the 422 entry naming the parameter.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mockserve.openapi import convert_document

CORPUS = Path("/work/shared/corpus/openapi")

INTEGERS = {"type": "array", "items": {"type": "integer"}}
FILTER = {
    "type": "object",
    "properties": {"color": {"type": "string"}, "size": {"type": "integer"}},
}
INTEGER = {"type": "integer"}
COLOR_SIZE = {"color": "blue", "size": 3}

# style, explode, in, schema, accepted raw value, what is seen, refused raw value, 422 path
ROWS = [
    ("form", True, "query", INTEGERS, "v=1&v=2", [1, 2], "v=1&v=x", "/v/1"),
    ("form", False, "query", INTEGERS, "v=1,2", [1, 2], "v=1,x", "/v/1"),
    ("form", True, "query", FILTER, "color=blue&size=3", COLOR_SIZE, "size=M", "/v/size"),
    ("form", False, "query", FILTER, "v=color,blue,size,3", COLOR_SIZE, "v=size,M", "/v/size"),
    (
        "deepObject",
        True,
        "query",
        FILTER,
        "v[color]=blue&v[size]=3",
        COLOR_SIZE,
        "v[size]=M",
        "/v/size",
    ),
    ("spaceDelimited", False, "query", INTEGERS, "v=1%202", [1, 2], "v=1%20x", "/v/1"),
    ("pipeDelimited", False, "query", INTEGERS, "v=1|2", [1, 2], "v=x|2", "/v/0"),
    ("simple", False, "header", INTEGERS, "1,2", [1, 2], "1,x", "/X-V/1"),
    ("simple", False, "header", FILTER, "color,blue,size,3", COLOR_SIZE, "size,M", "/X-V/size"),
    ("simple", True, "header", FILTER, "color=blue,size=3", COLOR_SIZE, "size=M", "/X-V/size"),
    ("form", True, "cookie", INTEGER, "v=5", 5, "v=x", "/cookie/v"),
    ("form", False, "cookie", INTEGERS, "v=1,2", [1, 2], "v=1,x", "/cookie/v/1"),
    (
        "form",
        False,
        "cookie",
        FILTER,
        "v=color,blue,size,3",
        COLOR_SIZE,
        "v=size,M",
        "/cookie/v/size",
    ),
    ("simple", False, "path", INTEGERS, "1,2", [1, 2], "1,x", "/v/1"),
    ("simple", True, "path", FILTER, "color=blue,size=3", COLOR_SIZE, "size=M", "/v/size"),
    ("label", False, "path", INTEGERS, ".1,2", [1, 2], ".1,x", "/v/1"),
    ("label", True, "path", INTEGERS, ".1.2", [1, 2], ".1.x", "/v/1"),
    ("label", False, "path", FILTER, ".color,blue,size,3", COLOR_SIZE, ".size,M", "/v/size"),
    ("matrix", False, "path", INTEGER, ";v=5", 5, ";v=x", "/v"),
    ("matrix", False, "path", INTEGERS, ";v=1,2", [1, 2], ";v=1,x", "/v/1"),
    ("matrix", True, "path", INTEGERS, ";v=1;v=2", [1, 2], ";v=1;v=x", "/v/1"),
    ("matrix", True, "path", FILTER, ";color=blue;size=3", COLOR_SIZE, ";size=M", "/v/size"),
]

# where a template finds the value (path values reach templates as the URL has them)
SEEN = {
    "query": "{{ query.v }}",
    "header": "{{ headers['x-v'] }}",
    "cookie": "{{ headers.cookie.v }}",
    "path": "{{ path.v }}",
}
PLACE = {"query": "query", "header": "headers", "cookie": "headers", "path": "path"}


def document(style: str, explode: bool, where: str, schema: dict) -> dict:
    """One operation with one parameter `v` (`X-V` as a header)."""
    parameter = {
        "name": "X-V" if where == "header" else "v",
        "in": where,
        "style": style,
        "explode": explode,
        "required": True,
        "schema": schema,
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Styles", "version": "1"},
        "paths": {
            "/p/{v}" if where == "path" else "/p": {
                "get": {"parameters": [parameter], "responses": {"204": {"description": "ok"}}}
            }
        },
    }


def send(live, where: str, raw: str):
    if where == "query":
        return live.get("/p?" + raw)
    if where == "header":
        return live.get("/p", headers={"X-V": raw})
    if where == "cookie":
        return live.get("/p", headers={"Cookie": raw})
    return live.get("/p/" + raw)


@pytest.mark.parametrize(
    ("style", "explode", "where", "schema", "raw", "seen", "refused", "pointer"),
    ROWS,
    ids=[f"{r[2]}-{r[0]}-{'explode' if r[1] else 'flat'}-{r[3]['type']}" for r in ROWS],
)
def test_a_parameter_is_read_by_its_style(
    serve, style, explode, where, schema, raw, seen, refused, pointer
):
    live = serve(yaml.safe_dump(document(style, explode, where, schema)))
    accepted = send(live, where, raw)
    assert accepted.status_code == 204, accepted.text
    answer = send(live, where, refused)
    assert answer.status_code == 422
    assert [(e["in"], e["path"]) for e in answer.json()["errors"]] == [(PLACE[where], pointer)]
    if seen is not None:  # the document's import answers with what its templates see
        spec, _ = convert_document(document(style, explode, where, schema))
        spec["routes"][0]["responses"] = [{"json": {"seen": SEEN[where]}}]
        echoed = serve(yaml.safe_dump(spec))
        assert send(echoed, where, raw).json() == {"seen": seen}


def test_a_required_cookie_that_is_missing_is_named(serve):
    live = serve(yaml.safe_dump(document("form", True, "cookie", INTEGER)))
    answer = live.get("/p")
    assert answer.json()["errors"] == [
        {"in": "headers", "path": "/cookie", "message": "'v' is a required property"}
    ]


def test_an_exploded_object_takes_no_other_parameters_name(serve):
    spec = document("form", True, "query", {"type": "object"})
    spec["paths"]["/p"]["get"]["parameters"].append(
        {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    )
    converted, _ = convert_document(spec)
    converted["routes"][0]["responses"] = [{"json": "{{ query }}"}]
    live = serve(yaml.safe_dump(converted))
    assert live.get("/p?limit=5&tone=dark").json() == {"limit": 5, "v": {"tone": "dark"}}


def test_spotify_search_types_are_comma_separated(serve):
    live = serve(CORPUS / "spotify-fixed.yaml")
    auth = {"Authorization": "Bearer token"}
    assert live.get("/search?q=doxy&type=album,track", headers=auth).status_code == 200
    wrong = live.get("/search?q=doxy&type=album,planet", headers=auth)
    assert wrong.status_code == 422
    assert [(e["in"], e["path"]) for e in wrong.json()["errors"]] == [("query", "/type/1")]


# -- XML request bodies --------------------------------------------------------------

PET = (
    "<pet><id>10</id><name>doggie</name><category><id>1</id><name>Dogs</name></category>"
    "<photoUrls><photoUrl>https://x/1.png</photoUrl></photoUrls>"
    "<tags><tag><id>1</id><name>good</name></tag></tags><status>available</status></pet>"
)
XML = {"Content-Type": "application/xml", "Authorization": "Bearer token"}


@pytest.fixture
def petstore(serve):
    return serve(CORPUS / "swagger-petstore3.yaml")


def test_a_valid_xml_pet_is_accepted(petstore):
    assert petstore.post("/pet", data=PET, headers=XML).status_code == 200


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        (PET.replace("<id>10</id>", "<id>x</id>"), "/id", "<id>: 'x' is not of type 'integer'"),
        (
            PET.replace("<tag><id>1</id>", "<tag><id>one</id>"),
            "/tags/0/id",
            "<id>: 'one' is not of type 'integer'",
        ),
        (
            PET.replace("available", "lost"),
            "/status",
            "<status>: 'lost' is not one of ['available', 'pending', 'sold']",
        ),
        (PET.replace("<name>doggie</name>", ""), "", "<pet>: 'name' is a required property"),
        ("<pet>true</pet>", "", "<pet>: 'true' is not of type 'object'"),
        ("<pet><name>", "", "body is not valid XML: no element found: line 1, column 11"),
        (
            '<!DOCTYPE pet [<!ENTITY a "doggie">]><pet><name>&a;</name></pet>',
            "",
            "body is XML with a DOCTYPE or entities, which are refused",
        ),
    ],
    ids=[
        "element-type",
        "wrapped-array-item",
        "enum",
        "missing",
        "text-for-object",
        "malformed",
        "entities",
    ],
)
def test_an_invalid_xml_pet_names_the_element(petstore, body, path, message):
    answer = petstore.post("/pet", data=body, headers=XML)
    assert answer.status_code == 422
    assert {"in": "body", "path": path, "message": message} in answer.json()["errors"]


# -- Form bodies: an empty array is no field at all ----------------------------------------

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer token"}


def test_a_form_without_an_array_field_sends_an_empty_array(petstore):
    answer = petstore.post("/pet", data="id=10&name=doggie&status=sold", headers=FORM)
    assert answer.status_code == 200


def test_a_form_array_with_a_wrong_item_type_is_still_refused(petstore):
    answer = petstore.post("/pet", data="id=10&name=doggie&tags=x", headers=FORM)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "/tags/0"


ORDER = """
openapi: 3.1.0
info: {title: Orders, version: "1"}
paths:
  /orders:
    post:
      requestBody:
        required: true
        content:
          text/xml: {schema: {$ref: "#/components/schemas/Order"}}
          application/vnd.shop+xml: {schema: {$ref: "#/components/schemas/Order"}}
      responses:
        "201": {description: made}
components:
  schemas:
    Order:
      type: object
      xml: {name: order, namespace: "urn:shop", prefix: s}
      required: [id, qty]
      properties:
        id: {type: integer, xml: {attribute: true}}
        qty: {type: integer, minimum: 1}
        gift: {type: boolean}
        lines: {type: array, items: {type: string, xml: {name: line}}}
"""


@pytest.mark.parametrize("media", ["text/xml", "application/vnd.shop+xml"])
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            '<s:order xmlns:s="urn:shop" id="7"><qty>2</qty><gift>true</gift>'
            "<line>a</line><line>b</line></s:order>",
            [],
        ),
        (
            '<order id="x"><qty>0</qty><gift>maybe</gift></order>',
            [
                ("/gift", "<gift>: 'maybe' is not of type 'boolean'"),
                ("/id", "<order id>: 'x' is not of type 'integer'"),
                ("/qty", "<qty>: 0 is less than the minimum of 1"),
            ],
        ),
    ],
    ids=["valid", "invalid"],
)
def test_xml_attributes_and_unwrapped_arrays(serve, media, body, errors):
    live = serve(ORDER)
    answer = live.post("/orders", data=body, headers={"Content-Type": media})
    if not errors:
        assert answer.status_code == 201, answer.text
        return
    assert answer.status_code == 422
    assert [(e["path"], e["message"]) for e in answer.json()["errors"]] == errors


# -- Form fields in bracket notation (deepObject encodings, Stripe's clients) --------------

ORDERS = """
openapi: 3.0.3
info: {title: orders, version: "1"}
paths:
  /orders:
    post:
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [customer]
              properties:
                customer: {type: string}
                address:
                  anyOf:
                    - {type: object, properties: {city: {type: string}, floor: {type: integer}}}
                    - {type: string, enum: [""]}
                items:
                  type: array
                  items:
                    type: object
                    required: [price]
                    properties: {price: {type: string}, quantity: {type: integer, minimum: 1}}
                expand: {type: array, items: {type: string}}
                metadata: {type: object, additionalProperties: {type: string}}
            encoding:
              address: {style: deepObject, explode: true}
              items: {style: deepObject, explode: true}
              expand: {style: deepObject, explode: true}
              metadata: {style: deepObject, explode: true}
      responses:
        "200": {description: ok, content: {application/json: {example: {ok: true}}}}
"""
FORM_ONLY = {"Content-Type": "application/x-www-form-urlencoded"}


def test_bracketed_form_fields_are_read_as_objects_and_lists(serve):
    live = serve(ORDERS)
    body = (
        "customer=cus_1&address[city]=Paris&address[floor]=3"
        "&items[0][price]=p_1&items[0][quantity]=2&items[1][price]=p_2"
        "&expand[]=customer&expand[]=items&metadata[order]=42"
    )
    assert live.post("/orders", data=body, headers=FORM_ONLY).json() == {"ok": True}


def test_an_object_field_may_also_be_json_text_as_openapi_encodes_it(serve):
    live = serve(ORDERS)
    body = {
        "customer": "cus_1",
        "address": '{"city": "Paris", "floor": 3}',
        "items": ['{"price": "p_1"}', '{"price": "p_2", "quantity": 2}'],
    }
    assert live.post("/orders", data=body).json() == {"ok": True}
    refused = live.post("/orders", data={**body, "items": '{"quantity": 0}'})
    assert [e["path"] for e in refused.json()["errors"]] == ["/items/0", "/items/0/quantity"]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ("items[0][quantity]=2", "/items/0", "'price' is a required property"),
        ("items[0][price]=p&items[0][quantity]=0", "/items/0/quantity", "0 is less than"),
        ("address[floor]=high", "/address", "is not valid under any of the given schemas"),
    ],
)
def test_a_bracketed_form_field_that_breaks_its_schema_is_named(serve, body, path, message):
    answer = serve(ORDERS).post("/orders", data="customer=c&" + body, headers=FORM_ONLY)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["path"] == path
    assert message in error["message"]


def test_stripe_accepts_what_its_clients_send(serve):
    live = serve(CORPUS / "stripe-spec3.yaml")
    body = (
        "name=Ada&metadata[order]=1&address[city]=Paris&preferred_locales[0]=en"
        "&invoice_settings[custom_fields][0][name]=vat&invoice_settings[custom_fields][0][value]=1"
    )
    answer = live.post("/v1/customers", data=body, headers=FORM_ONLY, auth=("sk_test_1", ""))
    assert answer.status_code == 200, answer.text
    assert answer.json()["object"] == "customer"
