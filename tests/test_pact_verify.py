"""`mockserve verify PACT.json --against URL`: Pact's provider verification.

The Pact specification's response cases are replayed: each version's cases are one pact
whose interactions ask `GET /case/N`, and a real provider answers each with the case's
`actual` response; verify must pass exactly the cases that match. Then the command as
CI runs it: provider-state setup calls, Pact's mismatch paths, the JUnit file, exit codes.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from click.testing import CliRunner
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
)
from upstream import Answer, Upstream, json_answer

from mockserve import MockServer
from mockserve.cli import main
from mockserve.loading import load_spec
from mockserve.pact.verify import PactVerifier


@pytest.fixture(scope="module")
def corpus_outcomes(tmp_path_factory) -> dict[str, object]:
    """Every response case verified against a provider answering with its `actual`."""
    folder = tmp_path_factory.mktemp("pacts")
    provider = Upstream()
    # Headers and body leave in two writes: without this, each answer waits on a delayed ACK.
    provider.server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    outcomes = {}
    try:
        for version in VERSIONS:
            interactions = []
            for index, case in enumerate(cases("response", version)):
                data = load_case(case)
                path = f"/v{version}/case/{index}"
                request = {"method": "GET", "path": path}
                interactions.append(
                    interaction(version, case_id(case), "", request, data["expected"])
                )
                actual = data["actual"]
                body = wire_body(actual, version) or b""
                provider.answer(
                    "GET", path, Answer(actual.get("status", 200), wire_headers(actual), body)
                )
            for item in interactions:  # no provider state: these cases need none
                item.pop("providerState", None)
                item.pop("providerStates", None)
            file = folder / f"corpus-v{version}.json"
            file.write_text(json.dumps(pact(version, interactions)))
            verifier = PactVerifier(load_spec(file).pact, provider.url)
            for case in verifier.cases():
                outcomes[case.name] = verifier.run(case)
    finally:
        provider.stop()
    return outcomes


@pytest.mark.parametrize("case", cases("response"), ids=case_id)
def test_specification_response_case_through_verify(corpus_outcomes, case: Path) -> None:
    data = load_case(case)
    outcome = corpus_outcomes[case_id(case)]
    assert outcome.passed is data["match"], f"{data['comment']}: {outcome.line()}"


def test_every_version_is_verified(corpus_outcomes) -> None:
    assert {version_of(case) for case in cases("response")} == set(VERSIONS)
    assert len(corpus_outcomes) == len(cases("response"))


# -- the command, as CI runs it -------------------------------------------------------------

ORDERS = {
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
                "body": {
                    "content": {"id": 7, "items": [{"id": 1, "sku": "A1"}]},
                    "contentType": "application/json",
                },
                "matchingRules": {
                    "body": {
                        "$.id": {"matchers": [{"match": "integer"}]},
                        "$.items": {"matchers": [{"match": "type", "min": 1}]},
                    }
                },
            },
        },
        {
            "type": "Synchronous/HTTP",
            "description": "no order",
            "providerStates": [{"name": "no orders"}],
            "request": {"method": "GET", "path": "/orders/8"},
            "response": {"status": 404},
        },
    ],
    "metadata": {"pactSpecification": {"version": "4.0"}},
}


def _verify(*args: str) -> SimpleNamespace:
    """`mockserve verify ARGS` (in-process, as Click runs it): returncode, stdout, stderr."""
    result = CliRunner().invoke(main, ["verify", *args])
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


@pytest.fixture
def orders_pact(tmp_path) -> Path:
    path = tmp_path / "web-orders.json"
    path.write_text(json.dumps(ORDERS, indent=2))
    return path


def test_a_correct_provider_passes_after_each_state_is_set_up(upstream, orders_pact, tmp_path):
    upstream.answer("POST", "/_pact/state", Answer(200))
    upstream.answer("GET", "/orders/7", json_answer({"id": 3, "items": [{"id": 9, "sku": "Z"}]}))
    upstream.answer("GET", "/orders/8", Answer(404))
    report = tmp_path / "pact.xml"
    done = _verify(
        str(orders_pact),
        "--against",
        upstream.url,
        "--provider-states-setup-url",
        upstream.url + "/_pact/state",
        "--junit",
        str(report),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["PASS an order", "PASS no order", "2 passed, 0 failed"]
    setups = [json.loads(s.body) for s in upstream.seen if s.path == "/_pact/state"]
    assert setups == [
        {"consumer": "web", "state": "order 7 exists", "params": {"id": 7}, "action": "setup"},
        {"consumer": "web", "state": "no orders", "params": {}, "action": "setup"},
    ]
    assert b'tests="2" failures="0"' in report.read_bytes()


def test_a_provider_that_breaks_a_type_fails_with_pacts_paths(upstream, orders_pact) -> None:
    upstream.answer(
        "GET", "/orders/7", json_answer({"id": "7", "items": [{"id": "1", "sku": "A1"}]})
    )
    upstream.answer("GET", "/orders/8", Answer(404))
    done = _verify(str(orders_pact), "--against", upstream.url)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        'FAIL an order $.id: Expected "7" to be an integer value; '
        '$.items[0].id: Expected "1" (String) to be the same type as 1 (Number)'
    )


def test_exit_codes_for_a_bad_pact_and_an_unreachable_provider(orders_pact, tmp_path) -> None:
    broken = json.loads(json.dumps(ORDERS))
    broken["interactions"][0]["response"]["status"] = "ok"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken, indent=2))
    refused = _verify(str(bad), "--against", "http://127.0.0.1:9")
    assert refused.returncode == 2
    assert "/interactions/0/response/status" in refused.stderr
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = _verify(str(orders_pact), "--against", f"http://127.0.0.1:{port}")
    assert unreachable.returncode == 3
    assert "cannot reach" in unreachable.stderr
    spec = tmp_path / "spec.yaml"
    spec.write_text("mockserve: 1\nroutes: [{path: /a, response: {json: {}}}]\n")
    misused = _verify(
        str(spec),
        "--against",
        "http://127.0.0.1:9",
        "--provider-states-setup-url",
        "http://127.0.0.1:9/s",
    )
    assert misused.returncode == 2
    assert "--provider-states-setup-url is for a pact file" in misused.stderr


def test_values_the_state_setup_returns_fill_provider_state_generators(upstream, tmp_path):
    pact_file = tmp_path / "web-users.json"
    pact_file.write_text(
        json.dumps(
            {
                "consumer": {"name": "web"},
                "provider": {"name": "users"},
                "interactions": [
                    {
                        "type": "Synchronous/HTTP",
                        "description": "a user",
                        "providerStates": [{"name": "a user exists"}],
                        "request": {
                            "method": "GET",
                            "path": "/users/1",
                            "generators": {
                                "path": {"type": "ProviderState", "expression": "/users/${id}"}
                            },
                        },
                        "response": {"status": 200},
                    }
                ],
                "metadata": {"pactSpecification": {"version": "4.0"}},
            }
        )
    )
    upstream.answer("POST", "/_pact/state", json_answer({"id": 99}))
    upstream.answer("GET", "/users/99", Answer(200))
    done = _verify(
        str(pact_file),
        "--against",
        upstream.url,
        "--provider-states-setup-url",
        upstream.url + "/_pact/state",
    )
    assert done.returncode == 0, done.stdout
    assert [seen.path for seen in upstream.seen] == ["/_pact/state", "/users/99"]


def _pact_python_pact(folder: Path) -> Path:
    """A pact written by Pact's own consumer library (pact-python, on the Rust core)."""
    try:
        from pact import Pact, match
    except ImportError as exc:  # a test dependency: `pip install -e '.[test]'`
        raise AssertionError(f"pact-python is needed to write this pact: {exc}") from None
    pact = Pact("web", "orders").with_specification("V4")
    (
        pact.upon_receiving("an order")
        .given("order 7 exists", id=7)
        .with_request("GET", "/orders/7")
        .will_respond_with(200)
        .with_body(
            {
                "id": match.int(7),
                "sku": match.regex("A1", regex=r"[A-Z]\d"),
                "lines": match.each_like({"qty": match.int(1)}, min=1),
            }
        )
    )
    with pact.serve() as consumer_mock:  # Pact writes only what a consumer test exercised
        assert requests.get(f"{consumer_mock.url}/orders/7", timeout=5).status_code == 200
    pact.write_file(folder, overwrite=True)
    return folder / "web-orders.json"


def test_a_pact_written_by_pacts_own_library_is_served_and_verified(
    upstream, tmp_path, monkeypatch
):
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")  # no usage report over the network
    written = _pact_python_pact(tmp_path)
    with MockServer(written) as mock:  # served: its rules take other values of the types
        order = requests.get(mock.url + "/orders/7", timeout=5).json()
        assert order == {"id": 7, "sku": "A1", "lines": [{"qty": 1}]}
        states = mock.url + "/__mockserve/pact/state"  # the mock sets its own states up
        passed = _verify(str(written), "--against", mock.url, "--provider-states-setup-url", states)
    assert passed.stdout.splitlines() == ["PASS an order", "1 passed, 0 failed"]
    upstream.answer(
        "GET", "/orders/7", json_answer({"id": 8, "sku": "b2", "lines": [{"qty": 1}, {"qty": 2}]})
    )
    failed = _verify(str(written), "--against", upstream.url)
    assert failed.returncode == 1
    assert (
        failed.stdout.splitlines()[0] == "FAIL an order $.sku: Expected \"b2\" to match '[A-Z]\\d'"
    )
