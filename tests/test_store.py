"""The shared store (Redis) behind the store protocols: apps sharing one answer as one.

Each test starts a real redis-server of its own (`redis_server` in conftest.py); two or
three apps built with `create_app(spec, stores=open_stores(spec, url))` stand for the
processes and instances of one mock.
"""

from __future__ import annotations

import threading

import pytest

from mockserve import create_app, load_spec
from mockserve.draws import RandomSource as Helpers
from mockserve.errors import StoreUnavailable
from mockserve.journal import Answer, Entry
from mockserve.stores import open_stores
from mockserve.stores.redis import dump_entry, load_entry

SPEC = """
    mockserve: 1
    title: shop
    routes:
      - path: /static
        response: {json: {ok: true}}
      - path: /jobs
        order: sequence
        responses:
          - json: {state: queued}
          - json: {state: running}
          - json: {state: done}
      - method: POST
        path: /visits
        response:
          json: {visits: "{{ (state.visits or 0) + 1 }}"}
          state: {visits: "{{ (state.visits or 0) + 1 }}"}
      - path: /visits
        response:
          json: {visits: "{{ state.visits or 0 }}"}
      - path: /lucky
        response:
          json: {n: "{{ randint(1, 1000000) }}", id: "{{ uuid() }}", name: "{{ fake.name() }}"}
      - path: /pick
        order: random
        responses:
          - json: {pick: a}
          - json: {pick: b}
          - json: {pick: c}
    resources:
      pets:
        path: /pets
        data: [{id: 1, name: Rex}]
"""


@pytest.fixture
def apps(write_spec, redis_server):
    """`apps(n, seed=None)`: n test clients of one spec sharing the test's Redis."""

    def make(count: int, *, seed: int | None = None, text: str = SPEC):
        spec = load_spec(write_spec(text), seed=seed)
        return [
            create_app(spec, stores=open_stores(spec, redis_server.url)).test_client()
            for _ in range(count)
        ]

    return make


def test_an_entry_reads_back_equal():
    entry = Entry(
        id=7,
        time="2026-01-02T03:04:05.678Z",
        method="POST",
        path="/orders",
        query={"tag": ["a", "b"], "q": "x"},
        headers={"Content-Type": "application/json"},
        body='{"qty": 2}',
        route="create-order",
        status=201,
        failures=[{"in": "body", "path": "/qty", "message": "too many"}],
        duration_ms=1.25,
        response=Answer(201, {"Location": "/orders/1"}, b"\x00\xffbytes", "application/json", True),
        why=[{"route": "a", "method": "GET", "path": "/a", "why": "method"}],
        extra={"proxied": True},
    )
    assert load_entry(dump_entry(entry)) == entry


def test_a_sequence_advances_once_per_request_whichever_app_answers(apps):
    one, two, three = apps(3)
    answers = [app.get("/jobs").json["state"] for app in (one, two, three, one)]
    assert answers == ["queued", "running", "done", "done"]


def test_state_written_through_one_is_read_through_another(apps):
    one, two = apps(2)
    assert one.post("/visits").json == {"visits": 1}
    assert two.post("/visits").json == {"visits": 2}
    assert one.get("/visits").json == {"visits": 2}


def test_concurrent_changes_lose_no_update(apps):
    clients = apps(3)
    threads = [
        threading.Thread(target=lambda c=c: [c.post("/visits") for _ in range(15)]) for c in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clients[0].get("/visits").json == {"visits": 45}


def test_resource_keys_never_collide(apps):
    clients = apps(3)
    keys: list[int] = []

    def create(client) -> None:
        for _ in range(10):
            answer = client.post("/pets", json={"name": "x"})
            assert answer.status_code == 201
            keys.append(answer.json["id"])

    threads = [threading.Thread(target=create, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(keys) == list(range(2, 32))
    assert len(clients[1].get("/pets").json) == 31


def test_one_journal_with_ids_from_one_counter(apps):
    one, two = apps(2)
    one.get("/static")
    two.get("/jobs")
    one.get("/nowhere")
    entries = two.get("/__mockserve/requests").json
    assert [(e["id"], e["path"]) for e in entries] == [
        (1, "/static"),
        (2, "/jobs"),
        (3, "/nowhere"),
    ]
    assert entries[2]["why"] and entries[1]["response"]["body"] == {"state": "queued"}
    assert [e["id"] for e in one.get("/__mockserve/requests?since=1").json] == [2, 3]


def test_a_reset_through_one_resets_all_but_the_ids(apps):
    one, two = apps(2)
    one.get("/jobs")
    one.post("/visits")
    one.post("/pets", json={"name": "Tom"})
    assert two.post("/__mockserve/reset").status_code == 204
    assert one.get("/__mockserve/requests").json == []
    assert one.get("/jobs").json == {"state": "queued"}
    assert two.get("/visits").json == {"visits": 0}
    assert [p["name"] for p in one.get("/pets").json] == ["Rex"]
    assert two.get("/__mockserve/requests").json[0]["id"] == 4  # ids never repeat


@pytest.mark.parametrize("path", ["/lucky", "/pick"])
def test_a_seeded_run_answers_the_same_whichever_app_serves(apps, redis_server, path):
    alone = apps(1, seed=11)[0]
    expected = [alone.get(path).json for _ in range(6)]
    redis_server.client().flushall()
    clients = apps(3, seed=11)
    assert [clients[i % 3].get(path).json for i in range(6)] == expected
    assert len({str(answer) for answer in expected}) > 1


def test_a_seeded_run_repeats_after_a_reset_through_another(apps):
    one, two = apps(2, seed=5)
    first = [one.get("/lucky").json for _ in range(3)]
    two.post("/__mockserve/reset")
    assert [two.get("/lucky").json for _ in range(3)] == first


def test_a_retried_change_draws_the_same_values():
    helpers = Helpers(seed=1)
    helpers.draw_for("POST /pets")
    helpers.randint(0, 10)  # a draw before the change

    change = helpers.repeatable(lambda _: (helpers.uuid(), helpers.randint(0, 10**9)))
    assert change(None) == change(None)


def test_an_unreachable_store_at_start_is_said_in_one_line(write_spec, tmp_path):
    spec = load_spec(write_spec(SPEC))
    with pytest.raises(StoreUnavailable, match="the store unix://.* is unreachable"):
        open_stores(spec, f"unix://{tmp_path}/none.sock")
    with pytest.raises(ValueError, match="not a Redis URL"):
        open_stores(spec, "memcached://localhost")


def test_a_lost_store_is_a_503_for_stateful_routes_only(apps, redis_server):
    (app,) = apps(1)
    assert app.get("/jobs").status_code == 200
    redis_server.kill()
    assert app.get("/static").json == {"ok": True}
    lost = app.get("/jobs")
    assert lost.status_code == 503
    assert lost.json["error"].startswith("the store unix://")
    assert app.get("/visits").status_code == 503  # a template reading state
    assert app.post("/pets", json={"name": "x"}).status_code == 503
    assert app.get("/__mockserve/requests").status_code == 503
    redis_server.start()
    assert app.get("/jobs").json == {"state": "queued"}  # a new, empty Redis
    assert app.get("/visits").json == {"visits": 0}


def test_namespaces_keep_two_mocks_apart(write_spec, redis_server):
    spec = load_spec(write_spec(SPEC))
    other = load_spec(
        write_spec(
            SPEC.replace("title: shop", "title: shop\n    settings: {namespace: b}"), name="b.yaml"
        )
    )
    one = create_app(spec, stores=open_stores(spec, redis_server.url)).test_client()
    two = create_app(other, stores=open_stores(other, redis_server.url)).test_client()
    one.get("/jobs")
    assert two.get("/jobs").json == {"state": "queued"}
    keys = {k.decode().rsplit(":", 1)[0] for k in redis_server.client().keys("*")}
    assert {"mockserve:shop", "mockserve:b"} <= keys


def test_settings_store_is_used_by_create_app(write_spec, redis_server):
    path = write_spec(
        SPEC.replace("title: shop", f"title: shop\n    settings: {{store: '{redis_server.url}'}}")
    )
    create_app(path).test_client().get("/jobs")
    assert redis_server.client().hgetall("mockserve:shop:positions") == {b"GET /jobs": b"1"}
