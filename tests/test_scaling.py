"""Many processes, one mock: `mockserve run --store` instances and `--workers N` over Redis.

Each test starts its own redis-server (`redis_server`) and real `mockserve run`
processes (`cli`), then talks to them over HTTP as a load balancer's clients would.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

SPEC = """
    mockserve: 1
    title: scaling
    routes:
      - path: /static
        response: {json: {ok: true}}
      - path: /jobs
        order: sequence
        responses:
          - json: {state: 1}
          - json: {state: 2}
          - json: {state: 3}
          - json: {state: 4}
          - json: {state: 5}
          - json: {state: 6}
      - path: /lucky
        response:
          json: {n: "{{ randint(1, 1000000) }}", id: "{{ uuid() }}"}
      - method: POST
        path: /visits
        response:
          json: {visits: "{{ (state.visits or 0) + 1 }}"}
          state: {visits: "{{ (state.visits or 0) + 1 }}"}
    resources:
      orders:
        path: /orders
"""


@pytest.fixture
def instances(cli, write_spec, redis_server):
    """`instances(n, *flags)`: n `mockserve run --store` processes; their URLs."""

    def start(count: int, *flags: str) -> list[str]:
        path = write_spec(SPEC)
        runs = [
            cli([path, "--port", "0", "-q", "--store", redis_server.url, *flags])
            for _ in range(count)
        ]
        for run in runs:
            run.serving()
        return [run.url for run in runs]

    return start


def test_a_sequence_advances_round_robin_across_three_instances(instances):
    urls = instances(3)
    answers = [requests.get(urls[i % 3] + "/jobs", timeout=10).json() for i in range(6)]
    assert answers == [{"state": n} for n in range(1, 7)]


def test_sixty_parallel_posts_give_sixty_distinct_keys(instances):
    urls = instances(3)

    def create(i: int) -> requests.Response:
        return requests.post(urls[i % 3] + "/orders", json={"n": i}, timeout=30)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(create, range(60)))
    assert [a.status_code for a in answers] == [201] * 60
    assert sorted(a.json()["id"] for a in answers) == list(range(1, 61))
    listed = requests.get(urls[1] + "/orders", timeout=10).json()
    assert sorted(item["n"] for item in listed) == list(range(60))


def test_one_journal_across_instances_with_since(instances):
    urls = instances(3)
    for i, url in enumerate(urls):
        requests.get(f"{url}/static?i={i}", timeout=10)
    journal = requests.get(urls[2] + "/__mockserve/requests", timeout=10).json()
    assert [(e["id"], e["query"]) for e in journal] == [(n + 1, {"i": str(n)}) for n in range(3)]
    later = requests.get(urls[0] + "/__mockserve/requests?since=2", timeout=10).json()
    assert [e["id"] for e in later] == [3]


def test_a_reset_through_one_instance_resets_all(instances):
    urls = instances(3)
    requests.get(urls[0] + "/jobs", timeout=10)
    requests.post(urls[1] + "/visits", timeout=10)
    requests.post(urls[2] + "/orders", json={}, timeout=10)
    assert requests.post(urls[1] + "/__mockserve/reset", timeout=10).status_code == 204
    assert requests.get(urls[2] + "/jobs", timeout=10).json() == {"state": 1}
    assert requests.post(urls[0] + "/visits", timeout=10).json() == {"visits": 1}
    assert requests.get(urls[0] + "/orders", timeout=10).json() == []


def test_a_seeded_run_answers_the_same_whichever_instance_serves(instances, redis_server):
    alone = instances(1, "--seed", "4")[0]
    expected = [requests.get(alone + "/lucky", timeout=10).json() for _ in range(6)]
    assert requests.post(alone + "/__mockserve/reset", timeout=10).status_code == 204
    urls = instances(3, "--seed", "4")
    spread = [requests.get(urls[i % 3] + "/lucky", timeout=10).json() for i in range(6)]
    assert spread == expected
    assert len({answer["id"] for answer in expected}) == 6


def test_redis_lost_mid_run_static_serves_stateful_503s_then_recovers(instances, redis_server):
    (url,) = instances(1)
    assert requests.get(url + "/jobs", timeout=10).json() == {"state": 1}
    redis_server.kill()
    assert requests.get(url + "/static", timeout=10).json() == {"ok": True}
    lost = requests.get(url + "/jobs", timeout=10)
    assert lost.status_code == 503
    assert lost.headers["Content-Type"] == "application/json"
    assert "the store unix://" in lost.json()["error"]
    assert requests.post(url + "/orders", json={}, timeout=10).status_code == 503
    redis_server.start()  # back, empty
    assert requests.get(url + "/jobs", timeout=10).json() == {"state": 1}
    assert requests.post(url + "/visits", timeout=10).json() == {"visits": 1}
    assert [e["path"] for e in requests.get(url + "/__mockserve/requests", timeout=10).json()] == [
        "/jobs",
        "/visits",
    ]


def test_an_unreachable_store_at_start_is_exit_2_in_one_line(cli, write_spec, tmp_path):
    run = cli([write_spec(SPEC), "--port", "0", "--store", f"unix://{tmp_path}/none.sock"])
    run.process.wait(timeout=30)
    status = run.stop()
    errors = "\n".join(run.lines)
    assert status == 2
    assert errors.strip().splitlines() == [
        f"mockserve: the store unix://{tmp_path}/none.sock is unreachable: "
        + errors.split("is unreachable: ", 1)[1].strip()
    ]
    assert "not serving" in errors


def test_two_workers_with_a_store_behave_as_one_server(cli, write_spec, redis_server):
    run = cli(
        [write_spec(SPEC), "--port", "0", "-q", "--workers", "2", "--store", redis_server.url]
    )
    banner = run.serving()[-1]
    url = run.url
    assert "with 2 workers sharing one store" in banner
    answers = [requests.get(url + "/jobs", timeout=10).json()["state"] for _ in range(6)]
    assert answers == [1, 2, 3, 4, 5, 6]
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda _: requests.post(url + "/visits", timeout=10), range(20)))
    assert requests.post(url + "/visits", timeout=10).json() == {"visits": 21}
    journal = requests.get(url + "/__mockserve/requests", timeout=10)
    assert journal.status_code == 200
    assert len(journal.json()) == 27
    assert requests.post(url + "/__mockserve/reset", timeout=10).status_code == 204
    assert requests.get(url + "/jobs", timeout=10).json() == {"state": 1}
    status = run.stop()
    assert status == 0


def test_store_and_other_options_from_the_environment(cli, write_spec, redis_server):
    run = cli(
        [write_spec(SPEC), "--port", "0"],
        env={"MOCKSERVE_STORE": redis_server.url, "MOCKSERVE_QUIET": "1", "MOCKSERVE_SEED": "4"},
    )
    banner = run.serving()[-1]
    url = run.url
    assert f"store {redis_server.url}" in banner
    requests.get(url + "/jobs", timeout=10)
    assert redis_server.client().hgetall("mockserve:scaling:positions") == {b"GET /jobs": b"1"}
    requests.get(url + "/lucky", timeout=10)
    assert redis_server.client().hgetall("mockserve:scaling:draws") == {b"GET /lucky": b"1"}
    status = run.stop()
    assert status == 0
    assert "GET /jobs" not in "\n".join(run.lines)  # quiet: no access log
