"""The journal page at {admin}/ui, driven in a real headless Chromium by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # reported by the browser fixture, as a failure
    sync_playwright = None

CHROMIUM = os.environ.get("MOCKSERVE_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium phones home, and here its
# connections are refused many at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECONDS = 10_000  # Playwright's timeouts are in milliseconds: 10 s for anything live

SHOP = """
    mockserve: 1
    routes:
      - name: get-user
        path: /users/{id:int}
        response: {json: {id: "{{ path.id }}", name: Ada Lovelace}}
      - name: create-order
        method: POST
        path: /orders
        body:
          schema:
            type: object
            required: [qty]
            properties: {qty: {type: integer}}
        response:
          status: 201
          json: {ok: true}
          state: {last_qty: "{{ body.qty }}"}
    resources:
      pets:
        path: /pets
        data: [{id: 1, name: Rex}]
"""

NEAR_MISS_WHY = "segment 1 is 'userz', the route has 'users'"
BAD_QTY = "'two' is not of type 'integer'"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module; every test gets a fresh context of its own."""
    if sync_playwright is None:
        pytest.fail("Playwright is missing: pip install -e '.[test]' (never `playwright install`)")
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install -y chromium, "
            "or point MOCKSERVE_CHROMIUM at one"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """The journal page open in a browser tab, with every request and error it made."""

    def __init__(self, page: Page, live, admin: str):
        self.page = page
        self.live = live
        self.admin = admin
        self.fetched: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.fetched.append(request.url))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.goto(live.url + admin + "/ui")
        expect(page.get_by_text(re.compile("^Live: watching"))).to_be_visible(timeout=SECONDS)

    @property
    def rows(self):
        table = self.page.get_by_role("table", name="Requests, newest first")
        return table.locator("tbody > tr.entry")

    def opened(self, name: str, keyboard: bool = False):
        """Open the request whose button reads `name`; return its detail row."""
        button = self.page.get_by_role("button", name=name, exact=True)
        if keyboard:
            button.focus()
            self.page.keyboard.press("Enter")
        else:
            button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        return self.page.locator("#" + button.get_attribute("aria-controls"))

    def assert_clean(self) -> None:
        """Nothing left the mock, and the browser logged no error."""
        origin = urlsplit(self.live.url)
        elsewhere = [url for url in self.fetched if urlsplit(url)[:2] != origin[:2]]
        assert elsewhere == []
        assert self.errors == []


@pytest.fixture
def visit(browser, serve) -> Iterator:
    """Open the journal page of a served spec: `page = visit(live)`."""
    contexts = []

    def open_page(live, admin: str = "/__mockserve", **options) -> Visit:
        context = browser.new_context(**options)
        contexts.append(context)
        return Visit(context.new_page(), live, admin)

    yield open_page
    for context in contexts:
        context.close()


def send_three(live) -> None:
    """A match, a near miss (404) and a contract failure (422), in that order."""
    assert live.get("/users/7").status_code == 200
    assert live.get("/userz/7").status_code == 404
    assert live.post("/orders", json={"qty": "two"}).status_code == 422


# -- served from the package ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/ui", "text/html; charset=utf-8"),
        ("/ui/page.js", "text/javascript; charset=utf-8"),
        ("/ui/page.css", "text/css; charset=utf-8"),
    ],
)
def test_the_page_and_its_files_are_served_from_the_package(serve, path, content_type):
    live = serve(SHOP)
    response = live.get("/__mockserve" + path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == "no-cache"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert live.get("/__mockserve/requests").json() == []  # the page is not journaled


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}],
)
def test_the_page_is_guarded_like_the_admin_api(serve, headers):
    live = serve(SHOP)
    assert live.get("/__mockserve/ui", headers=headers).status_code == 403
    assert live.get("/__mockserve/ui/page.js", headers=headers).status_code == 403


def test_no_page_when_the_admin_api_is_off(serve):
    live = serve("mockserve: 1\nsettings: {admin: false}\nroutes: []\n")
    assert live.get("/__mockserve/ui").status_code == 404


def test_state_and_resources_as_json(serve):
    live = serve(SHOP)
    live.post("/orders", json={"qty": 3})
    answer = live.get("/__mockserve/state").json()
    assert answer == {"state": {"last_qty": 3}, "resources": {"pets": [{"id": 1, "name": "Rex"}]}}


# -- in the browser --------------------------------------------------------------------


def test_the_page_loads_from_the_mock_alone(serve, visit):
    live = serve(SHOP)
    journal = visit(live)
    page = journal.page
    expect(page.get_by_role("heading", name="mockserve journal", level=1)).to_be_visible()
    for name in ("Requests", "Routes", "State and resources"):
        expect(page.get_by_role("heading", name=name, level=2)).to_be_visible()
    routes = page.get_by_role("table", name="Routes of the spec").locator("tbody tr")
    expect(routes).to_have_count(2 + 6)  # two routes and the six of the resource
    expect(routes.first).to_have_text(re.compile(r"get-user\s*GET\s*/users/\{id:int\}"))
    expect(page.get_by_label("State as JSON")).to_have_text("{}")
    expect(page.get_by_label("Resources as JSON")).to_contain_text('"name": "Rex"')
    expect(page.get_by_text("No requests yet.")).to_be_visible()
    for label in ("Method", "Path contains", "Route", "Unmatched only", "Failing contract only"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    page.get_by_label("Path contains").focus()  # the keyboard reaches the filters
    page.keyboard.type("users")
    expect(page.get_by_label("Path contains")).to_have_value("users")
    journal.assert_clean()
    assert any(url.endswith("/__mockserve/requests") for url in journal.fetched)
    assert live.get("/__mockserve/requests").json() == []  # not even a /favicon.ico


def test_requests_appear_live_and_open_to_their_details(serve, visit):
    live = serve(SHOP)
    journal = visit(live)
    send_three(live)
    expect(journal.rows).to_have_count(3, timeout=SECONDS)
    expect(journal.rows.nth(0)).to_contain_text("POST /orders")  # newest first
    expect(journal.rows.nth(2)).to_contain_text("GET /users/7")

    matched = journal.opened("GET /users/7")
    expect(matched.get_by_role("heading", name="Route")).to_be_visible()
    expect(matched).to_contain_text("Matched get-user (GET /users/{id:int})")
    expect(matched.get_by_role("table", name="Request headers")).to_contain_text("User-Agent")
    expect(matched.get_by_role("table", name="Answer headers")).to_contain_text("application/json")
    expect(matched.get_by_role("figure", name="Answer body").locator("pre")).to_have_text(
        '{\n  "id": 7,\n  "name": "Ada Lovelace"\n}'
    )

    missed = journal.opened("GET /userz/7", keyboard=True)
    closest = missed.get_by_role("table", name=re.compile("^Closest routes"))
    expect(closest.locator("tbody tr").first).to_contain_text("get-user")
    expect(closest.locator("tbody tr").first).to_contain_text(NEAR_MISS_WHY)
    expect(missed.get_by_role("figure", name="Answer body")).to_contain_text(
        '"error": "no route matches GET /userz/7"'
    )

    failed = journal.opened("POST /orders")
    failures = failed.get_by_role("table", name=re.compile("^Contract failures"))
    expect(failures).to_contain_text(BAD_QTY)
    expect(failures).to_contain_text("body")
    expect(failed.get_by_role("figure", name="Request body").locator("pre")).to_have_text(
        '{\n  "qty": "two"\n}'
    )  # pretty JSON
    expect(failed.get_by_role("figure", name="Answer body")).to_contain_text(
        BAD_QTY
    )  # the 422 as answered
    journal.assert_clean()


@pytest.mark.parametrize(
    ("control", "value", "expected"),
    [
        ("Unmatched only", True, ["GET /userz/7"]),
        ("Failing contract only", True, ["POST /orders"]),
        ("Method", "POST", ["POST /orders"]),
        ("Path contains", "/users", ["GET /users/7"]),
        ("Route", "get-user", ["GET /users/7"]),
    ],
)
def test_filters(serve, visit, control, value, expected):
    live = serve(SHOP)
    journal = visit(live)
    send_three(live)
    expect(journal.rows).to_have_count(3, timeout=SECONDS)
    field = journal.page.get_by_label(control, exact=True)
    if value is True:
        field.check()
    elif control in ("Method", "Route"):
        field.select_option(value)
    else:
        field.fill(value)
    expect(journal.rows).to_have_count(len(expected))
    for row, name in zip(journal.rows.all(), expected, strict=True):
        expect(row.get_by_role("button")).to_have_text(name)
    expect(journal.page.get_by_text(re.compile(r"matching the filters, of 3"))).to_be_visible()


def test_reset_empties_the_list_and_says_so(serve, visit):
    live = serve(SHOP)
    journal = visit(live)
    live.post("/orders", json={"qty": 3})
    live.get("/users/1")
    expect(journal.rows).to_have_count(2, timeout=SECONDS)
    expect(journal.page.get_by_label("State as JSON")).to_contain_text('"last_qty": 3')
    journal.page.get_by_role("button", name="Reset the mock").click()
    expect(journal.page.get_by_role("status")).to_contain_text("Reset the mock")
    expect(journal.rows).to_have_count(0)
    expect(journal.page.get_by_label("State as JSON")).to_have_text("{}")
    assert live.get("/__mockserve/requests").json() == []
    live.get("/users/2")  # still live after a reset
    expect(journal.rows).to_have_count(1, timeout=SECONDS)
    journal.assert_clean()


def test_clear_the_journal(serve, visit):
    live = serve(SHOP)
    journal = visit(live)
    send_three(live)
    expect(journal.rows).to_have_count(3, timeout=SECONDS)
    journal.page.get_by_role("button", name="Clear the journal").click()
    expect(journal.page.get_by_role("status")).to_have_text("Cleared the journal.")
    expect(journal.rows).to_have_count(0)
    assert live.get("/__mockserve/requests").json() == []
    live.get("/users/3")
    expect(journal.rows).to_have_count(1, timeout=SECONDS)
    expect(journal.rows.first).to_contain_text("GET /users/3")


def test_a_journal_cleared_elsewhere_is_cleared_on_the_page(serve, visit):
    live = serve(SHOP)
    journal = visit(live)
    send_three(live)
    expect(journal.rows).to_have_count(3, timeout=SECONDS)
    live.request("DELETE", "/__mockserve/requests")
    expect(journal.rows).to_have_count(0, timeout=SECONDS)


def test_the_page_under_a_moved_admin_path(serve, visit):
    live = serve(SHOP.replace("mockserve: 1", "mockserve: 1\n    settings: {admin: /_admin}"))
    assert live.get("/__mockserve/ui").status_code == 404
    journal = visit(live, admin="/_admin")
    live.get("/users/5")
    expect(journal.rows).to_have_count(2, timeout=SECONDS)  # and the 404 above
    expect(journal.rows.first).to_contain_text("GET /users/5")
    journal.page.get_by_role("button", name="Clear the journal").click()
    expect(journal.rows).to_have_count(0)
    assert any(url.endswith("/_admin/requests") for url in journal.fetched)
    assert not any("/__mockserve" in url for url in journal.fetched)
    journal.assert_clean()


def test_request_data_is_shown_as_text_never_as_markup(serve, visit):
    live = serve(SHOP)
    journal = visit(live)
    attack = "<img src=x onerror=window.pwned=1>"
    live.post(
        "/" + attack,
        params={"q": attack},
        headers={"X-Attack": attack, "Content-Type": "text/html"},
        data=f"<script>window.pwned=2</script>{attack}",
    )
    expect(journal.rows).to_have_count(1, timeout=SECONDS)
    detail = journal.opened(journal.rows.first.get_by_role("button").inner_text())
    expect(detail.get_by_role("table", name="Request headers")).to_contain_text(attack)
    expect(detail).to_contain_text(f"<script>window.pwned=2</script>{attack}")
    expect(journal.rows.first).to_contain_text("/" + attack)
    assert journal.page.locator("img, script:not([src])").count() == 0
    assert journal.page.evaluate("window.pwned") is None
    journal.assert_clean()


def test_copy_as_curl_puts_a_command_that_replays_the_request_on_the_clipboard(serve, visit):
    live = serve(SHOP)
    journal = visit(live, permissions=["clipboard-read", "clipboard-write"])
    live.post("/orders", json={"qty": 4}, headers={"X-Trace": "it's me"})
    expect(journal.rows).to_have_count(1, timeout=SECONDS)
    detail = journal.opened("POST /orders")
    detail.get_by_role("button", name="Copy as curl").click()
    expect(journal.page.get_by_role("status")).to_contain_text("Copied the curl command")
    shown = detail.locator("pre.curl")
    expect(shown).to_contain_text("-H 'X-Trace: it'\\''s me'")
    command = shown.inner_text()
    assert command.startswith("curl -X POST ")
    assert journal.page.evaluate("navigator.clipboard.readText()") == command
    assert command.endswith(f"--data-raw '{{\"qty\": 4}}' '{live.url}/orders'")
    if shutil.which("curl"):
        subprocess.run(["bash", "-c", command + " -s -o /dev/null"], check=True, timeout=10)
        replayed = live.get("/__mockserve/requests").json()[-1]
        assert (replayed["status"], replayed["headers"]["X-Trace"]) == (201, "it's me")


def test_thousands_of_requests_show_the_newest_and_more_on_demand(serve, visit):
    live = serve(SHOP)
    journal = visit(live)
    with requests.Session() as session:
        for n in range(1, 1501):
            session.get(f"{live.url}/users/{n}", timeout=10)
    expect(journal.rows.first).to_contain_text("GET /users/1500", timeout=SECONDS)
    expect(journal.rows).to_have_count(200)
    page = journal.page
    showing = page.get_by_text("Showing 200 of 1000 requests, newest first.")
    expect(showing).to_be_visible(timeout=2 * SECONDS)  # the journal keeps 1000
    page.get_by_role("button", name="Show more").click()
    expect(journal.rows).to_have_count(400, timeout=2000)
    page.get_by_label("Path contains").fill("/users/501")
    expect(journal.rows).to_have_count(1, timeout=2000)  # /users/1501 was never sent
    page.get_by_label("Path contains").fill("")
    expect(journal.rows.first).to_contain_text("GET /users/1500", timeout=2000)
    journal.assert_clean()


# -- a mock started with --admin-token ------------------------------------------------------


def test_with_an_admin_token_the_page_is_opened_with_it_in_the_fragment(browser, write_spec):
    from mockserve import MockServer

    with MockServer(write_spec(SHOP), admin_token="s3cret") as server:
        assert requests.get(server.url + "/__mockserve/requests", timeout=5).status_code == 401
        assert requests.get(server.url + "/__mockserve/users/7", timeout=5).status_code == 401
        requests.get(server.url + "/users/7", timeout=5)
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(server.url + "/__mockserve/ui")  # no token: the page says what to do
            expect(page.locator("#live")).to_contain_text("#token=TOKEN", timeout=SECONDS)
            page.goto(server.url + "/__mockserve/ui#token=s3cret")
            expect(page.get_by_text(re.compile("^Live: watching"))).to_be_visible(timeout=SECONDS)
            table = page.get_by_role("table", name="Requests, newest first")
            expect(table.locator("tbody > tr.entry")).to_have_count(1, timeout=SECONDS)
            assert "token" not in page.url  # the fragment is not left in the address bar
        finally:
            context.close()


def test_a_forwarded_request_shows_as_forwarded_not_as_a_miss(serve, visit, upstream):
    live = serve(f"mockserve: 1\nsettings:\n  proxy:\n    to: {upstream.url}\n")
    journal = visit(live)
    assert live.get("/elsewhere").status_code == 200  # the upstream echoes it
    expect(journal.rows).to_have_count(1, timeout=SECONDS)
    expect(journal.rows.nth(0).locator("td.route")).to_have_text("forwarded")
    forwarded = journal.opened("GET /elsewhere")
    expect(forwarded.get_by_role("heading", name="Forwarded")).to_be_visible()
    expect(forwarded).to_contain_text(
        re.compile(r"No route answered it: forwarded to the upstream, which answered 200 in")
    )
    expect(forwarded).not_to_contain_text("none comes close")
    journal.assert_clean()
