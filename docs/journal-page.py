"""Make docs/journal-page.png: the journal page of specs/shop.yaml after three requests.

    .venv/bin/python docs/journal-page.py

Needs Chromium at /usr/bin/chromium (or MOCKSERVE_CHROMIUM) and Playwright (the
`test` extra). A match, a near miss and a contract failure; the near miss is opened.
"""

from __future__ import annotations

import os
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

from mockserve import MockServer

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("MOCKSERVE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
ARGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    with MockServer(ROOT / "specs" / "shop.yaml", seed=7) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 860}, device_scale_factor=1)
        page.goto(server.url + "/__mockserve/ui")
        requests.get(server.url + "/users/7", timeout=10)
        requests.post(
            server.url + "/orders",
            json={"item": "", "qty": 0},
            headers={"Authorization": "Bearer demo"},
            timeout=10,
        )
        requests.get(server.url + "/userz/7?verbose=1", timeout=10)
        rows = page.locator("#requests tbody tr.entry")
        expect(rows).to_have_count(3, timeout=10_000)
        page.get_by_role("button", name="GET /userz/7?verbose=1").click()
        page.mouse.move(0, 0)
        page.screenshot(path=ROOT / "docs" / "journal-page.png")
        browser.close()


if __name__ == "__main__":
    main()
