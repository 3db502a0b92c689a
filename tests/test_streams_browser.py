"""Server-sent events read by a browser's own `EventSource`, in a real headless Chromium.

The page is served by the example spec `specs/events.yaml` itself; the journal page then
shows how far each stream got and who ended it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_journal_page import CHROMIUM, CHROMIUM_ARGS, SECONDS

from mockserve import MockServer

try:
    from playwright.sync_api import Browser, expect, sync_playwright
except ImportError:  # reported by the browser fixture, as a failure
    sync_playwright = None

SPECS = Path(__file__).resolve().parent.parent / "specs"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.fail("Playwright is missing: pip install -e '.[test]' (never `playwright install`)")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install it, or point MOCKSERVE_CHROMIUM at one")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_event_source_reads_named_events_ids_and_a_ticker(browser):
    with MockServer(SPECS / "events.yaml") as server:
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        items = page.locator("#progress li")
        expect(items).to_have_text(
            ["0% (event 1)", "50% (event 2)", "100% (event 3)", "job 42 finished"],
            timeout=SECONDS,
        )
        expect(page.locator("#tick")).to_have_text("0", timeout=SECONDS)
        context.close()  # the page goes away: so does the ticker's client

        (ticker,) = server.wait_for("GET", "ticker", timeout=10)
        assert ticker.extra["stream"]["client_left"] is True
        (progress,) = server.wait_for("GET", "progress")
        assert progress.extra["stream"] == {"events": 5, "client_left": False}
        assert errors == []

        journal = browser.new_page()
        journal.goto(server.url + "/__mockserve/ui")
        rows = journal.get_by_role("table", name="Requests, newest first").locator("tr.entry")
        expect(rows.filter(has_text="/ticker")).to_contain_text(
            re.compile(r"\d+ events?, then the client left"), timeout=SECONDS
        )
        expect(rows.filter(has_text="/jobs/42/progress")).to_contain_text("5 events, sent whole")
        journal.get_by_role("button", name="GET /jobs/42/progress", exact=True).click()
        detail = journal.locator("tr.detail")
        expect(detail).to_contain_text("5 events, sent whole")
        expect(detail).to_contain_text('data: {"job":"42","pct":100}')
        journal.close()
