"""The example specs in specs/ are documentation: each loads, and each route answers as its
comments say, over real HTTP."""

from __future__ import annotations

import json
import re
import select
import socket
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from click.testing import CliRunner

from mockserve.cli import main

SPECS = Path(__file__).resolve().parent.parent / "specs"
# Specs and OpenAPI documents (`openapi:`); the included files and fixtures aside.
MAIN_SPECS = sorted(
    p for p in SPECS.glob("*.yaml") if {"mockserve", "openapi"} & set(yaml.safe_load(p.read_text()))
)


def test_there_are_example_specs():
    assert {p.name for p in MAIN_SPECS} >= {
        "quickstart.yaml",
        "shop.yaml",
        "todo.yaml",
        "petstore-openapi.yaml",
    }


@pytest.mark.parametrize("spec", MAIN_SPECS, ids=lambda p: p.name)
def test_each_example_spec_validates(spec):
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 0, result.output


# -- quickstart -----------------------------------------------------------------------------


def test_quickstart(serve):
    live = serve(SPECS / "quickstart.yaml", seed=1)
    assert live.get("/health").json() == {"status": "ok"}
    user = live.get("/users/1").json()
    assert user["id"] == 1 and " " in user["name"] and "@" in user["email"]
    assert live.get("/users/0").status_code == 404
    created = live.post("/users", json={"name": "Ann"})
    assert created.status_code == 201
    assert created.json()["name"] == "Ann" and 2 <= created.json()["id"] <= 1000
    assert live.post("/users", json={"name": ""}).status_code == 422
    assert live.get("/hello?name=<you>").text == "<h1>Hello &lt;you&gt;</h1>"


# -- shop -----------------------------------------------------------------------------------

AUTH = {"Authorization": "Bearer token"}


@pytest.fixture
def shop(serve):
    return serve(SPECS / "shop.yaml")


def test_shop_health_and_cors(shop):
    response = shop.get("/health", headers={"Origin": "https://app.example"})
    assert response.json() == {"status": "ok"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = shop.request(
        "OPTIONS",
        "/orders",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "Authorization"


def test_shop_orders_with_contract_when_and_state(shop):
    assert shop.get("/orders/last").json() == {}
    created = shop.post("/orders", json={"item": "pen", "qty": 2}, headers=AUTH)
    assert created.status_code == 201
    order = created.json()
    assert uuid.UUID(order["id"]) and order["item"] == "pen" and order["qty"] == 2
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*Z", order["created"])
    assert created.headers["Location"] == "/orders/1"  # rendered before count was stored
    second = shop.post(
        "/orders", json={"item": "cup", "qty": 1}, headers={"authorization": "Bearer t"}
    )
    assert second.headers["Location"] == "/orders/1"
    third = shop.post("/orders", json={"item": "mug", "qty": 1}, headers=AUTH)
    assert third.headers["Location"] == "/orders/2"
    assert shop.get("/orders/last").json() == {"item": "mug", "qty": 1}
    assert shop.post("/orders", json={"item": "pen", "qty": 500}, headers=AUTH).json() == {
        "error": "too many"
    }


def test_shop_order_failures_use_the_422_override(shop):
    response = shop.post("/orders", json={"item": "", "qty": 0})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid request"
    assert {(d["in"], d["path"]) for d in body["details"]} == {
        ("headers", ""),
        ("body", "/item"),
        ("body", "/qty"),
    }


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_shop_update_order_takes_a_method_list(shop, method):
    response = shop.request(method, "/orders/7", json={"qty": 3})
    assert response.json() == {"id": 7, "method": method, "changes": {"qty": 3}}


def test_shop_job_sequence_and_light_cycle(shop):
    states = [shop.get(f"/jobs/j{n}").json()["state"] for n in range(4)]
    assert states == ["queued", "running", "done", "done"]
    assert [shop.get("/light").text for _ in range(4)] == ["red", "green", "amber", "red"]


def test_shop_recommendation_is_random_and_repeatable(serve):
    live = serve(SPECS / "shop.yaml")
    picks = [live.get("/recommendation").json() for _ in range(30)]
    again = serve(SPECS / "shop.yaml")
    assert [again.get("/recommendation").json() for _ in range(30)] == picks  # settings.seed
    assert {p["promo"] for p in picks} == {True, False}
    assert {p["item"] for p in picks if not p["promo"]} <= {"pen", "cup", "mug"}


def test_shop_flaky_mixes_faults_repeatably(serve):
    def outcomes(live):
        results = []
        for _ in range(40):
            try:
                response = live.get("/flaky")
                results.append(response.status_code)
            except requests.ConnectionError:
                results.append("disconnect")
        return results

    first = outcomes(serve(SPECS / "shop.yaml"))
    assert first == outcomes(serve(SPECS / "shop.yaml"))
    assert 200 in first and 503 in first


def test_shop_slow_does_not_hold_up_others(shop):
    host, port = shop.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        slow.sendall(f"GET /slow HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        assert shop.get("/health").status_code == 200
        assert not select.select([slow], [], [], 0)[0]  # /slow is still on its way
        assert slow.recv(64).startswith(b"HTTP/1.1 200")


def test_shop_malformed_feed(shop):
    response = shop.get("/feed")
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_shop_pages_redirects_and_files(shop):
    assert shop.get("/hello?name=<b>").text == "<h1>Hello &lt;b&gt;</h1>"
    moved = shop.get("/old-home", allow_redirects=False)
    assert (moved.status_code, moved.headers["Location"]) == (301, "/hello")
    product = shop.get("/products/pen", allow_redirects=False)
    assert (product.status_code, product.headers["Location"]) == (302, "/catalog#pen")
    catalog = shop.get("/catalog")
    assert catalog.headers["Content-Type"] == "application/json"
    assert catalog.json()["items"][0] == {"sku": "pen", "price": 1.5}
    robots = shop.get("/robots.txt")
    assert robots.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert robots.text.startswith("User-agent: *")
    csv = shop.get("/catalog.csv")
    assert csv.headers["Content-Type"] == "text/csv"
    assert csv.text.splitlines() == ["sku,price", "pen,1.5", "cup,4.0"]


def test_shop_login_form_and_cookies(shop):
    login = shop.post("/login", data={"user": "ann", "password": "secret"})
    assert login.json() == {"token": "tok-ann"}
    assert shop.session.cookies.get("session") == "ann"
    assert shop.get("/whoami", headers={"User-Agent": "probe"}).text == "ann via probe"
    assert shop.post("/login", data={"user": "ann"}).status_code == 422


def test_shop_converters(shop):
    assert shop.get("/prices/10.0").json() == {"amount": 10.0, "with_tax": 12.0}
    assert shop.get("/prices/10").status_code == 404
    ref = "7f1c5a0e-2b0d-4a8e-9d43-3c8b1f0e2a11"
    assert shop.get(f"/invoices/{ref}").json() == {"ref": ref}
    assert shop.get("/docs/guide/install").text == "docs for guide/install"


def test_shop_search_query_conversion(shop):
    assert shop.get("/search?q=pens&page=2&tags=a&tags=b").json() == {
        "q": "pens",
        "page": 2,
        "tags": ["a", "b"],
        "results": [],
    }
    assert shop.get("/search?q=pens").json()["page"] == 1
    failures = shop.get("/search?q=p&page=lots").json()["details"]
    assert {f["path"] for f in failures} == {"/q", "/page"}


def test_shop_delete_without_response(shop):
    response = shop.request("DELETE", "/sessions/current")
    assert (response.status_code, response.content) == (204, b"")


def test_shop_users_from_the_included_file(shop):
    user = shop.get("/users/3?verbose=1")
    assert user.headers["X-User-Id"] == "3"
    assert user.json()["id"] == 3 and user.json()["verbose"] is True
    assert shop.get("/users/0").json() == {"error": "no such user"}  # the route's own 404
    listing = shop.get("/users?limit=5&active=true")
    assert listing.headers["X-Limit"] == "5"
    assert listing.json()["limit"] == 5 and listing.json()["active"] is True
    created = shop.post("/users", json={"name": "Ann", "email": "ann@example.com"})
    assert created.status_code == 201 and created.headers["Location"].startswith("/users/")
    bad = shop.post("/users", json={"name": "Ann", "email": "nope"})
    assert [d["path"] for d in bad.json()["details"]] == ["/email"]
    avatar = shop.get("/users/3/avatar")
    assert avatar.headers["Content-Type"].startswith("image/svg+xml")


def test_shop_errors_overrides(shop):
    missing = shop.get("/userz/3")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "not found",
        "path": "/userz/3",
        "closest": "/users/{id:int}",
    }
    assert shop.request("DELETE", "/health").status_code == 405


# -- petstore-openapi: an OpenAPI document served as it is ------------------------------------

API_KEY = {"api_key": "secret"}


@pytest.fixture
def petstore(serve):
    return serve(SPECS / "petstore-openapi.yaml")


def test_petstore_openapi_lists_pets_from_its_example_checking_the_query(petstore):
    pets = petstore.get("/pets?limit=2")
    assert pets.json() == [
        {"id": 1, "name": "Rex", "tag": "dog"},
        {"id": 2, "name": "Tom", "tag": "cat"},
    ]
    assert pets.headers["X-Total-Count"] == "2"  # a declared response header
    refused = petstore.get("/pets?limit=0")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"in": "query", "path": "/limit", "message": "0 is less than the minimum of 1"}
    ]


def test_petstore_openapi_creates_a_pet_with_a_checked_body(petstore):
    created = petstore.post("/pets", json={"name": "Rex", "tag": "dog"})
    assert (created.status_code, created.json()) == (201, {"id": 3, "name": "Rex", "tag": "dog"})
    assert petstore.post("/pets", json={"tag": "dog"}).status_code == 422
    declared = petstore.post("/pets", json={"name": "Rex"}, headers={"Prefer": "code=422"})
    assert (declared.status_code, declared.json()) == (
        422,
        {"code": 422, "message": "a pet needs a name"},
    )


def test_petstore_openapi_shows_a_pet_to_a_client_with_an_api_key(petstore):
    refused = petstore.get("/pets/1")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith('ApiKey realm="api_key"')
    assert petstore.get("/pets/1", headers=API_KEY).json() == {"id": 1, "name": "Rex", "tag": "dog"}
    cat = petstore.get("/pets/1", headers={**API_KEY, "Prefer": "example=cat"})
    assert cat.json() == {"id": 2, "name": "Tom", "tag": "cat"}
    missing = petstore.get("/pets/1", headers={**API_KEY, "Prefer": "code=404"})
    assert (missing.status_code, missing.json()) == (404, {"code": 404, "message": "no such pet"})
    failing = petstore.get("/pets/1", headers={**API_KEY, "Prefer": "code=503"})
    assert failing.status_code == 503  # the `default` response, with the status asked for
    xml = petstore.get("/pets/1", headers={**API_KEY, "Accept": "application/xml"})
    assert xml.headers["Content-Type"] == "application/xml"
    assert xml.text == "<Pet><id>1</id><name>Rex</name><tag>dog</tag></Pet>"
    assert petstore.get("/pets/1", headers={**API_KEY, "Accept": "text/html"}).status_code == 406
    assert petstore.get("/pets/0", headers=API_KEY).status_code == 422  # petId: minimum 1


def test_petstore_openapi_deletes_a_pet(petstore):
    deleted = petstore.request("DELETE", "/pets/1")
    assert (deleted.status_code, deleted.content) == (204, b"")
