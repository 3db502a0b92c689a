"""Writing pacts from consumer tests: `MockServer(spec, pact=...)` and `--pact-dir`.

The pact holds the requests the test sent and the answers given, with matching rules
from the route's contract and the types of its templated values, so that a provider
is held to the contract, not to the mock's random values. Two oracles judge the file:
`mockserve verify`, and Pact's own verifier (pact-python's, on the Rust core).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from mockserve import MockServer
from mockserve.cli import main

pytest_plugins = ["pytester"]

ORDERS = """\
mockserve: 1
title: Orders
routes:
  - name: get-order
    path: /orders/{id:int}
    response:
      json:
        id: "{{ path.id }}"
        status: open
        total: "{{ randint(100, 999) / 100 }}"
        lines:
          - sku: "{{ fake.bothify('??-###') }}"
            qty: "{{ randint(1, 5) }}"
  - name: create-order
    method: POST
    path: /orders
    body:
      schema:
        type: object
        required: [sku]
        properties:
          sku: {type: string}
    response:
      status: 201
      json: {id: "{{ randint(1, 1000) }}", sku: "{{ body.sku }}"}
"""
# A provider that answers an order's id as text: it breaks the contract's type.
BROKEN = ORDERS.replace('id: "{{ randint(1, 1000) }}"', 'id: "{{ randint(1, 1000) | string }}"')


@pytest.fixture
def specs(tmp_path: Path) -> tuple[Path, Path]:
    good, broken = tmp_path / "orders.yaml", tmp_path / "broken.yaml"
    good.write_text(ORDERS)
    broken.write_text(BROKEN)
    return good, broken


def consumer_test(spec: Path, pacts: Path) -> Path:
    """What a consumer's test does: talk to the mock; the pact is written as it ends."""
    with MockServer(spec, pact={"consumer": "web", "dir": str(pacts)}) as server:
        order = requests.get(server.url + "/orders/7", timeout=5).json()
        assert order["status"] == "open"
        created = requests.post(server.url + "/orders", json={"sku": "A1"}, timeout=5)
        assert created.status_code == 201
    return pacts / "web-Orders.json"


def test_the_pact_holds_what_was_exchanged_and_the_types_of_templated_values(specs, tmp_path):
    written = consumer_test(specs[0], tmp_path / "pacts")
    pact = json.loads(written.read_text())
    assert pact["consumer"] == {"name": "web"} and pact["provider"] == {"name": "Orders"}
    assert pact["metadata"]["pactSpecification"] == {"version": "4.0"}
    get, post = pact["interactions"]
    assert get["type"] == "Synchronous/HTTP"
    assert get["request"] == {  # /orders/{id:int}: any order's path, as the route takes
        "method": "GET",
        "path": "/orders/7",
        "matchingRules": {
            "path": {"combine": "AND", "matchers": [{"match": "regex", "regex": r"/orders/\d+"}]}
        },
    }
    assert get["response"]["status"] == 200
    assert get["response"]["body"]["content"]["status"] == "open"
    rules = {path: r["matchers"] for path, r in get["response"]["matchingRules"]["body"].items()}
    assert rules == {  # templated values held to their types; `status: open` stays exact
        "$.id": [{"match": "integer"}],
        "$.total": [{"match": "number"}],
        "$.lines[0].sku": [{"match": "type"}],
        "$.lines[0].qty": [{"match": "integer"}],
    }
    assert post["request"]["body"] == {
        "content": {"sku": "A1"},
        "contentType": "application/json",
        "encoded": False,
    }
    assert post["response"]["matchingRules"]["body"]["$.id"]["matchers"] == [{"match": "integer"}]


def test_nothing_is_written_when_the_test_fails(specs, tmp_path):
    with pytest.raises(AssertionError):
        with MockServer(specs[0], pact={"consumer": "web", "dir": str(tmp_path)}) as server:
            requests.get(server.url + "/orders/7", timeout=5)
            raise AssertionError("the consumer's test failed")
    assert list(tmp_path.glob("*.json")) == []


def _mockserve_verify(pact: Path, url: str) -> Result:
    return CliRunner().invoke(main, ["verify", str(pact), "--against", url])


def test_mockserve_verify_passes_a_correct_provider_and_fails_one_that_breaks_a_type(
    specs, tmp_path
):
    written = consumer_test(specs[0], tmp_path / "pacts")
    with MockServer(specs[0], seed=99) as provider:  # other random values, same contract
        done = _mockserve_verify(written, provider.url)
    assert done.exit_code == 0, done.stdout
    with MockServer(specs[1], seed=99) as provider:
        broken = _mockserve_verify(written, provider.url)
    assert broken.exit_code == 1
    assert "FAIL create-order: POST /orders -> 201 $.id: Expected" in broken.stdout
    assert "to be an integer value" in broken.stdout


def _pact_verify(pact: Path, url: str) -> tuple[bool, str]:
    """Pact's own verifier (pact-python's Verifier, on the Rust core): passed, output."""
    try:
        from pact.verifier import Verifier
    except ImportError as exc:  # a test dependency: `pip install -e '.[test]'`
        raise AssertionError(f"pact-python is needed as the second oracle: {exc}") from None
    verifier = Verifier("Orders", host="127.0.0.1").add_transport(url=url).add_source(pact)
    try:
        verifier.verify()
    except RuntimeError:
        return False, verifier.output(strip_ansi=True)
    return True, verifier.output(strip_ansi=True)


def test_pacts_own_verifier_passes_a_correct_provider_and_fails_one_that_breaks_a_type(
    specs, tmp_path, monkeypatch
):
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")  # no usage report over the network
    written = consumer_test(specs[0], tmp_path / "pacts")
    with MockServer(specs[0], seed=99) as provider:
        passed, output = _pact_verify(written, provider.url)
    assert passed, output
    with MockServer(specs[1], seed=99) as provider:
        passed, output = _pact_verify(written, provider.url)
    assert not passed
    assert "$.id" in output


def test_the_pytest_plugin_writes_the_pacts_of_passing_tests(pytester, specs):
    (pytester.path / "orders.yaml").write_text(ORDERS)
    pytester.makepyfile(
        """
        import requests

        def test_get(mockserve):
            server = mockserve("orders.yaml")
            assert requests.get(server.url + "/orders/7", timeout=5).status_code == 200

        def test_create(mockserve):
            server = mockserve("orders.yaml")
            requests.post(server.url + "/orders", json={"sku": "A1"}, timeout=5)

        def test_failing(mockserve):
            server = mockserve("orders.yaml")
            requests.get(server.url + "/orders/8", timeout=5)
            assert False, "this test fails: its exchanges are not written"
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--pact-dir", "pacts", "--pact-consumer", "web"
    )
    result.assert_outcomes(passed=2, failed=1)
    pact = json.loads((pytester.path / "pacts" / "web-Orders.json").read_text())
    assert [i["description"] for i in pact["interactions"]] == [
        "get-order: GET /orders/7 -> 200",
        "create-order: POST /orders -> 201",
    ]
