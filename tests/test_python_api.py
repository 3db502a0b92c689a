"""MockServer: a spec served over real HTTP from a test, with assertions on what arrived."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import requests

from mockserve import MockServer, SpecError, create_app

SHOP = (
    (Path(__file__).parent / "specs" / "orders.yaml").read_text()
    + """\
  - path: /jobs/1
    order: sequence
    responses:
      - json: {state: queued}
      - json: {state: done}
"""
)


@pytest.fixture
def shop(write_spec):
    return write_spec(SHOP)


@pytest.fixture
def server(shop):
    with MockServer(shop) as running:
        yield running


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(server: MockServer, path: str) -> requests.Response:
    return requests.get(server.url + path, timeout=10)


def post(server: MockServer, path: str, body) -> requests.Response:
    return requests.post(server.url + path, json=body, timeout=10)


# -- running -----------------------------------------------------------------------------


def test_the_context_manager_serves_over_real_http_and_stops_at_the_end(shop):
    with MockServer(shop) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert get(server, "/users/7").json() == {"id": 7}
        url = server.url
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/users/7", timeout=10)


def test_start_and_stop_work_without_with_and_twice_is_harmless(shop):
    server = MockServer(shop)
    assert server.start() is server
    server.start()
    try:
        assert get(server, "/users/1").status_code == 200
    finally:
        server.stop()
        server.stop()
    assert not server.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_a_stopped_server_starts_again_with_its_journal(shop):
    server = MockServer(shop).start()
    get(server, "/users/1")
    server.stop()
    server.start()
    try:
        get(server, "/users/2")
        assert [entry.path for entry in server.journal] == ["/users/1", "/users/2"]
    finally:
        server.stop()


def test_a_fixed_port_and_a_seed_are_used(shop, unused_port):
    with MockServer(shop, port=unused_port, seed=7) as server:
        assert server.url == f"http://127.0.0.1:{unused_port}"
        assert server.spec.settings.seed == 7


def test_a_bad_spec_raises_spec_error_before_anything_listens(write_spec):
    bad = write_spec("mockserve: 1\nroutes:\n  - path: /a\n    response: {status: two}\n")
    with pytest.raises(SpecError, match=r"spec\.yaml:4:\d+: routes\[0\]\.response\.status"):
        MockServer(bad)


def test_create_app_stays_available_for_flasks_test_client(shop):
    assert create_app(shop).test_client().get("/users/3").get_json() == {"id": 3}


# -- the journal and reset ---------------------------------------------------------------


def test_the_journal_lists_each_request_oldest_first(server):
    get(server, "/users/1?verbose=1")
    post(server, "/orders", {"item": "tea", "qty": 0})
    first, second = server.journal
    assert (first.method, first.path, first.query, first.route, first.status) == (
        "GET",
        "/users/1",
        {"verbose": "1"},
        "get-user",
        200,
    )
    assert (second.route, second.status, second.failures) == (
        "create-order",
        422,
        [{"in": "body", "path": "/qty", "message": "0 is less than the minimum of 1"}],
    )
    assert second.body == '{"item": "tea", "qty": 0}'


def test_reset_empties_the_journal_and_restarts_sequences_but_keeps_violations(server):
    assert get(server, "/jobs/1").json() == {"state": "queued"}
    get(server, "/nowhere")
    server.reset()
    assert server.journal == []
    assert get(server, "/jobs/1").json() == {"state": "queued"}
    assert [(v.method, v.path, v.status) for v in server.violations] == [("GET", "/nowhere", 404)]


# -- assert_called -----------------------------------------------------------------------


def test_assert_called_by_path_or_route_name_at_least_once_or_exactly(server):
    get(server, "/users/1")
    get(server, "/users/1?verbose=1")
    server.assert_called("GET", "/users/1")
    server.assert_called("get", "/users/1", times=2)
    server.assert_called("GET", "get-user", times=2)
    server.assert_not_called("GET", "/users/2")
    server.assert_not_called("POST", "/users/1")


def test_assert_called_with_json_compares_the_parsed_body(server):
    post(server, "/orders", {"qty": 2, "item": "tea"})
    server.assert_called("POST", "/orders", json={"item": "tea", "qty": 2})
    server.assert_not_called("POST", "/orders", json={"item": "tea", "qty": 3})


def test_a_call_that_never_came_lists_the_requests_that_did_closest_first(server):
    get(server, "/health")
    post(server, "/orders", {"item": "tea", "qty": 0})
    get(server, "/users/2")
    with pytest.raises(AssertionError) as failure:
        server.assert_called("GET", "/users/1")
    assert str(failure.value) == "\n".join(
        [
            "expected GET /users/1 to be called at least once, but it was called 0 times",
            "Requests that did arrive (3), closest first:",
            "  GET /users/2 -> 200 (get-user)",
            "  GET /health -> 404 (no route)",
            "  POST /orders -> 422 (create-order)",
            "      body/qty: 0 is less than the minimum of 1",
        ]
    )


def test_a_wrong_count_says_how_many_came(server):
    get(server, "/users/1")
    with pytest.raises(
        AssertionError,
        match="^expected GET \\(route 'get-user'\\) to be called twice, but it was called once\n",
    ):
        server.assert_called("GET", "get-user", times=2)


def test_a_body_that_differs_is_shown_as_a_diff(server):
    post(server, "/orders", {"item": "tea", "qty": 2})
    with pytest.raises(AssertionError) as failure:
        server.assert_called("POST", "/orders", json={"item": "tea", "qty": 3})
    assert str(failure.value) == "\n".join(
        [
            'expected POST /orders with JSON body {"item": "tea", "qty": 3} to be called at '
            "least once, but it was called 0 times",
            "Requests that did arrive (1), closest first:",
            "  POST /orders -> 201 (create-order)",
            "      body differs (- expected, + sent):",
            '        -   "qty": 3',
            '        +   "qty": 2',
        ]
    )


def test_nothing_arrived_says_so(server):
    with pytest.raises(AssertionError, match="called 0 times\nNo requests arrived.$"):
        server.assert_called("GET", "/users/1")


def test_assert_not_called_lists_the_calls_that_came(server):
    post(server, "/orders", {"item": "tea", "qty": 1})
    with pytest.raises(AssertionError) as failure:
        server.assert_not_called("POST", "create-order")
    assert str(failure.value).splitlines()[:3] == [
        "expected POST (route 'create-order') not to be called, but it was called once",
        "Requests that did arrive (1), closest first:",
        "  POST /orders -> 201 (create-order)",
    ]


# -- assert_no_violations ----------------------------------------------------------------


def test_assert_no_violations_passes_when_every_request_kept_the_contract(server):
    get(server, "/users/1")
    post(server, "/orders", {"item": "tea", "qty": 1})
    server.assert_no_violations()
    assert server.violations == []


def test_assert_no_violations_lists_each_uncovered_or_invalid_request(server):
    post(server, "/orders", {"qty": 0})
    requests.delete(server.url + "/orders", timeout=10)
    with pytest.raises(AssertionError) as failure:
        server.assert_no_violations()
    assert str(failure.value) == "\n".join(
        [
            "expected no violations, but there were 2:",
            "  POST /orders -> 422 (create-order)",
            "      body: 'item' is a required property",
            "      body/qty: 0 is less than the minimum of 1",
            "  DELETE /orders -> 405 (no route)",
            "      DELETE is not allowed on /orders; use OPTIONS, POST",
        ]
    )


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "10.255.255.1"], ids=["port-taken", "not-this-machine"]
)
def test_a_server_that_cannot_listen_raises_and_leaves_nothing_open(shop, host):
    import gc
    import warnings

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1] if host == "127.0.0.1" else 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            with pytest.raises(OSError):
                MockServer(shop, host=host, port=port).start()
            gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
