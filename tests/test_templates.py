"""Templates: Jinja2 in a sandbox, compiled when the spec loads, rendered per request.

A string that is exactly one `{{ expression }}` renders to the value with its type;
any other string renders to text. `html` bodies are autoescaped, `text` and `body`
are not. Templates see the request (`request.*` and the shortcuts `path`, `query`,
`headers`, `cookies`, `body`), `state`, and helpers that repeat under a seed.
Request data is only ever data: it is never compiled as a template.
"""

from __future__ import annotations

import logging
import re
import uuid

import pytest

# -- types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ("{{ 7 }}", 7),
        ("{{ 2.5 }}", 2.5),
        ("{{ path.n }}", 41),
        ("{{ path.n + 1 }}", 42),
        ("{{ path.n > 40 }}", True),
        ("{{ [1, 'a', none] }}", [1, "a", None]),
        ("{{ {'a': 1, 'b': [true]} }}", {"a": 1, "b": [True]}),
        ("{{ none }}", None),
        ("{{ state.missing }}", None),  # undefined is null as a lone expression
        ("{{ query.q }}", None),
        ("{{ nosuchname }}", None),  # a missing name, key or attribute is undefined
        ("{{ nosuchname.a.b }}", None),
        ("{{ state.x or {} }}", {}),  # false as a condition
        ("{{ 'yes' if state.x else 'no' }}", "no"),
        ("n={{ path.n }}", "n=41"),  # anything around the expression: text
        ("{{ path.n }}{{ path.n }}", "4141"),
        (" {{ path.n }}", " 41"),
        ("{% if path.n %}yes{% endif %}", "yes"),
        ("missing:{{ state.missing }}.", "missing:."),  # undefined is empty inside text
        ("plain", "plain"),
    ],
)
def test_a_lone_expression_keeps_its_type_anything_else_is_text(client, template, value):
    spec = f"""
        mockserve: 1
        routes:
          - path: /value/{{n:int}}
            response:
              json: {{value: {template!r}}}
    """
    answer = client(spec).get("/value/41")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"value": value}


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("flag={{ path.n > 1 }}", "flag=true"),  # as JSON writes it, not Python's True
        ("flag={{ path.n > 100 }}", "flag=false"),
        ("none={{ none }}.", "none=."),  # null prints as nothing, like undefined
        ("list={{ [path.n, 'a'] }}", 'list=[41, "a"]'),
        ("query={{ query }}", 'query={"q": "x"}'),
        ("n={{ path.n }} f={{ 2.5 }}", "n=41 f=2.5"),
    ],
)
def test_values_inside_text_are_written_as_json_would(client, template, text):
    answer = client(f"""
        mockserve: 1
        routes:
          - path: /text/{{n:int}}
            response:
              text: {template!r}
              headers: {{X-Same: {template!r}}}
    """).get("/text/41?q=x")
    assert answer.get_data(as_text=True) == text
    assert answer.headers["X-Same"] == text


def test_json_values_are_serialized_never_pasted(client):
    answer = client("""
        mockserve: 1
        routes:
          - method: POST
            path: /echo
            response:
              json: {said: "{{ body.text }}", whole: "{{ body }}"}
    """).post("/echo", json={"text": 'she said "hi", then }'})
    assert answer.get_json() == {
        "said": 'she said "hi", then }',
        "whole": {"text": 'she said "hi", then }'},
    }


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("html", "<p>&lt;b&gt;bold&lt;/b&gt; &amp; co</p>"),
        ("text", "<p><b>bold</b> & co</p>"),
        ("body", "<p><b>bold</b> & co</p>"),
    ],
)
def test_html_is_autoescaped_text_and_body_are_not(client, kind, expected):
    answer = client(f"""
        mockserve: 1
        routes:
          - path: /page
            response:
              {kind}: "<p>{{{{ query.name }}}}</p>"
    """).get("/page", query_string={"name": "<b>bold</b> & co"})
    assert answer.get_data(as_text=True) == expected


def test_html_defaults_render(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /hello
            response:
              html: "<h1>Hello {{ query.name | default('world') }}</h1>"
    """)
    assert live.get("/hello").text == "<h1>Hello world</h1>"
    assert live.get("/hello?name=Ann").text == "<h1>Hello Ann</h1>"


# -- helpers ---------------------------------------------------------------------------

HELPERS = """
    mockserve: 1
    routes:
      - path: /random
        response:
          json:
            id: "{{ uuid() }}"
            n: "{{ randint(1, 1000000) }}"
            pick: "{{ choice(['a', 'b', 'c', 'd', 'e', 'f']) }}"
            name: "{{ fake.name() }}"
            email: "{{ fake.email() }}"
      - path: /now
        response:
          json: {iso: "{{ now() }}", day: "{{ now('%Y-%m-%d') }}"}
"""


def test_helpers_give_values_of_the_right_shape(serve):
    live = serve(HELPERS)
    values = live.get("/random").json()
    assert uuid.UUID(values["id"]).version == 4
    assert 1 <= values["n"] <= 1000000
    assert values["pick"] in "abcdef"
    assert isinstance(values["name"], str) and " " in values["name"]
    assert "@" in values["email"]
    now = live.get("/now").json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now["iso"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", now["day"])
    assert now["iso"].startswith(now["day"])


def test_helpers_repeat_from_server_start_under_the_same_seed(serve):
    first = serve(HELPERS, seed=42)
    second = serve(HELPERS, seed=42)
    other = serve(HELPERS, seed=43)
    run = [first.get("/random").json() for _ in range(3)]
    assert [second.get("/random").json() for _ in range(3)] == run
    assert [other.get("/random").json() for _ in range(3)] != run
    assert len({answer["id"] for answer in run}) == 3  # repeatable, not constant


def test_settings_seed_makes_helpers_repeatable(serve):
    spec = HELPERS.replace("mockserve: 1", "mockserve: 1\n    settings: {seed: 5}")
    assert serve(spec).get("/random").json() == serve(spec).get("/random").json()


def test_without_a_seed_values_differ(serve):
    assert serve(HELPERS).get("/random").json()["id"] != serve(HELPERS).get("/random").json()["id"]


# -- the request ------------------------------------------------------------------------

REQUEST = """
    mockserve: 1
    routes:
      - method: [POST, PUT]
        path: /echo/{id:int}/{name}
        response:
          json:
            method: "{{ request.method }}"
            path: "{{ request.path }}"
            url: "{{ request.url }}"
            agent: "{{ request.headers['X-Agent'] }}"
            query: "{{ request.query }}"
            cookies: "{{ request.cookies }}"
            raw: "{{ request.body }}"
            json: "{{ request.json }}"
            params: "{{ path }}"
            q: "{{ query.q }}"
            h1: "{{ headers['x-agent'] }}"
            h2: "{{ headers['X-AGENT'] }}"
            h3: "{{ headers.get('x-Agent') }}"
            session: "{{ cookies.session }}"
            body: "{{ body }}"
"""


def test_templates_see_the_request(serve):
    live = serve(REQUEST)
    response = live.request(
        "PUT",
        "/echo/3/ann?q=x&q=y",
        json={"a": 1},
        headers={"X-Agent": "probe"},
        cookies={"session": "s1"},
    )
    assert response.json() == {
        "method": "PUT",
        "path": "/echo/3/ann",
        "url": live.url + "/echo/3/ann?q=x&q=y",
        "agent": "probe",
        "query": {"q": ["x", "y"]},
        "cookies": {"session": "s1"},
        "raw": '{"a": 1}',
        "json": {"a": 1},
        "params": {"id": 3, "name": "ann"},
        "q": ["x", "y"],
        "h1": "probe",
        "h2": "probe",
        "h3": "probe",
        "session": "s1",
        "body": {"a": 1},
    }


@pytest.mark.parametrize(
    ("data", "content_type", "body", "json_value"),
    [
        (b"user=ann&n=2", "application/x-www-form-urlencoded", {"user": "ann", "n": "2"}, None),
        (b"just text", "text/plain", "just text", None),
        (b"", None, None, None),
        (b"{broken", "application/json", None, None),  # unparsable: null
    ],
)
def test_body_follows_the_content_type(serve, data, content_type, body, json_value):
    live = serve(REQUEST)
    headers = {"Content-Type": content_type} if content_type else {}
    answer = live.post("/echo/1/x", data=data, headers=headers).json()
    assert answer["body"] == body
    assert answer["json"] == json_value
    assert answer["raw"] == data.decode()


@pytest.mark.parametrize(
    "payload",
    ["{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}", "{{ ''.__class__ }}", "{# c #}"],
)
def test_request_data_is_never_compiled(serve, payload):
    live = serve("""
        mockserve: 1
        routes:
          - method: POST
            path: /echo
            response:
              json: {body: "{{ body.v }}", query: "{{ query.v }}", header: "{{ headers.v }}"}
          - method: POST
            path: /page
            response:
              text: "body={{ body.v }} query={{ query.v }}"
          - method: POST
            path: /state
            response:
              json: {before: "{{ state.v }}"}
              state: {v: "{{ body.v }}"}
    """)
    answer = live.post(
        "/echo", params={"v": payload}, json={"v": payload}, headers={"v": payload}
    ).json()
    assert answer == {"body": payload, "query": payload, "header": payload}
    page = live.post("/page", params={"v": payload}, json={"v": payload}).text
    assert page == f"body={payload} query={payload}"
    live.post("/state", json={"v": payload})
    assert live.post("/state", json={"v": "x"}).json() == {"before": payload}


# -- the sandbox and failures ---------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ request.__class__.__mro__ }}",
        "{{ fake._faker }}",
        "{{ request['__dict__'] }}",
    ],
)
def test_an_unsafe_template_is_a_spec_error(write_spec, template):
    from mockserve import SpecError, load_spec

    path = write_spec(f"""
        mockserve: 1
        routes:
          - path: /x
            response:
              json: {{v: {template!r}}}
    """)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    problem = caught.value.problems[0]
    assert problem.where == "routes[0].response.json.v"
    assert "unsafe" in problem.message


def test_an_unsafe_access_reached_at_runtime_is_a_500_naming_the_route(serve):
    live = serve("""
        mockserve: 1
        routes:
          - name: sneaky
            path: /sneaky
            response:
              json: {v: "{{ request | attr(query.a) }}"}
    """)
    response = live.get("/sneaky?a=__class__")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["route"] == "sneaky"
    assert "sneaky" in body["error"]
    assert len(body["errors"]) == 1 and "message" in body["errors"][0]
    assert live.get("/sneaky?a=method").json() == {"v": "GET"}  # safe attributes still work


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("{{ 1 / path.n }}", "/fail/0"),
        ("{{ path.n | attr('nope') | int + [] }}", "/fail/1"),
        ("{{ choice([]) }}", "/fail/2"),
        ("{{ randint(5, 1) }}", "/fail/3"),
    ],
)
def test_a_template_failing_at_runtime_is_a_500_json_naming_the_route(
    serve, caplog, template, path
):
    live = serve(f"""
        mockserve: 1
        routes:
          - name: fragile
            path: /fail/{{n:int}}
            response:
              json: {{v: {template!r}}}
    """)
    with caplog.at_level(logging.ERROR, logger="mockserve"):
        response = live.get(path)
    assert response.status_code == 500
    body = response.json()
    assert body["route"] == "fragile"
    assert any("fragile" in r.getMessage() for r in caplog.records)  # also logged
    assert "fragile" in body["error"] and "routes[0].response" in body["error"]
    assert body["errors"][0]["message"]


def test_a_failing_template_does_not_store_state(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /set/{n:int}
            response:
              json: {v: "{{ 10 / path.n }}"}
              state: {n: "{{ path.n }}"}
          - path: /get
            response: {json: "{{ state.n }}"}
    """)
    assert live.get("/set/0").status_code == 500
    assert live.get("/get").json() is None
    assert live.get("/set/2").json() == {"v": 5.0}
    assert live.get("/get").json() == 2


def test_templates_cannot_change_what_they_read(serve):
    live = serve("""
        mockserve: 1
        routes:
          - name: meddle
            path: /meddle
            response:
              json: {v: "{{ state.update({'admin': true}) }}"}
          - path: /state
            response: {json: "{{ state }}"}
    """)
    response = live.get("/meddle")
    assert response.status_code == 500
    assert response.json()["route"] == "meddle"
    assert live.get("/state").json() == {}


def test_a_reset_starts_the_seeded_values_again(serve):
    live = serve(HELPERS, seed=9)
    before = [live.get("/random").json() for _ in range(2)]
    live.server.reset()
    assert [live.get("/random").json() for _ in range(2)] == before


@pytest.mark.parametrize(
    "template",
    ["{{ fake.seed_instance(5) }}", "{{ fake.random.seed(5) }}", "{{ fake.add_provider(fake) }}"],
)
def test_templates_cannot_reseed_or_rewire_fake(serve, template):
    spec = f"""
        mockserve: 1
        routes:
          - name: reseed
            path: /reseed
            response: {{json: {{v: {template!r}}}}}
          - path: /name
            response: {{json: "{{{{ fake.name() }}}}"}}
    """
    live, twin = serve(spec, seed=4), serve(spec, seed=4)
    response = live.get("/reseed")
    assert response.status_code == 500 and response.json()["route"] == "reseed"
    assert live.get("/name").json() == twin.get("/name").json()  # the sequence is untouched


COMPARED = {"path": {"id": 42}, "query": {"verbose": "1"}, "x": {"y": None}, "headers": {}}


@pytest.mark.parametrize(
    "source",
    [
        "query.verbose == '1'",
        "query.verbose != '1'",
        'query.verbose == "1"',
        "path.id == 42",
        "path.id == 42.0",
        "path.id == -1",
        "x.y == none",
        "query.missing == '1'",
        "query.missing != '1'",
        "headers.x == 'a'",
    ],
)
def test_a_name_compared_with_a_literal_answers_as_jinja_does(source):
    """`query.verbose == '1'` is compared without running Jinja, to the same result."""
    from mockserve.templating import compile_expression

    quick = compile_expression(source)
    assert quick.compare is not None
    through_jinja = compile_expression.__wrapped__(source)
    object.__setattr__(through_jinja, "compare", None)
    assert quick.render(COMPARED) is through_jinja.render(COMPARED)
