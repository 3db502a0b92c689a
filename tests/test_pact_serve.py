"""`mockserve run PACT.json`: a pact served as a mock, over real HTTP.

The Pact specification's request cases go through the server: each version's cases are
one pact whose interactions are told apart by provider state (one per case), and each
case's `actual` request is sent as bytes on the wire with `X-Pact-Provider-State`. A
case that matches is answered by its interaction; one that does not gets the near-miss 404.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from pact_corpus import (
    VERSIONS,
    case_id,
    cases,
    interaction,
    load_case,
    pact,
    version_of,
    wire_body,
    wire_headers,
    wire_target,
)

from mockserve import MockServer, SpecError

# Cases whose `actual` cannot be put on the wire as the case means it, with why.
NOT_ON_THE_WIRE = {
    "request/path/empty path found when forward slash expected": (
        "an HTTP request line always has a path: an empty one is sent as '/'"
    ),
    "request/method/method is different case": (
        "HTTP methods are case-sensitive: the server refuses 'post' on the wire with a 400 "
        "before any matching (the matcher itself passes the case)"
    ),
}


def _wire_reason(case: Path) -> str | None:
    tail = "/".join(case_id(case).split("/")[1:])
    return NOT_ON_THE_WIRE.get(tail) or None


@pytest.fixture(scope="module")
def corpus_servers(tmp_path_factory) -> dict[int, MockServer]:
    """One served pact per version, holding every request case as an interaction."""
    folder = tmp_path_factory.mktemp("pacts")
    servers = {}
    for version in VERSIONS:
        interactions = [
            interaction(version, case_id(c), case_id(c), load_case(c)["expected"], {"status": 200})
            for c in cases("request", version)
        ]
        path = folder / f"corpus-v{version}.json"
        path.write_text(json.dumps(pact(version, interactions)))
        servers[version] = MockServer(path).start()
    yield servers
    for server in servers.values():
        server.stop()


REQUEST_CASES = [c for c in cases("request") if _wire_reason(c) is None]


@pytest.mark.parametrize("case", REQUEST_CASES, ids=case_id)
def test_specification_request_case_through_run(corpus_servers, case: Path) -> None:
    data = load_case(case)
    version = version_of(case)
    server = corpus_servers[version]
    actual = data["actual"]
    headers = dict(wire_headers(actual))
    headers["X-Pact-Provider-State"] = case_id(case)
    body = wire_body(actual, version)
    connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=10)
    try:
        connection.request(actual.get("method", "GET"), wire_target(actual), body, headers)
        answer = connection.getresponse()
        status, text = answer.status, answer.read().decode()
    finally:
        connection.close()
    assert (status == 200) is data["match"], f"{data['comment']}: {status} {text}"


# -- serving a pact, as a user does ------------------------------------------------------

SHOP = {
    "consumer": {"name": "web"},
    "provider": {"name": "orders"},
    "interactions": [
        {
            "type": "Synchronous/HTTP",
            "description": "an order",
            "providerStates": [{"name": "order 7 exists", "params": {"id": 7}}],
            "request": {"method": "GET", "path": "/orders/7"},
            "response": {
                "status": 200,
                "headers": {"Content-Type": ["application/json"]},
                "body": {"content": {"id": 7, "total": 9.5}, "contentType": "application/json"},
                "generators": {"body": {"$.total": {"type": "RandomDecimal", "digits": 4}}},
            },
        },
        {
            "type": "Synchronous/HTTP",
            "description": "no order",
            "providerStates": [{"name": "no orders"}],
            "request": {"method": "GET", "path": "/orders/7"},
            "response": {"status": 404},
        },
        {
            "type": "Synchronous/HTTP",
            "description": "create an order",
            "request": {
                "method": "POST",
                "path": "/orders",
                "headers": {"Content-Type": ["application/json"]},
                "body": {"content": {"sku": "A1", "qty": 1}, "contentType": "application/json"},
                "matchingRules": {"body": {"$.qty": {"matchers": [{"match": "integer"}]}}},
            },
            "response": {
                "status": 201,
                "body": {"content": {"id": 1}},
                "generators": {"body": {"$.id": {"type": "RandomInt", "min": 1, "max": 100}}},
            },
        },
        {
            "type": "Asynchronous/Messages",
            "description": "an order event",
            "contents": {"content": {"id": 7}},
        },
    ],
    "metadata": {"pactSpecification": {"version": "4.0"}},
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> MockServer:
    path = tmp_path_factory.mktemp("shop") / "web-orders.json"
    path.write_text(json.dumps(SHOP))
    with MockServer(path, seed=3) as server:
        yield server


@pytest.fixture
def live(shop: MockServer) -> MockServer:
    shop.reset()
    return shop


def test_an_interaction_answers_with_its_response_and_generated_values(live) -> None:
    first = requests.get(live.url + "/orders/7", timeout=5)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json"
    order = first.json()
    assert order["id"] == 7 and isinstance(order["total"], float)
    created = requests.post(live.url + "/orders", json={"sku": "A1", "qty": 5}, timeout=5)
    assert created.status_code == 201
    assert isinstance(created.json()["id"], int) and 1 <= created.json()["id"] <= 100
    assert [entry.route for entry in live.journal] == ["an order", "create an order"]


def test_provider_state_picks_among_interactions_that_differ_only_by_state(live) -> None:
    by_header = requests.get(
        live.url + "/orders/7", headers={"X-Pact-Provider-State": "no orders"}, timeout=5
    )
    assert by_header.status_code == 404 and by_header.content == b""
    chosen = requests.post(live.url + "/__mockserve/pact/state", json={"state": "no orders"})
    assert chosen.json() == {"state": "no orders"}
    assert requests.get(live.url + "/orders/7", timeout=5).status_code == 404
    assert [entry.route for entry in live.journal] == ["no order", "no order"]
    unknown = requests.post(live.url + "/__mockserve/pact/state", json={"state": "nope"})
    assert unknown.status_code == 404 and "'no orders'" in unknown.json()["error"]
    live.reset()  # a reset forgets the state chosen
    assert requests.get(live.url + "/orders/7", timeout=5).status_code == 200


def test_the_state_endpoint_is_an_admin_endpoint(live) -> None:
    from_a_page = requests.post(
        live.url + "/__mockserve/pact/state",
        json={"state": "no orders"},
        headers={"Origin": "https://evil.example"},
        timeout=5,
    )
    assert from_a_page.status_code == 403


def test_a_request_no_interaction_takes_is_a_near_miss_naming_pact_mismatches(live) -> None:
    missed = requests.post(live.url + "/orders", json={"sku": "A1", "qty": "5"}, timeout=5)
    assert missed.status_code == 404
    problem = missed.json()
    assert problem["error"] == "no interaction of the pact matches POST /orders"
    closest = problem["errors"][0]
    assert closest["route"] == "create an order"
    assert closest["mismatches"] == [
        {"part": "body", "path": "$.qty", "message": 'Expected "5" to be an integer value'}
    ]
    assert [v.status for v in live.violations] == [404]


def test_message_interactions_are_left_out_with_a_warning(shop) -> None:
    assert len(shop.spec.pact.served) == 3
    assert any("Asynchronous/Messages" in str(w) for w in shop.spec.warnings)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda p: p["interactions"][0]["request"].update(method=5),
            "/interactions/0/request/method",
        ),
        (
            lambda p: p["interactions"][1]["response"].update(status=999),
            "/interactions/1/response/status",
        ),
        (
            lambda p: p["interactions"][2]["request"]["matchingRules"]["body"]["$.qty"]["matchers"][
                0
            ].update(match="integr"),
            "/interactions/2/request/matchingRules/body/$.qty/matchers/0",
        ),
        (
            lambda p: p["interactions"][2]["response"]["generators"]["body"]["$.id"].update(
                type="Nope"
            ),
            "/interactions/2/response/generators/body/$.id",
        ),
        (lambda p: p.update(metadata={"pactSpecification": {"version": "9.0"}}), "/metadata"),
    ],
)
def test_a_bad_pact_is_refused_with_each_problem_located(tmp_path, change, where) -> None:
    broken = json.loads(json.dumps(SHOP))
    change(broken)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken, indent=2))
    with pytest.raises(SpecError) as raised:
        MockServer(path)
    assert [problem.where for problem in raised.value.problems] == [where]


def test_validate_and_run_strict_from_the_command_line(tmp_path) -> None:
    path = tmp_path / "web-orders.json"
    path.write_text(json.dumps(SHOP, indent=2))
    cli = [sys.executable, "-m", "mockserve"]
    ok = subprocess.run([*cli, "validate", str(path)], capture_output=True, text=True)
    assert ok.returncode == 0 and "ok (3 interactions)" in ok.stdout
    listed = subprocess.run([*cli, "routes", str(path)], capture_output=True, text=True)
    assert listed.stdout.splitlines() == [
        "METHOD  PATH       NAME",
        "GET     /orders/7  an order",
        "GET     /orders/7  no order",
        "POST    /orders    create an order",
    ]
    broken = json.loads(json.dumps(SHOP))
    broken["interactions"][1]["response"]["status"] = 999
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken, indent=2))
    refused = subprocess.run([*cli, "run", str(bad)], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "/interactions/1/response/status: the status is a number" in refused.stderr
    assert "Traceback" not in refused.stderr
    # --strict: a run that exercised one interaction of three fails, naming the other two.
    strict = subprocess.run(
        [
            *cli,
            "run",
            str(path),
            "--port",
            "0",
            "--strict",
            "--exit-after",
            "1",
            "--",
            sys.executable,
            "-c",
            "import os, urllib.request as u; u.urlopen(os.environ['MOCKSERVE_URL'] + '/orders/7')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert strict.returncode == 1, strict.stderr
    assert "2 interactions of the pact never exercised" in strict.stdout
    assert "'create an order'" in strict.stdout and "'no order'" in strict.stdout


GENERATED = {
    "consumer": {"name": "web"},
    "provider": {"name": "ids"},
    "interactions": [
        {
            "description": "everything generated",
            "providerStates": [{"name": "user exists", "params": {"userId": 42}}],
            "request": {"method": "GET", "path": "/things"},
            "response": {
                "status": 200,
                "headers": {"X-Request-Id": "abc"},
                "body": {
                    "int": 1,
                    "decimal": 1.5,
                    "hex": "ff",
                    "string": "s",
                    "regex": "A-1",
                    "uuid": "x",
                    "date": "2020-01-01",
                    "time": "10:00",
                    "datetime": "2020-01-01T10:00:00",
                    "bool": True,
                    "user": 0,
                },
                "generators": {
                    "header": {"X-Request-Id": {"type": "Uuid"}},
                    "body": {
                        "$.int": {"type": "RandomInt", "min": 5, "max": 9},
                        "$.decimal": {"type": "RandomDecimal", "digits": 5},
                        "$.hex": {"type": "RandomHexadecimal", "digits": 8},
                        "$.string": {"type": "RandomString", "size": 12},
                        "$.regex": {"type": "Regex", "regex": "[A-Z]-[0-9]{3}"},
                        "$.uuid": {"type": "Uuid", "format": "simple"},
                        "$.date": {"type": "Date", "format": "yyyy-MM-dd"},
                        "$.time": {"type": "Time", "format": "HH:mm"},
                        "$.datetime": {"type": "DateTime", "format": "yyyy-MM-dd'T'HH:mm:ss"},
                        "$.bool": {"type": "RandomBoolean"},
                        "$.user": {"type": "ProviderState", "expression": "${userId}"},
                    },
                },
            },
        }
    ],
    "metadata": {"pactSpecification": {"version": "3.0.0"}},
}


def test_each_generator_makes_a_value_of_its_kind_repeatably_with_a_seed(tmp_path) -> None:
    path = tmp_path / "generated.json"
    path.write_text(json.dumps(GENERATED))
    answers = []
    for _ in range(2):
        with MockServer(path, seed=5) as server:
            answer = requests.get(server.url + "/things", timeout=5)
            answers.append((answer.headers["X-Request-Id"], answer.json()))
    # --seed: the same values again; the date and time generators give the clock's now
    # (as Pact's do), so they are compared by their shape below.
    clock = ("date", "time", "datetime")
    drawn = [(rid, {k: v for k, v in b.items() if k not in clock}) for rid, b in answers]
    assert drawn[0] == drawn[1]
    request_id, body = answers[0]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", request_id
    )
    assert 5 <= body["int"] <= 9 and isinstance(body["int"], int)
    assert isinstance(body["decimal"], float)
    assert re.fullmatch(r"[0-9a-f]{8}", body["hex"])
    assert len(body["string"]) == 12
    assert re.fullmatch(r"[A-Z]-[0-9]{3}", body["regex"])
    assert re.fullmatch(r"[0-9a-f]{32}", body["uuid"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["date"])
    assert re.fullmatch(r"\d{2}:\d{2}", body["time"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", body["datetime"])
    assert isinstance(body["bool"], bool)
    assert body["user"] == 42  # from the provider state's params


def test_a_request_that_matches_only_in_another_state_says_so(live) -> None:
    missed = requests.get(
        live.url + "/orders/7", headers={"X-Pact-Provider-State": "order 8 exists"}, timeout=5
    )
    assert missed.status_code == 404
    assert missed.json()["error"] == (
        "no interaction of the pact matches GET /orders/7 in provider state 'order 8 exists'"
    )
    assert missed.json()["errors"][0]["why"] == (
        "matches, but in provider state 'order 7 exists', not 'order 8 exists'"
    )
