"""Resources: a collection declared in a few lines answers full CRUD, in JSON, over HTTP."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mockserve import SpecError, load_spec

SPECS = Path(__file__).resolve().parent.parent / "specs"

PETS = """
    mockserve: 1
    schemas:
      Pet:
        type: object
        required: [id, name]
        properties:
          id: {type: integer}
          name: {type: string, minLength: 1}
          species: {enum: [cat, dog, bird]}
          tags: {type: array, items: {type: string}}
    resources:
      pets:
        path: /pets
        schema: {$ref: "#/schemas/Pet"}
        data:
          - {id: 1, name: Rex, species: dog, tags: [good]}
          - {id: 2, name: Tom, species: cat}
          - {id: 3, name: Kit, species: cat, tags: [small, good]}
"""

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def ids(response: requests.Response) -> list:
    return [item["id"] for item in response.json()]


@pytest.fixture
def pets(serve):
    return serve(PETS)


# -- listing ---------------------------------------------------------------------------


def test_the_list_is_every_item_in_insertion_order(pets):
    response = pets.get("/pets")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Total-Count"] == "3"
    assert response.json()[0] == {"id": 1, "name": "Rex", "species": "dog", "tags": ["good"]}
    assert ids(response) == [1, 2, 3]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("species=cat", [2, 3]),
        ("id=2", [2]),  # numbers compare as text
        ("species=cat&name=Kit", [3]),  # every filter must hold
        ("species=cat&species=dog", [1, 2, 3]),  # a repeated parameter: any of its values
        ("tags=good", [1, 3]),  # a list field: holds the value
        ("species=fish", []),
        ("colour=red", []),  # no such field: nothing matches
    ],
)
def test_any_query_parameter_but_limit_and_offset_filters(pets, query, expected):
    response = pets.get("/pets?" + query)
    assert ids(response) == expected
    assert response.headers["X-Total-Count"] == str(len(expected))


@pytest.mark.parametrize(
    "query, expected, total",
    [
        ("limit=2", [1, 2], 3),
        ("offset=1", [2, 3], 3),
        ("limit=1&offset=1", [2], 3),
        ("species=cat&limit=1&offset=1", [3], 2),  # the total counts after filtering
        ("offset=10", [], 3),
        ("limit=0", [], 3),
    ],
)
def test_limit_and_offset_page_and_the_total_counts_before_paging(pets, query, expected, total):
    response = pets.get("/pets?" + query)
    assert ids(response) == expected
    assert response.headers["X-Total-Count"] == str(total)


@pytest.mark.parametrize(
    "query, pointer",
    [
        ("limit=-1", "/limit"),
        ("limit=two", "/limit"),
        ("offset=1.5", "/offset"),
    ],
)
def test_a_limit_or_offset_that_is_not_a_whole_number_is_422(pets, query, pointer):
    response = pets.get("/pets?" + query)
    assert response.status_code == 422
    assert response.json()["errors"][0]["in"] == "query"
    assert response.json()["errors"][0]["path"] == pointer
    name, raw = query.split("=")
    assert response.json()["errors"][0]["message"] == (
        f"{name} must be a whole number (0 or more), got '{raw}'"
    )


def test_filtering_compares_string_keys_and_booleans_as_text(serve):
    live = serve("""
        mockserve: 1
        resources:
          tasks:
            path: /tasks
            key: slug
            data:
              - {slug: a, done: true}
              - {slug: b, done: false}
    """)
    assert [t["slug"] for t in live.get("/tasks?done=true").json()] == ["a"]
    assert [t["slug"] for t in live.get("/tasks?slug=b").json()] == ["b"]


# -- creating --------------------------------------------------------------------------


def test_post_stores_the_item_and_answers_201_with_its_location(pets):
    response = pets.post("/pets", json={"name": "Bo", "species": "bird"})
    assert response.status_code == 201
    assert response.json() == {"id": 4, "name": "Bo", "species": "bird"}
    assert response.headers["Location"] == "/pets/4"
    assert pets.get("/pets/4").json() == {"id": 4, "name": "Bo", "species": "bird"}
    assert ids(pets.get("/pets")) == [1, 2, 3, 4]


def test_a_key_sent_by_the_client_is_kept_and_the_next_generated_one_follows_it(pets):
    assert pets.post("/pets", json={"id": 10, "name": "Bo"}).headers["Location"] == "/pets/10"
    assert pets.post("/pets", json={"name": "Cy"}).json()["id"] == 11


def test_an_existing_key_is_409_and_nothing_changes(pets):
    response = pets.post("/pets", json={"id": 2, "name": "Impostor"})
    assert response.status_code == 409
    assert response.json() == {
        "error": "pets already has an item with id 2",
        "route": "POST /pets",
        "errors": [],
    }
    assert pets.get("/pets/2").json()["name"] == "Tom"
    assert pets.get("/pets").headers["X-Total-Count"] == "3"


@pytest.mark.parametrize(
    "resource, first_key",
    [
        ("{path: /things}", 1),  # empty, no schema: integers from 1
        ("{path: /things, data: [{id: 7}, {id: 3}]}", 8),  # the largest integer key plus 1
    ],
)
def test_generated_integer_keys(serve, resource, first_key):
    live = serve(f"""
        mockserve: 1
        resources:
          things: {resource}
    """)
    response = live.post("/things", json={"label": "x"})
    assert response.json() == {"id": first_key, "label": "x"}
    assert response.headers["Location"] == f"/things/{first_key}"


STRING_KEYS = """
    mockserve: 1
    resources:
      users:
        path: /users
        data:
          - {id: alice, name: Alice}
"""


def test_string_keys_get_a_generated_uuid_repeatable_with_a_seed(serve):
    first = serve(STRING_KEYS, seed=5).post("/users", json={"name": "Bob"})
    second = serve(STRING_KEYS, seed=5).post("/users", json={"name": "Bob"})
    key = first.json()["id"]
    assert UUID.match(key)
    assert first.headers["Location"] == f"/users/{key}"
    assert second.json()["id"] == key


def test_an_empty_collection_whose_schema_wants_text_keys_gets_a_uuid(serve):
    live = serve("""
        mockserve: 1
        resources:
          users:
            path: /users
            schema: {properties: {id: {type: string}}}
    """)
    created = live.post("/users", json={"name": "Bob"})
    assert created.status_code == 201
    assert UUID.match(created.json()["id"])


@pytest.mark.parametrize(
    "key, message",
    [
        ([1], "must be a string or a number, got an array"),
        (None, "must be a string or a number, got null"),
        ("a/b", "must be non-empty text without '/'"),
        ("", "must be non-empty text without '/'"),
    ],
)
def test_a_key_that_cannot_be_a_url_segment_is_422(serve, key, message):
    live = serve("""
        mockserve: 1
        resources:
          things: {path: /things}
    """)
    response = live.post("/things", json={"id": key})
    assert response.status_code == 422
    [failure] = response.json()["errors"]
    assert failure["path"] == "/id"
    assert message in failure["message"]


# -- reading, replacing, merging, deleting --------------------------------------------


def test_get_by_key_answers_the_item(pets):
    response = pets.get("/pets/3")
    assert response.status_code == 200
    assert response.json() == {"id": 3, "name": "Kit", "species": "cat", "tags": ["small", "good"]}


def test_a_missing_key_is_404_with_no_near_misses(pets):
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = pets.request(method, "/pets/99", json={"name": "X"})
        assert response.status_code == 404
        assert response.json() == {
            "error": "pets has no item with id 99",
            "route": f"{method} /pets/{{id}}",
            "errors": [],
        }


def test_a_key_matches_by_its_text(serve):
    live = serve("""
        mockserve: 1
        resources:
          files:
            path: /files
            key: name
            data: [{name: read me.txt, size: 1}, {name: "42", size: 2}]
    """)
    assert live.get("/files/read%20me.txt").json()["size"] == 1
    assert live.get("/files/42").json()["size"] == 2


def test_put_replaces_the_item_and_keeps_the_urls_key(pets):
    response = pets.request("PUT", "/pets/3", json={"id": 99, "name": "Kat"})
    assert response.status_code == 200
    assert response.json() == {"id": 3, "name": "Kat"}
    assert pets.get("/pets/3").json() == {"id": 3, "name": "Kat"}
    assert ids(pets.get("/pets")) == [1, 2, 3]  # same place in the list
    assert pets.get("/pets/99").status_code == 404


def test_patch_merges_top_level_fields_and_keeps_the_urls_key(pets):
    response = pets.request("PATCH", "/pets/1", json={"id": 5, "tags": ["old"], "age": 9})
    assert response.status_code == 200
    assert response.json() == {"id": 1, "name": "Rex", "species": "dog", "tags": ["old"], "age": 9}
    assert pets.get("/pets/1").json() == response.json()


def test_patch_accepts_merge_patch_json(pets):
    response = pets.request(
        "PATCH",
        "/pets/2",
        data='{"name": "Tim"}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Tim"


def test_delete_answers_204_and_the_item_is_gone(pets):
    response = pets.request("DELETE", "/pets/2")
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response.headers
    assert pets.get("/pets/2").status_code == 404
    assert ids(pets.get("/pets")) == [1, 3]
    assert pets.request("DELETE", "/pets/2").status_code == 404


# -- bad input: 422, every failure listed, nothing changed ----------------------------

BAD_BODIES = [
    # method, path, raw body, content type, expected failures (in, path, message part)
    ("POST", "/pets", "{not json", "application/json", [("body", "", "not valid JSON")]),
    (
        "POST",
        "/pets",
        '[{"name": "Bo"}]',
        "application/json",
        [("body", "", "must be a JSON object, got an array")],
    ),
    ("POST", "/pets", '"Bo"', "application/json", [("body", "", "got a string")]),
    ("POST", "/pets", "", "application/json", [("body", "", "a request body is required")]),
    (
        "POST",
        "/pets",
        "name=Bo",
        "application/x-www-form-urlencoded",
        [("headers", "/content-type", "must be application/json")],
    ),
    ("POST", "/pets", b"\xff\xfe", "application/json", [("body", "", "not valid UTF-8")]),
    (
        "POST",
        "/pets",
        '{"name": 5, "species": "fish"}',
        "application/json",
        [
            ("body", "/name", "5 is not of type 'string'"),
            ("body", "/species", "'fish' is not one of"),
        ],
    ),
    (
        "POST",
        "/pets",
        '{"name": ""}',
        "application/json",
        [("body", "/name", "should be non-empty")],
    ),
    (
        "PUT",
        "/pets/1",
        '{"species": "cat"}',
        "application/json",
        [("body", "", "'name' is a required property")],
    ),
    ("PUT", "/pets/1", "[]", "application/json", [("body", "", "got an array")]),
    (
        "PATCH",
        "/pets/1",
        '{"species": "fish"}',
        "application/json",
        [("body", "/species", "'fish' is not one of")],
    ),
    (
        "PATCH",
        "/pets/1",
        '{"tags": "good"}',
        "application/json",
        [("body", "/tags", "'good' is not of type 'array'")],
    ),
    ("PATCH", "/pets/1", "not json", "text/plain", [("headers", "/content-type", "text/plain")]),
]


@pytest.mark.parametrize("method, path, body, content_type, expected", BAD_BODIES)
def test_an_item_that_would_break_the_resource_is_422_and_nothing_changes(
    pets, method, path, body, content_type, expected
):
    before = pets.get("/pets").json()
    response = pets.request(method, path, data=body, headers={"Content-Type": content_type})
    assert response.status_code == 422
    answer = response.json()
    assert answer["error"] == "invalid request"
    assert answer["route"] == f"{method} {'/pets' if method == 'POST' else '/pets/{id}'}"
    got = [(f["in"], f["path"], f["message"]) for f in answer["errors"]]
    assert len(got) == len(expected), got
    for (where, pointer, message), (g_where, g_pointer, g_message) in zip(
        expected, got, strict=True
    ):
        assert (g_where, g_pointer) == (where, pointer)
        assert message in g_message
    assert pets.get("/pets").json() == before


def test_a_resource_422_is_a_violation_and_its_404_is_not(pets):
    pets.get("/pets/99")
    pets.post("/pets", json={"name": 5})
    violations = pets.server.violations
    assert [(v.method, v.path, v.status) for v in violations] == [("POST", "/pets", 422)]
    assert "body/name" in violations[0].why
    entry = pets.server.journal[-1]
    assert entry.route == "POST /pets"
    assert entry.failures == [
        {"in": "body", "path": "/name", "message": "5 is not of type 'string'"}
    ]


def test_the_specs_error_overrides_apply_to_resources(serve):
    live = serve("""
        mockserve: 1
        resources:
          pets:
            path: /pets
            schema: {required: [name]}
            data: [{id: 1, name: Rex}]
        errors:
          404: {json: {problem: missing, at: "{{ request.path }}"}}
          409: {json: {problem: taken}}
          422: {json: {problem: invalid, count: "{{ errors | length }}"}}
    """)
    missing = live.get("/pets/7")
    assert (missing.status_code, missing.json()) == (404, {"problem": "missing", "at": "/pets/7"})
    taken = live.post("/pets", json={"id": 1, "name": "Bo"})
    assert (taken.status_code, taken.json()) == (409, {"problem": "taken"})
    invalid = live.post("/pets", json={})
    assert (invalid.status_code, invalid.json()) == (422, {"problem": "invalid", "count": 1})


# -- with the rest of the server ------------------------------------------------------


def test_templates_read_the_items_as_resources_name(serve):
    live = serve("""
        mockserve: 1
        resources:
          pets: {path: /pets, data: [{id: 1, name: Rex}]}
        routes:
          - path: /summary
            response:
              json:
                count: "{{ resources.pets | length }}"
                names: "{{ resources.pets | map(attribute='name') | list }}"
    """)
    assert live.get("/summary").json() == {"count": 1, "names": ["Rex"]}
    live.post("/pets", json={"name": "Bo"})
    assert live.get("/summary").json() == {"count": 2, "names": ["Rex", "Bo"]}


def test_resource_routes_are_journaled_under_their_names(pets):
    pets.get("/pets?species=cat")
    pets.request("PATCH", "/pets/1", json={"name": "Max"})
    entries = pets.server.journal
    assert [(e.route, e.status) for e in entries] == [("GET /pets", 200), ("PATCH /pets/{id}", 200)]
    assert entries[0].query == {"species": "cat"}


def test_a_near_miss_404_names_the_resource_routes(pets):
    response = pets.get("/petz")
    assert response.status_code == 404
    assert response.json()["errors"][0]["route"] == "GET /pets"


def test_another_method_on_a_resource_path_is_405(pets):
    response = pets.request("DELETE", "/pets")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_resource_answers_carry_cors_headers_and_expose_the_total(serve):
    live = serve("""
        mockserve: 1
        settings: {cors: {origins: ["http://app.test"], credentials: true}}
        resources:
          pets: {path: /pets}
    """)
    origin = {"Origin": "http://app.test"}
    listing = live.get("/pets", headers=origin)
    assert listing.headers["Access-Control-Allow-Origin"] == "http://app.test"
    assert listing.headers["Access-Control-Allow-Credentials"] == "true"
    assert listing.headers["Access-Control-Expose-Headers"] == "X-Total-Count, Location"
    missing = live.get("/pets/1", headers=origin)
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == "http://app.test"
    preflight = live.request(
        "OPTIONS", "/pets/1", headers={**origin, "Access-Control-Request-Method": "PATCH"}
    )
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]


def test_a_spec_route_on_a_resource_route_is_a_spec_error(write_spec):
    path = write_spec("""
        mockserve: 1
        routes:
          - method: POST
            path: /pets
            response: {status: 201}
        resources:
          pets: {path: /pets}
    """)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    [problem] = caught.value.problems
    assert problem.where == "resources.pets.path"
    assert problem.message.startswith("duplicate route POST /pets; first defined at ")
    assert problem.message.endswith("spec.yaml:5")  # the route's path


# -- concurrency -----------------------------------------------------------------------


def test_concurrent_posts_never_lose_an_item(serve):
    live = serve("""
        mockserve: 1
        resources:
          events: {path: /events}
    """)
    threads, per_thread = 16, 25

    def post_all(worker: int) -> list[int]:
        with requests.Session() as session:
            statuses = []
            for n in range(per_thread):
                response = session.post(
                    live.url + "/events", json={"name": f"{worker}-{n}"}, timeout=30
                )
                statuses.append(response.status_code)
            return statuses

    with ThreadPoolExecutor(threads) as pool:
        statuses = [s for batch in pool.map(post_all, range(threads)) for s in batch]
    assert statuses == [201] * (threads * per_thread)
    listing = live.get("/events")
    items = listing.json()
    assert listing.headers["X-Total-Count"] == str(threads * per_thread)
    assert sorted(item["name"] for item in items) == sorted(
        f"{w}-{n}" for w in range(threads) for n in range(per_thread)
    )
    assert sorted(item["id"] for item in items) == list(range(1, threads * per_thread + 1))


# -- the example spec ---------------------------------------------------------------------


def test_the_todo_example_is_a_working_backend(serve):
    live = serve(SPECS / "todo.yaml")
    assert live.get("/todos?done=false").headers["X-Total-Count"] == "2"
    created = live.post(
        "/todos",
        json={"title": "Write tests", "tags": ["work"]},
        headers={"Origin": "http://localhost:5173"},
    )
    assert created.status_code == 201
    assert created.headers["Location"] == "/todos/4"
    assert created.headers["Access-Control-Allow-Origin"] == "*"
    assert live.request("PATCH", "/todos/4", json={"done": True}).json() == {
        "id": 4,
        "title": "Write tests",
        "tags": ["work"],
        "done": True,
    }
    assert live.request("PATCH", "/todos/4", json={"title": ""}).status_code == 422
    assert live.request("DELETE", "/todos/1").status_code == 204
    assert live.get("/todos/stats").json() == {"total": 3, "done": 2, "open": 1}
    assert [t["title"] for t in live.get("/todos?limit=2").json()] == [
        "Book the dentist",
        "Water the plants",
    ]
