"""The admin API: read the journal, start over, list routes, stop the server, all in JSON."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from mockserve import SpecError, load_spec
from mockserve.cli import main

ROOT = Path(__file__).resolve().parent.parent

SHOP = """
    mockserve: 1
    routes:
      - name: get-user
        path: /users/{id:int}
        response: {json: {id: "{{ path.id }}"}}
      - method: POST
        path: /orders
        body: {schema: {required: [qty]}}
        response:
          status: 201
          json: {ok: true}
          state: {last: "{{ body.qty }}"}
      - path: /orders/last
        response: {json: {last: "{{ state.last }}"}}
      - path: /jobs/1
        order: sequence
        responses:
          - json: {state: queued}
          - json: {state: done}
    resources:
      pets:
        path: /pets
        data: [{id: 1, name: Rex}]
"""

ADMIN = "/__mockserve"


@pytest.fixture
def shop(serve):
    return serve(SHOP)


def journal(live, query: str = "") -> list[dict]:
    response = live.get(f"{ADMIN}/requests{query}")
    assert response.status_code == 200
    return response.json()


# -- health and routes -----------------------------------------------------------------


def test_health_answers_ok(shop):
    response = shop.get(f"{ADMIN}/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert response.headers["Content-Type"] == "application/json"


def test_routes_lists_every_route_resources_included(shop):
    routes = shop.get(f"{ADMIN}/routes").json()
    assert routes[0] == {"name": "get-user", "methods": ["GET"], "path": "/users/{id:int}"}
    assert [r["name"] for r in routes] == [
        "get-user",
        "POST /orders",
        "GET /orders/last",
        "GET /jobs/1",
        "GET /pets",
        "POST /pets",
        "GET /pets/{id}",
        "PUT /pets/{id}",
        "PATCH /pets/{id}",
        "DELETE /pets/{id}",
    ]
    assert routes[-1] == {"name": "DELETE /pets/{id}", "methods": ["DELETE"], "path": "/pets/{id}"}


# -- the journal -----------------------------------------------------------------------


def test_the_journal_lists_requests_oldest_first_and_not_its_own(shop):
    shop.get("/users/7?verbose=1", headers={"X-Trace": "abc"})
    shop.post("/orders", json={"qty": 0, "note": "é"})
    shop.get(f"{ADMIN}/health")
    entries = journal(shop)
    assert [(e["id"], e["method"], e["path"], e["route"], e["status"]) for e in entries] == [
        (1, "GET", "/users/7", "get-user", 200),
        (2, "POST", "/orders", "POST /orders", 201),
    ]
    first = entries[0]
    assert set(first) == {
        "id",
        "time",
        "method",
        "path",
        "query",
        "headers",
        "body",
        "route",
        "status",
        "failures",
        "duration_ms",
        "response",
        "why",
    }
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$", first["time"])
    assert first["query"] == {"verbose": "1"}
    assert first["headers"]["X-Trace"] == "abc"
    assert first["body"] is None
    assert first["failures"] == []
    assert first["duration_ms"] >= 0
    assert entries[1]["body"] == '{"qty": 0, "note": "\\u00e9"}'
    assert journal(shop) == entries  # reading the journal is not journaled


def test_each_entry_holds_what_was_answered(shop):
    shop.get("/users/7")
    shop.get("/userz/7")
    shop.post("/orders", data="not json", headers={"Content-Type": "text/plain"})
    matched, missed, invalid = journal(shop)
    assert matched["response"]["status"] == 200
    assert matched["response"]["headers"]["Content-Type"] == "application/json"
    assert matched["response"]["body"] == {"id": 7}  # JSON as JSON
    assert matched["why"] == []
    assert missed["response"]["status"] == 404
    assert missed["why"][0]["route"] == "get-user"
    assert "segment 1 is 'userz'" in missed["why"][0]["why"]
    assert invalid["response"]["status"] == 422
    assert invalid["response"]["body"]["errors"] == invalid["failures"]


def test_a_large_answer_is_kept_cut_and_says_so(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /big
            response: {text: "{{ 'x' * 70000 }}"}
    """)
    live.get("/big")
    [entry] = journal(live)
    assert len(entry["response"]["body"]) == 64 * 1024
    assert entry["response"]["body_truncated"] is True


def test_a_contract_failure_is_journaled_with_its_failures(shop):
    shop.post("/orders", json={"qty_": 1})
    [entry] = journal(shop)
    assert entry["status"] == 422
    assert entry["failures"] == [
        {"in": "body", "path": "", "message": "'qty' is a required property"}
    ]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", [1, 2, 3, 4, 5]),
        ("?method=POST", [2, 3]),
        ("?method=post", [2, 3]),
        ("?path=/users/7", [1, 5]),
        ("?route=POST /pets", [3]),
        ("?route=get-user", [1]),
        ("?unmatched=true", [4, 5]),
        ("?unmatched=false", [1, 2, 3]),
        ("?since=3", [4, 5]),
        ("?method=GET&unmatched=true", [4]),
        ("?since=99", []),
    ],
)
def test_the_journal_filters(shop, query, expected):
    shop.get("/users/7")
    shop.post("/orders", json={"qty": 1})
    shop.post("/pets", json={"name": "Bo"})
    shop.get("/nowhere")
    shop.request("DELETE", "/users/7")  # 405: no route answered
    assert [e["id"] for e in journal(shop, query)] == expected


@pytest.mark.parametrize(
    "query, message",
    [
        ("?since=abc", "since must be a request id"),
        ("?unmatched=yes", "unmatched must be true or false"),
    ],
)
def test_a_bad_journal_filter_is_a_json_400(shop, query, message):
    response = shop.get(f"{ADMIN}/requests{query}")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_delete_requests_empties_the_journal_and_ids_keep_counting(shop):
    shop.get("/users/1")
    assert shop.request("DELETE", f"{ADMIN}/requests").status_code == 204
    assert journal(shop) == []
    shop.get("/users/2")
    assert [e["id"] for e in journal(shop)] == [2]


@pytest.mark.parametrize("size, kept", [(3, [3, 4, 5]), (0, [])])
def test_the_journal_keeps_the_last_settings_journal_requests(serve, size, kept):
    live = serve(f"""
        mockserve: 1
        settings: {{journal: {size}}}
        routes:
          - path: /ping
    """)
    for _ in range(5):
        live.get("/ping")
    assert [e["id"] for e in journal(live)] == kept
    assert live.server.requests_seen == 5


# -- reset ---------------------------------------------------------------------------


def test_reset_restores_journal_state_sequences_and_resources(shop):
    shop.post("/orders", json={"qty": 3})
    assert shop.get("/jobs/1").json() == {"state": "queued"}
    shop.post("/pets", json={"name": "Bo"})
    shop.request("DELETE", "/pets/1")
    assert shop.get("/pets").json() == [{"id": 2, "name": "Bo"}]

    response = shop.post(f"{ADMIN}/reset")
    assert (response.status_code, response.content) == (204, b"")

    assert journal(shop) == []
    assert shop.get("/orders/last").json() == {"last": None}
    assert shop.get("/jobs/1").json() == {"state": "queued"}
    assert shop.get("/pets").json() == [{"id": 1, "name": "Rex"}]
    assert shop.post("/pets", json={"name": "Cy"}).json()["id"] == 2
    assert [e["id"] for e in journal(shop)] == [6, 7, 8, 9]  # ids never repeat


def test_reset_repeats_seeded_randomness_from_the_start(serve):
    live = serve("""
        mockserve: 1
        settings: {seed: 3}
        resources:
          users: {path: /users, data: [{id: alice}]}
    """)
    first = live.post("/users", json={}).json()["id"]
    live.post(f"{ADMIN}/reset")
    assert live.post("/users", json={}).json()["id"] == first


# -- unknown paths, methods, and the admin path itself ---------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", ADMIN),
        ("GET", f"{ADMIN}/"),
        ("GET", f"{ADMIN}/nope"),
        ("POST", f"{ADMIN}/a/b"),
    ],
)
def test_an_unknown_admin_path_is_a_json_404_listing_the_endpoints(shop, method, path):
    response = shop.request(method, path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert "GET /__mockserve/requests" in response.json()["error"]
    assert journal(shop) == []
    assert shop.server.violations == []


def test_a_known_admin_path_with_another_method_is_405(shop):
    response = shop.post(f"{ADMIN}/health")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json()["errors"] == []


def test_the_specs_error_overrides_do_not_replace_admin_errors(serve):
    live = serve("""
        mockserve: 1
        errors:
          404: {json: {custom: true}}
    """)
    assert live.get("/missing").json() == {"custom": True}
    assert "no admin endpoint" in live.get(f"{ADMIN}/missing").json()["error"]


# -- where the admin API lives -----------------------------------------------------------


def test_admin_false_turns_it_off(serve):
    live = serve("""
        mockserve: 1
        settings: {admin: false}
        routes:
          - path: /ping
    """)
    response = live.get(f"{ADMIN}/health")
    assert response.status_code == 404
    assert response.json()["error"] == "no route matches GET /__mockserve/health"
    [entry] = live.server.journal
    assert (entry.path, entry.route) == ("/__mockserve/health", None)


def test_settings_admin_moves_it(serve):
    live = serve("""
        mockserve: 1
        settings: {admin: /_admin}
        routes:
          - path: /__mockserve/health
            response: {json: {mine: true}}
    """)
    assert live.get("/_admin/health").json() == {"status": "ok"}
    assert live.get("/__mockserve/health").json() == {"mine": True}
    assert [e["path"] for e in journal_at(live, "/_admin")] == ["/__mockserve/health"]


def journal_at(live, prefix: str) -> list[dict]:
    return live.get(f"{prefix}/requests").json()


@pytest.mark.parametrize(
    "settings, path, admin",
    [
        ("", "/__mockserve/stats", "/__mockserve"),
        ("", "/__mockserve", "/__mockserve"),
        ("settings: {admin: /_admin}", "/_admin/{rest:path}", "/_admin"),
    ],
)
def test_a_spec_route_under_the_admin_path_is_a_spec_error(write_spec, settings, path, admin):
    spec = write_spec(f"""
        mockserve: 1
        {settings}
        routes:
          - path: /ok
          - path: {path}
    """)
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    [problem] = caught.value.problems
    assert problem.where == "routes[1].path"
    assert problem.message == (
        f"{path!r} is under the admin path {admin!r} (change settings.admin)"
    )
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 2
    assert f"routes[1].path: {path!r} is under the admin path" in result.output


def test_a_resource_under_the_admin_path_is_a_spec_error(write_spec):
    spec = write_spec("""
        mockserve: 1
        resources:
          things: {path: /__mockserve/things}
    """)
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert all("under the admin path '/__mockserve'" in p.message for p in caught.value.problems)
    assert caught.value.problems[0].where == "resources.things.path"


def test_with_admin_off_any_path_is_the_specs(write_spec):
    spec = write_spec("""
        mockserve: 1
        settings: {admin: false}
        routes:
          - path: /__mockserve/health
    """)
    assert load_spec(spec).routes[0].path == "/__mockserve/health"


# -- shutdown --------------------------------------------------------------------------------


def test_shutdown_answers_204_then_stops_the_server(shop):
    response = shop.post(f"{ADMIN}/shutdown")
    assert (response.status_code, response.content) == (204, b"")
    assert shop.server.wait_stopped(timeout=10)
    assert not shop.server.running
    with pytest.raises(requests.ConnectionError):
        requests.get(shop.url + "/users/1", timeout=5)


def test_shutdown_stops_the_command_line_server(write_spec):
    spec = write_spec("""
        mockserve: 1
        routes:
          - path: /ping
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserve", "run", str(spec), "--port", "0", "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        banner = process.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", banner).group(0)
        assert requests.get(url + "/ping", timeout=10).status_code == 200
        response = requests.post(url + f"{ADMIN}/shutdown", timeout=10)
        assert response.status_code == 204
        assert process.wait(timeout=20) == 0
        assert "mockserve: stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
