"""The journal page names each GraphQL request's operation (headless Chromium, Playwright)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import requests

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # reported by the test, as a failure
    sync_playwright = None

from mockserve import MockServer

SPECS = Path(__file__).resolve().parent.parent / "specs"
CHROMIUM = os.environ.get("MOCKSERVE_CHROMIUM", "/usr/bin/chromium")
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
SECONDS = 10_000


def test_the_journal_page_shows_the_operation_of_each_graphql_request():
    if sync_playwright is None:
        pytest.fail("Playwright is missing: pip install -e '.[test]' (never `playwright install`)")
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install -y chromium, or set MOCKSERVE_CHROMIUM"
        )
    query = "query GetBook($id: ID!) { book(id: $id) { title } }"
    with MockServer(SPECS / "library.yaml") as server, sync_playwright() as playwright:
        url = server.url + "/graphql"
        requests.post(url, json={"query": query, "variables": {"id": "1"}}, timeout=10)
        requests.post(url, json={"query": "{ books { title } }"}, timeout=10)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(server.url + "/__mockserve/ui")
            expect(page.get_by_text(re.compile("^Live: watching"))).to_be_visible(timeout=SECONDS)
            named = page.get_by_role("button", name="POST /graphql query GetBook")
            expect(named).to_be_visible(timeout=SECONDS)
            anonymous = page.get_by_role("button", name="POST /graphql query (anonymous)")
            expect(anonymous).to_be_visible(timeout=SECONDS)
            named.click()
            detail = page.locator("#" + named.get_attribute("aria-controls"))
            expect(detail.get_by_text("query GetBook", exact=True)).to_be_visible()
        finally:
            browser.close()
