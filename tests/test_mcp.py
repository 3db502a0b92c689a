"""`mockserve mcp`: every tool through the MCP SDK's own client over stdio, on real files.

One server process serves the module; each test writes its own spec in the server's
folder and names it with the `spec` argument, so tests do not share a file or a mock.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mcp_client import Agent, ToolFailed, eventually, stops_answering

from mockserve import MockServer

TOOLS = {
    "validate_spec",
    "list_routes",
    "add_route",
    "update_route",
    "remove_route",
    "start_mock",
    "stop_mock",
    "get_journal",
    "explain_request",
    "reset",
    "import",
    "verify",
}

SHOP = """\
# The shop's mock: kept by hand, reviewed like code.
mockserve: 1
title: Shop

routes:
  # Who is signed in.
  - name: get-user
    path: /users/{id:int}
    response:
      json: {id: "{{ path.id }}", name: Ann}   # a comment that must stay

  - name: create-order
    method: POST
    path: /orders
    body:
      schema:
        type: object
        required: [item]
        properties: {item: {type: string}}
    response: {status: 201, json: {item: "{{ body.item }}"}}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mcp")
    (folder / "spec.yaml").write_text(SHOP)
    return folder


@pytest.fixture(scope="module")
def agent(folder: Path) -> Iterator[Agent]:
    with Agent(str(folder / "spec.yaml"), cwd=folder) as agent:
        yield agent


@pytest.fixture
def spec(folder: Path, request: pytest.FixtureRequest) -> Path:
    """A spec file of this test's own, in the server's folder."""
    path = folder / f"{request.node.name}.yaml"
    path.write_text(SHOP)
    return path


@pytest.fixture
def mock(agent: Agent, spec: Path) -> Iterator[dict]:
    """A mock of this test's spec, started through the tool and stopped after."""
    started = agent.call("start_mock", spec=spec.name)
    yield started
    agent.result("stop_mock", mock_id=started["mock_id"])


# -- what the server offers ---------------------------------------------------------------


def test_every_tool_has_a_json_schema_and_a_description(agent: Agent) -> None:
    tools = agent.tools()
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.input_schema["type"] == "object"
        assert len(tool.description.splitlines()[0]) > 20, tool.name
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"
    schema = tools["add_route"].input_schema
    assert schema["required"] == ["route"]
    assert set(schema["properties"]) == {"route", "spec"}
    assert set(tools["update_route"].input_schema["properties"]) == {"name", "route", "spec"}
    explain = tools["explain_request"].input_schema["properties"]
    assert set(explain) == {"method", "path", "query", "headers", "body", "spec"}
    assert set(tools["get_journal"].input_schema["properties"]) == {"mock_id", "since"}


def test_resources_are_the_spec_file_and_the_format_schema(agent: Agent, folder: Path) -> None:
    assert agent.read("mockserve://spec") == (folder / "spec.yaml").read_text()
    schema = json.loads(agent.read("mockserve://schema"))
    assert "routes" in schema["properties"]


def test_the_server_says_what_it_is_for(agent: Agent) -> None:
    assert agent.initialized.server_info.name == "mockserve"
    assert "add_route" in agent.initialized.instructions


# -- reading a spec -----------------------------------------------------------------------


def test_validate_spec_lists_each_problem_where_it_stands(agent: Agent, folder: Path) -> None:
    assert agent.call("validate_spec") == {
        "spec": str(folder / "spec.yaml"),
        "valid": True,
        "routes": 2,
        "problems": [],
        "warnings": [],
    }
    (folder / "broken.yaml").write_text("mockserve: 1\nroutes:\n  - path: /a\n    response: 7\n")
    result = agent.call("validate_spec", spec="broken.yaml")
    assert result["valid"] is False
    assert result["problems"][0].startswith(f"{folder / 'broken.yaml'}:4:")


def test_list_routes_gives_the_names_the_edits_take(agent: Agent, spec: Path) -> None:
    assert agent.call("list_routes", spec=spec.name)["routes"] == [
        {"name": "get-user", "methods": ["GET"], "path": "/users/{id:int}"},
        {"name": "create-order", "methods": ["POST"], "path": "/orders"},
    ]


# -- editing in place ---------------------------------------------------------------------


def test_add_route_appends_it_and_the_running_mock_answers_it(
    agent: Agent, spec: Path, mock: dict
) -> None:
    url = mock["url"]
    assert requests.get(url + "/health", timeout=5).status_code == 404
    added = agent.call(
        "add_route",
        spec=spec.name,
        route={"name": "health", "path": "/health", "response": {"text": "ok"}},
    )
    assert added["added"] == "health"
    assert added["reloaded"] == [{k: mock[k] for k in ("mock_id", "url", "spec")}]
    assert requests.get(url + "/health", timeout=5).text == "ok"
    text = spec.read_text()
    assert text.startswith(SHOP)  # everything before it, comments included, byte for byte
    added_text = "\n  - name: health\n    path: /health\n    response:\n      text: ok\n"
    assert text[len(SHOP) :] == added_text
    first, last = added["lines"]
    assert text.splitlines()[first - 1] == "  - name: health"
    assert last == len(text.splitlines())


def test_a_route_given_as_yaml_text_is_written_as_given(agent: Agent, spec: Path) -> None:
    route = "path: /ping   # for the load balancer\nresponse: {text: pong}\n"
    agent.call("add_route", spec=spec.name, route=route)
    assert spec.read_text() == SHOP + (
        "\n  - path: /ping   # for the load balancer\n    response: {text: pong}\n"
    )


def test_an_edit_that_would_not_load_is_refused_and_the_file_stays(
    agent: Agent, spec: Path
) -> None:
    before = spec.read_bytes()
    message = agent.error(
        "add_route", spec=spec.name, route={"path": "/bad", "response": {"status": "teapot"}}
    )
    assert "nothing was written" in message
    assert f"{spec}:24:15: routes[2].response.status: 'teapot' is not" in message
    assert "   24        status: teapot" in message  # the route as it would have stood
    message = agent.error(
        "update_route", spec=spec.name, name="get-user", route={"path": "/users/{id:int"}
    )
    assert "nothing was written" in message
    assert spec.read_bytes() == before


def test_update_route_replaces_its_text_only_and_the_mock_serves_it(
    agent: Agent, spec: Path, mock: dict
) -> None:
    updated = agent.call(
        "update_route",
        spec=spec.name,
        name="get-user",
        route="path: /users/{id:int}\nresponse:\n  status: 410\n",
    )
    assert updated["updated"] == "get-user"  # the name kept, though the new text had none
    assert requests.get(mock["url"] + "/users/1", timeout=5).status_code == 410
    old_route = SHOP[SHOP.index("  - name: get-user") : SHOP.index("\n  - name: create-order")]
    new_route = "  - name: get-user\n    path: /users/{id:int}\n    response:\n      status: 410\n"
    assert spec.read_text() == SHOP.replace(old_route, new_route)


def test_remove_route_takes_its_text_and_the_mock_stops_serving_it(
    agent: Agent, spec: Path, mock: dict
) -> None:
    assert agent.call("remove_route", spec=spec.name, name="create-order")["removed"]
    assert spec.read_text() == SHOP[: SHOP.index("\n  - name: create-order")]  # and its blank line
    answer = requests.post(mock["url"] + "/orders", json={"item": "tea"}, timeout=5)
    assert answer.status_code == 404
    agent.call("remove_route", spec=spec.name, name="get-user")
    assert agent.call("validate_spec", spec=spec.name)["valid"]  # `routes: []`, not null


def test_an_edit_made_outside_the_tools_is_served_too(agent: Agent, spec: Path, mock: dict) -> None:
    """As `run --watch`: a person's editor, or an agent's own file edits, reach the mock."""
    spec.write_text(SHOP.replace("name: Ann", "name: Bo"))
    url = mock["url"] + "/users/1"
    assert eventually(lambda: requests.get(url, timeout=5).json()["name"] == "Bo")
    spec.write_text(SHOP.replace("response:\n      json", "response:\n      jsn"))
    journal = eventually(lambda: agent.call("get_journal", mock_id=mock["mock_id"]).get("warning"))
    assert f"{spec.name}: 1 problem; still serving the previous version" in journal
    assert requests.get(url, timeout=5).json()["name"] == "Bo"


def test_a_route_not_in_the_file_is_named_with_the_ones_that_are(agent: Agent, spec: Path) -> None:
    message = agent.error("remove_route", spec=spec.name, name="get-users")
    assert "no route named 'get-users'" in message and "'get-user', 'create-order'" in message


def test_a_route_in_an_included_file_is_edited_there_and_checked_with_its_spec(
    agent: Agent, folder: Path
) -> None:
    (folder / "main.yaml").write_text("mockserve: 1\ninclude: [more.yaml]\nroutes: []\n")
    more = "# included by main.yaml\nroutes:\n  - path: /more\n    response: {text: more}\n"
    (folder / "more.yaml").write_text(more)
    started = agent.call("start_mock", spec="main.yaml")
    try:
        agent.call(
            "update_route",
            spec="more.yaml",
            name="GET /more",
            route={"path": "/more", "response": {"text": "changed"}},
        )
        answer = requests.get(started["url"] + "/more", timeout=5)
        assert answer.text == "changed"  # the mock of the spec that includes it reloaded
        message = agent.error(
            "add_route", spec="more.yaml", route={"path": "/more", "response": {"text": "x"}}
        )
        assert "nothing was written" in message and "GET /more" in message  # a duplicate
    finally:
        agent.call("stop_mock", mock_id=started["mock_id"])
    assert (folder / "more.yaml").read_text() == more.replace(
        "response: {text: more}\n", "response:\n      text: changed\n"
    )


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("add_route", {}, "fix these arguments (its input schema says more):\n- route: missing"),
        ("add_route", {"route": 7}, "- route: input should be a valid dictionary or"),
        ("add_route", {"route": "- a\n- b"}, "give one route"),
        ("add_route", {"route": "path: [unclosed"}, "not YAML"),
        ("list_routes", {"spec": "../elsewhere.yaml"}, "outside"),
        ("list_routes", {"spec": "/etc/passwd"}, "outside"),
        ("validate_spec", {"spec": "missing.yaml"}, "no such file"),
        ("get_journal", {"since": -1}, "- since: input should be greater than or equal to 0"),
        ("get_journal", {"mock_id": "mock-99"}, "no mock 'mock-99'"),
        ("stop_mock", {"mock_id": "nope"}, "no mock 'nope'"),
        ("explain_request", {"method": "GET", "path": "users"}, "must start with /"),
        ("verify", {"url": "localhost:1"}, "not an http(s) URL"),
        ("no_such_tool", {}, "no_such_tool"),
    ],
)
def test_bad_arguments_are_tool_errors_that_say_what_to_fix(
    agent: Agent, tool: str, arguments: dict, says: str
) -> None:
    assert says in agent.error(tool, **arguments)
    assert agent.call("validate_spec")["valid"]  # and the server goes on


# -- running mocks ------------------------------------------------------------------------


def test_get_journal_says_why_a_request_missed_and_what_it_broke(agent: Agent, mock: dict) -> None:
    url = mock["url"]
    requests.get(url + "/user/1", timeout=5)
    requests.post(url + "/orders", json={"qty": 1}, timeout=5)
    first, second = agent.call("get_journal", mock_id=mock["mock_id"])["entries"]
    assert first["route"] is None and first["status"] == 404
    assert first["why"][0]["route"] == "get-user"
    assert "'user'" in first["why"][0]["why"]
    assert second["route"] == "create-order" and second["status"] == 422
    assert second["failures"][0]["message"] == "'item' is a required property"
    later = agent.call("get_journal", since=first["id"])["entries"]
    assert [e["id"] for e in later] == [second["id"]]


def test_reset_starts_the_journal_over(agent: Agent, mock: dict) -> None:
    requests.get(mock["url"] + "/users/1", timeout=5)
    assert agent.call("reset")["reset"] == mock["mock_id"]
    assert agent.call("get_journal")["entries"] == []


def test_explain_request_names_the_route_or_the_near_misses_without_sending(
    agent: Agent, spec: Path, mock: dict
) -> None:
    matched = agent.call("explain_request", spec=spec.name, method="GET", path="/users/7")
    assert matched["route"] == "get-user" and matched["status"] == 200
    assert matched["response"]["body"] == {"id": 7, "name": "Ann"}
    assert matched["summary"] == "GET /users/7: route 'get-user' answers 200"

    missed = agent.call("explain_request", spec=spec.name, method="DELETE", path="/users/7")
    assert missed["route"] is None and missed["status"] == 405

    refused = agent.call(
        "explain_request", spec=spec.name, method="POST", path="/orders", body={"qty": 2}
    )
    assert refused["status"] == 422
    assert refused["failures"][0]["message"] == "'item' is a required property"
    assert "refuses it with 422" in refused["summary"]

    unmatched = agent.call("explain_request", spec=spec.name, method="GET", path="/user/7")
    assert unmatched["near_misses"][0]["route"] == "get-user"
    assert unmatched["summary"].startswith("GET /user/7: no route matches (404); closest: GET")
    assert agent.call("get_journal")["entries"] == []  # nothing reached the running mock


def test_explain_request_sends_nothing_out_and_says_what_it_left_out(
    agent: Agent, folder: Path
) -> None:
    (folder / "outside.yaml").write_text(
        textwrap.dedent(
            """\
            mockserve: 1
            settings:
              proxy: {to: "http://127.0.0.1:9"}   # nothing listens there
            routes:
              - name: slow
                path: /slow
                faults: [{rate: 0.5, status: 503}]
                response: {text: ok, delay: 60000}
            """
        )
    )
    slow = agent.call("explain_request", spec="outside.yaml", method="GET", path="/slow")
    assert slow["status"] == 200 and slow["response"]["body"] == "ok"
    assert slow["delay_ms_not_waited"] == [60000, 60000]
    assert slow["faults_not_drawn"] == [{"rate": 0.5, "fault": "status 503"}]
    forwarded = agent.call("explain_request", spec="outside.yaml", method="GET", path="/other")
    assert forwarded["forwarded_to"] == "http://127.0.0.1:9" and forwarded["status"] is None
    assert forwarded["summary"] == (
        "GET /other: no route; forwarded to the upstream http://127.0.0.1:9"
    )


def test_stop_mock_closes_its_port(agent: Agent, spec: Path) -> None:
    started = agent.call("start_mock", spec=spec.name)
    assert requests.get(started["url"] + "/users/1", timeout=5).status_code == 200
    assert agent.call("stop_mock", mock_id=started["mock_id"])["stopped"] == started["mock_id"]
    assert stops_answering(started["url"])


# -- import and verify --------------------------------------------------------------------


def test_import_writes_a_new_spec_from_an_openapi_document(agent: Agent, folder: Path) -> None:
    (folder / "pets.yaml").write_text(
        textwrap.dedent(
            """\
            openapi: 3.0.3
            info: {title: Pets, version: "1"}
            paths:
              /pets:
                get:
                  responses:
                    "200":
                      description: the pets
                      content:
                        application/json:
                          example: [{name: Rex}]
            """
        )
    )
    imported = agent.call("import", document="pets.yaml", spec="pets-mock.yaml")
    assert imported["routes"] == 1
    assert agent.call("list_routes", spec="pets-mock.yaml")["routes"][0]["path"] == "/pets"
    message = agent.error("import", document="pets.yaml", spec="pets-mock.yaml")
    assert "exists" in message
    message = agent.error("add_route", spec="pets.yaml", route={"path": "/x"})
    assert "an OpenAPI document, served as it is" in message and "`import` it" in message


def test_import_reads_what_other_tools_write_and_says_what_it_dropped(
    agent: Agent, folder: Path
) -> None:
    (folder / "calls.txt").write_text("curl -s http://api.example.com/carts/1\n")
    imported = agent.call("import", document="calls.txt", spec="carts.yaml")
    assert imported["routes"] == 1
    assert imported["dropped"] == [
        "calls.txt:1: the answer: a curl line has none, so the route answers 200 {} until edited"
    ]
    assert agent.call("validate_spec", spec="carts.yaml")["valid"]
    (folder / "notes.txt").write_text("just some notes\n")
    message = agent.error("import", document="notes.txt", spec="notes.yaml")
    assert "notes.txt:1: not a format mockserve imports" in message
    assert not (folder / "notes.yaml").exists()


def test_verify_checks_a_backend_against_the_spec(agent: Agent, spec: Path) -> None:
    with MockServer(spec) as backend:  # a backend that answers as the spec says
        result = agent.call("verify", spec=spec.name, url=backend.url)
    assert result["failed"] == 0 and result["passed"] >= 1
    with MockServer(spec) as backend:
        agent.call(
            "update_route",
            spec=spec.name,
            name="get-user",
            route={"path": "/users/{id:int}", "response": {"status": 404}},
        )
        result = agent.call("verify", spec=spec.name, url=backend.url, routes=["get-user"])
    assert result["failed"] == 1
    assert result["cases"][0]["differences"]


# -- a mock started elsewhere -------------------------------------------------------------


def test_a_running_mock_is_driven_through_its_admin_api_and_outlives_the_session(
    folder: Path,
) -> None:
    """Mocks the session started stop when the client goes away; the one it drove does not."""
    with MockServer(folder / "spec.yaml", admin_token="s3cret") as running:
        requests.get(running.url + "/users/3", timeout=5)
        args = ("--url", running.url, "--admin-token", "s3cret")
        with Agent(str(folder / "spec.yaml"), *args, cwd=folder) as agent:
            entries = agent.call("get_journal")["entries"]  # the token was sent: no 401
            assert [(e["path"], e["route"]) for e in entries] == [("/users/3", "get-user")]
            assert agent.call("reset")["reset"] == "remote"
            assert running.journal == []
            assert "not started by this server" in agent.error("stop_mock")
            own = agent.call("start_mock")
            assert requests.get(own["url"] + "/users/1", timeout=5).status_code == 200
            which = "mock_id: 2 mocks are running (mock-1, remote); say which"
            assert which in agent.error("reset")
        assert stops_answering(own["url"])
        assert requests.get(running.url + "/users/1", timeout=5).status_code == 200


def test_a_tool_error_never_leaves_a_trace_of_python(agent: Agent) -> None:
    with pytest.raises(ToolFailed) as failed:
        agent.call("update_route", name="x", route={"path": "/x"}, spec="nowhere.yaml")
    assert "Traceback" not in str(failed.value)
