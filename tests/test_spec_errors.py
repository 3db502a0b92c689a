"""Spec errors: every problem is reported at once, located as FILE:LINE:COL: WHERE: WHAT.

Loading checks the file against the format's JSON Schema (unknown keys are errors,
with a suggestion), then what a schema cannot say: unknown `$ref`, duplicate routes,
invalid JSON Schemas, template syntax and unsafe templates, bad regexes, missing files
or files outside the spec's folder, `include` cycles. A spec with errors never starts
serving: `validate` and `run` print every problem, no traceback, and exit 2.
"""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from mockserve.cli import main


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Work in the spec's folder, so FILE is printed as the user typed it."""
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> str:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
        return name

    return write


def validate(*paths: str):
    return CliRunner().invoke(main, ["validate", *paths])


def problems_of(result) -> list[str]:
    """The problem lines printed (the summary line aside)."""
    return [
        line for line in result.stderr.splitlines() if not line.endswith(("problem", "problems"))
    ]


SEVERAL_MISTAKES = """
    mockserve: 1
    schemas:
      Order:
        type: objekt
    routes:
      - path: /orders
        response:
          status: two hundred
          json: {id: "{{ 1 + }}"}
      - path: /orders
        respons: {json: 1}
      - path: /pay
        body: {schema: {$ref: "#/schemas/Payment"}}
        response:
          file: ../secrets.json
      - path: /peek
        response:
          text: "{{ ''.__class__ }}"
"""


def test_validate_prints_every_problem_located_and_exits_2(in_tmp):
    spec = in_tmp("shop.yaml", SEVERAL_MISTAKES)
    result = validate(spec)
    assert result.exit_code == 2
    assert problems_of(result) == [
        "shop.yaml:4:11: schemas.Order.type: invalid JSON Schema: 'objekt' is not a JSON Schema "
        "type (use array, boolean, integer, null, number, object, string)",
        "shop.yaml:8:15: routes[0].response.status: 'two hundred' is not an integer status "
        "(100 to 599) or a lone {{ expression }}",
        "shop.yaml:9:18: routes[0].response.json.id: template syntax error: "
        "unexpected 'end of print statement'",
        "shop.yaml:10:11: routes[1].path: duplicate route GET /orders; first defined at "
        "shop.yaml:6",
        "shop.yaml:11:5: routes[1].respons: unknown key 'respons'; did you mean 'response'?",
        "shop.yaml:13:27: routes[2].body.schema.$ref: unknown $ref '#/schemas/Payment' "
        "(schemas: Order)",
        "shop.yaml:15:13: routes[2].response.file: '../secrets.json' is outside the spec's folder",
        "shop.yaml:18:13: routes[3].response.text: unsafe attribute access '__class__' in template",
    ]
    assert result.stderr.splitlines()[-1] == "shop.yaml: 8 problems"
    assert "Traceback" not in result.output


def test_run_refuses_a_spec_with_errors_and_serves_nothing(in_tmp):
    spec = in_tmp("shop.yaml", SEVERAL_MISTAKES)
    result = CliRunner().invoke(main, ["run", spec, "--port", "0"])
    assert result.exit_code == 2
    assert "shop.yaml:8:15: routes[0].response.status" in result.stderr
    assert "not serving" in result.stderr
    assert "serving 'Shop" not in result.stderr and "http://" not in result.output


def test_validate_on_a_valid_spec_exits_0(in_tmp):
    spec = in_tmp(
        "ok.yaml",
        """
        mockserve: 1
        routes:
          - path: /health
            response: {json: {status: ok}}
    """,
    )
    result = validate(spec)
    assert result.exit_code == 0
    assert result.stdout == "ok.yaml: ok (1 route)\n"


def test_validate_takes_several_files_and_reports_each(in_tmp):
    good = in_tmp("good.yaml", "mockserve: 1\nroutes: []\n")
    bad = in_tmp("bad.yaml", "mockserve: 1\nroutes: 5\n")
    result = validate(good, bad)
    assert result.exit_code == 2
    assert "good.yaml: ok" in result.stdout
    assert "bad.yaml:2:9: routes: 5 is not an array" in result.stderr


# -- each check, one problem each ---------------------------------------------------------

CHECKS = [
    # (what, spec body after `mockserve: 1`, the problem printed)
    (
        "unknown $ref",
        """
     routes:
       - path: /a
         body: {schema: {$ref: "#/schemas/Nope"}}
     """,
        "spec.yaml:4:27: routes[0].body.schema.$ref: unknown $ref '#/schemas/Nope' (schemas: none)",
    ),
    (
        "duplicate method and path, parameter names aside, at the second",
        """
     routes:
       - path: /d/{id}
         method: [GET, POST]
       - path: /d/{key}
         method: post
     """,
        "spec.yaml:5:11: routes[1].path: duplicate route POST /d/{key}; first defined at "
        "spec.yaml:3 as /d/{id}",
    ),
    (
        "a duplicate of a named route says its name",
        """
     routes:
       - name: get-user
         path: /users/{id}
       - path: /users/{id}
     """,
        "spec.yaml:5:11: routes[1].path: duplicate route GET /users/{id}; first defined at "
        "spec.yaml:4 by 'get-user'",
    ),
    (
        "a name used twice",
        """
     routes:
       - {name: x, path: /b}
       - {name: x, path: /c}
     """,
        "spec.yaml:4:12: routes[1].name: route name 'x' is used twice",
    ),
    (
        "a route under the admin path",
        """
     routes:
       - path: /__mockserve/x
     """,
        "spec.yaml:3:11: routes[0].path: '/__mockserve/x' is under the admin path '/__mockserve' "
        "(change settings.admin)",
    ),
    (
        "an invalid JSON Schema",
        """
     routes:
       - path: /a
         query: {properties: {limit: {type: int}}}
     """,
        "spec.yaml:4:40: routes[0].query.properties.limit.type: invalid JSON Schema: 'int' is not "
        "a JSON Schema type (use array, boolean, integer, null, number, object, string)",
    ),
    (
        "a bad regex",
        """
     routes:
       - path: /a
         query: {properties: {a: {pattern: "[a-"}}}
     """,
        "spec.yaml:4:39: routes[0].query.properties.a.pattern: invalid JSON Schema: '[a-' is not "
        "a 'regex'",
    ),
    (
        "Jinja syntax",
        """
     routes:
       - path: /e
         response: {text: "{% for %}"}
     """,
        "spec.yaml:4:22: routes[0].response.text: template syntax error: Expected an expression, "
        "got 'end of statement block'",
    ),
    (
        "Jinja syntax in a when",
        """
     routes:
       - path: /e
         responses:
           - {when: "path.id ==", text: a}
           - {text: b}
     """,
        "spec.yaml:5:16: routes[0].responses[0].when: template syntax error: unexpected "
        "'end of print statement'",
    ),
    (
        "an unsafe template",
        """
     routes:
       - path: /e
         response:
           headers: {X-Class: "{{ request.__class__ }}"}
     """,
        "spec.yaml:5:26: routes[0].response.headers.X-Class: unsafe attribute access '__class__' "
        "in template",
    ),
    (
        "a missing file",
        """
     routes:
       - path: /f
         response: {file: fixtures/none.json}
     """,
        "spec.yaml:4:22: routes[0].response.file: file 'fixtures/none.json' not found",
    ),
    (
        "a file outside the folder",
        """
     routes:
       - path: /f
         response: {file: /etc/hostname}
     """,
        "spec.yaml:4:22: routes[0].response.file: '/etc/hostname' is outside the spec's folder",
    ),
    (
        "an unknown key, with a suggestion",
        """
     routes:
       - path: /a
         methd: POST
     """,
        "spec.yaml:4:5: routes[0].methd: unknown key 'methd'; did you mean 'method'?",
    ),
    (
        "an unknown top-level key, with a suggestion",
        """
     route:
       - path: /a
     """,
        "spec.yaml:2:1: route: unknown key 'route'; did you mean 'routes'?",
    ),
    (
        "two bodies",
        """
     routes:
       - path: /a
         response: {json: 1, text: a}
     """,
        "spec.yaml:4:25: routes[0].response.text: a response has one body; found json, text",
    ),
    (
        "a when after a response without one",
        """
     routes:
       - path: /a
         responses:
           - {text: a}
           - {when: "true", text: b}
     """,
        "spec.yaml:5:9: routes[0].responses[0]: only the last response may omit 'when' "
        "(later ones could never answer)",
    ),
    (
        "a when outside first-match",
        """
     routes:
       - path: /a
         order: cycle
         responses:
           - {when: "true", text: b}
     """,
        "spec.yaml:6:10: routes[0].responses[0].when: 'when' is allowed only with order: "
        "first-match",
    ),
    (
        "a when written with braces",
        """
     routes:
       - path: /a
         responses:
           - {when: "{{ path.id == 0 }}", text: a}
           - {text: b}
     """,
        "spec.yaml:5:16: routes[0].responses[0].when: 'when' is an expression without braces: "
        "write 'path.id == 0'",
    ),
    (
        "response and responses",
        """
     routes:
       - path: /a
         response: {text: a}
         responses: [{text: b}]
     """,
        "spec.yaml:5:5: routes[0].responses: a route has 'response' or 'responses', not both",
    ),
    (
        "a delay range upside down",
        """
     routes:
       - path: /a
         response: {text: a, delay: {min: 5, max: 1}}
     """,
        "spec.yaml:4:32: routes[0].response.delay: min (5) is greater than max (1)",
    ),
    (
        "fault rates above 1",
        """
     routes:
       - path: /a
         faults: [{rate: 0.7, status: 500}, {rate: 0.6, kind: empty}]
     """,
        "spec.yaml:4:13: routes[0].faults: fault rates add up to 1.3, more than 1",
    ),
    (
        "an unknown converter",
        """
     routes:
       - path: /a/{id:number}
     """,
        "spec.yaml:3:11: routes[0].path: unknown converter 'number' (use int, float, uuid or path)",
    ),
    (
        "a Flask-style parameter",
        """
     routes:
       - path: /users/<int:id>
     """,
        "spec.yaml:3:11: routes[0].path: write parameters as {name} or {name:int}, not <...>",
    ),
    (
        "a query string in a path",
        """
     routes:
       - path: /search?q=pens
     """,
        "spec.yaml:3:11: routes[0].path: a path has no query string or fragment; check query "
        "parameters with 'query'",
    ),
    (
        "a YAML value that is not JSON",
        """
     routes:
       - path: /a
         response: {json: !!binary aGVsbG8=}
     """,
        "spec.yaml:4:22: routes[0].response.json: not a JSON value: Object of type bytes is not "
        "JSON serializable",
    ),
    (
        "a header value HTTP cannot carry",
        """
     routes:
       - path: /a
         response: {json: 1, headers: {X-Price: "5 €"}}
     """,
        "spec.yaml:4:44: routes[0].response.headers.X-Price: '5 €' cannot be sent as a header "
        "(use Latin-1 text on one line)",
    ),
    (
        "a YAML syntax error",
        """
     routes:
       - path: /a
         response: {json: [1, 2}
     """,
        "spec.yaml:4:27: (top): invalid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence)",
    ),
    (
        "a duplicate YAML key",
        """
     routes:
       - path: /a
         path: /b
     """,
        "spec.yaml:4:5: routes[0].path: duplicate key 'path'",
    ),
    (
        "no version",
        """
     routes: []
     """,
        None,
    ),
]


@pytest.mark.parametrize(("what", "body", "problem"), CHECKS, ids=[c[0] for c in CHECKS])
def test_each_check_reports_one_located_problem(in_tmp, what, body, problem):
    text = textwrap.dedent(body).lstrip("\n")
    if problem is None:  # a file without `mockserve: 1`
        spec = in_tmp("spec.yaml", text)
        problem = (
            "spec.yaml:1:1: (top): 'mockserve: 1' is missing: every spec starts with it "
            "(a file listed in another spec's `include` is checked through that spec)"
        )
    else:
        spec = in_tmp("spec.yaml", "mockserve: 1\n" + text)
    result = validate(spec)
    assert result.exit_code == 2
    assert problems_of(result) == [problem]


def test_a_duplicate_of_a_resource_route_names_the_resource(in_tmp):
    spec = in_tmp(
        "spec.yaml",
        """
        mockserve: 1
        resources:
          pets: {path: /pets}
          animals: {path: /pets}
    """,
    )
    result = validate(spec)
    assert result.exit_code == 2
    assert problems_of(result) == [
        f"spec.yaml:4:19: resources.animals.path: duplicate route {route}; first defined at "
        "spec.yaml:3 by resource 'pets'"
        for route in (
            "GET /pets",
            "POST /pets",
            "GET /pets/{id}",
            "PUT /pets/{id}",
            "PATCH /pets/{id}",
            "DELETE /pets/{id}",
        )
    ]


NAMING_A_FOLDER = [
    (
        "a response file",
        """
        mockserve: 1
        routes:
          - path: /f
            response: {file: fixtures}
        """,
        "spec.yaml:4:22: routes[0].response.file: 'fixtures' is a folder, not a file",
    ),
    (
        "an include",
        """
        mockserve: 1
        include: [fixtures/]
        """,
        "spec.yaml:2:11: include[0]: 'fixtures/' is a folder, not a file",
    ),
    (
        "resource data",
        """
        mockserve: 1
        resources:
          pets: {path: /pets, data: {file: fixtures}}
        """,
        "spec.yaml:3:36: resources.pets.data.file: 'fixtures' is a folder, not a file",
    ),
]


@pytest.mark.parametrize(
    ("where", "spec", "problem"), NAMING_A_FOLDER, ids=[c[0] for c in NAMING_A_FOLDER]
)
def test_a_file_that_names_a_folder_says_it_is_a_folder(in_tmp, tmp_path, where, spec, problem):
    (tmp_path / "fixtures").mkdir()
    result = validate(in_tmp("spec.yaml", spec))
    assert result.exit_code == 2
    assert problems_of(result) == [problem]


def test_an_empty_file(in_tmp):
    result = validate(in_tmp("empty.yaml", ""))
    assert result.exit_code == 2
    assert problems_of(result) == ["empty.yaml:1:1: (top): the file is empty"]


def test_a_missing_file(in_tmp):
    result = validate("nowhere.yaml")
    assert result.exit_code == 2
    assert problems_of(result) == [
        "nowhere.yaml:1:1: (top): cannot read file: No such file or directory"
    ]


# -- includes ----------------------------------------------------------------------------


def test_included_files_are_served(in_tmp, serve, tmp_path):
    in_tmp(
        "users.yaml",
        """
        schemas:
          User: {type: object, required: [name]}
        routes:
          - path: /users
            response: {file: fixtures/users.json}
        include:
          - more/admins.yaml
    """,
    )
    in_tmp("fixtures/users.json", '[{"name": "ann"}]')
    in_tmp(
        "more/admins.yaml",
        """
        routes:
          - method: POST
            path: /admins
            body: {schema: {$ref: "#/schemas/User"}}
            response: {file: ../fixtures/users.json}
    """,
    )
    spec = in_tmp(
        "main.yaml",
        """
        mockserve: 1
        include: [users.yaml]
        routes:
          - path: /health
            response: {json: {status: ok}}
    """,
    )
    live = serve(tmp_path / spec)
    assert live.get("/health").json() == {"status": "ok"}
    assert live.get("/users").json() == [{"name": "ann"}]  # file relative to the including file
    assert live.post("/admins", json={"name": "bo"}).json() == [{"name": "ann"}]
    assert live.post("/admins", json={}).status_code == 422  # $ref into another file's schemas


def test_problems_in_included_files_name_that_file_and_line(in_tmp):
    in_tmp(
        "users.yaml",
        """
        routes:
          - path: /users
            response: {status: 2000}
        include:
          - more/deep.yaml
    """,
    )
    in_tmp(
        "more/deep.yaml",
        """
        include:
          - ../users.yaml
        routes:
          - path: /deep
            response: {json: "{{ x. }}"}
          - path: /health
            response: {text: dup}
    """,
    )
    spec = in_tmp(
        "main.yaml",
        """
        mockserve: 1
        include:
          - users.yaml
          - missing.yaml
          - ../outside.yaml
        routes:
          - path: /health
            response: {text: ok}
    """,
    )
    result = validate(spec)
    assert result.exit_code == 2
    assert problems_of(result) == [
        "main.yaml:4:5: include[1]: file 'missing.yaml' not found",
        "main.yaml:5:5: include[2]: '../outside.yaml' is outside the spec's folder",
        "more/deep.yaml:2:5: include[0]: include cycle: main.yaml -> users.yaml -> deep.yaml "
        "-> users.yaml",
        "more/deep.yaml:5:22: routes[0].response.json: template syntax error: expected name "
        "or number",
        "more/deep.yaml:6:11: routes[1].path: duplicate route GET /health; first defined at "
        "main.yaml:7",
        "users.yaml:3:24: routes[0].response.status: 2000 is greater than the maximum of 599",
    ]


@pytest.mark.parametrize(
    ("included", "problem"),
    [
        (
            "mockserve: 1\nroutes: []\n",
            "part.yaml:1:1: mockserve: an included file must not have a 'mockserve:' key",
        ),
        (
            "settings: {cors: true}\n",
            "part.yaml:1:1: settings: unknown key 'settings' (allowed: include, resources, "
            "routes, schemas)",
        ),
        (
            "routes: [{path: /a, response: {json: [1}}]\n",
            "part.yaml:1:40: (top): invalid YAML: did not find expected ',' or ']' "
            "(while parsing a flow sequence)",
        ),
    ],
)
def test_what_an_included_file_may_hold(in_tmp, included, problem):
    in_tmp("part.yaml", included)
    spec = in_tmp("main.yaml", "mockserve: 1\ninclude: [part.yaml]\n")
    result = validate(spec)
    assert result.exit_code == 2
    assert problems_of(result) == [problem]


def test_a_file_including_itself_is_a_cycle(in_tmp):
    spec = in_tmp("main.yaml", "mockserve: 1\ninclude: [main.yaml]\n")
    result = validate(spec)
    assert problems_of(result) == [
        "main.yaml:2:11: include[0]: include cycle: main.yaml -> main.yaml"
    ]


@pytest.mark.parametrize(
    "body",
    [
        "routes: 5",
        "schemas: [1]",
        "include: other.yaml",
        "routes: [{path: /x, response: 5}]",
        "routes: [{path: /x, response: {headers: 5, state: 5, redirect: 5}}]",
        "routes: [{path: /x, responses: [{when: 5}]}]",
        "errors: [1]",
        "settings: 5",
    ],
)
def test_wrongly_shaped_values_are_problems_not_tracebacks(in_tmp, body):
    result = validate(in_tmp("spec.yaml", f"mockserve: 1\n{body}\n"))
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert problems_of(result) and all(
        line.startswith("spec.yaml:") for line in problems_of(result)
    )
