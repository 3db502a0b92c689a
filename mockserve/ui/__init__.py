"""The journal page under the admin path: the requests as they arrive, for a person.

Three static files shipped in the package (no build step, no CDN): `page.html` loads
`page.js` and `page.css` by relative URLs and the script finds the admin API the same
way, so the page works under any admin path. It reads and drives the admin API like
any other client, from the same origin.
"""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Flask
from werkzeug.wrappers import Response

# rule under the admin path -> (file in this package, content type)
FILES = {
    "/ui": ("page.html", "text/html; charset=utf-8"),
    "/ui/page.js": ("page.js", "text/javascript; charset=utf-8"),
    "/ui/page.css": ("page.css", "text/css; charset=utf-8"),
    "/ui/messages.js": ("messages.js", "text/javascript; charset=utf-8"),
}

# Only the page's own files and the admin API: nothing from elsewhere, nothing inline,
# and nowhere to post a form or frame the page. The one data: image is the empty
# favicon, so the browser never asks the mock for /favicon.ico (a 404 in its journal).
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


def add_journal_page(app: Flask | Blueprint, prefix: str) -> None:
    """Serve the page at `{prefix}/ui`, with `page.js` and `page.css` under it."""
    here = files(__name__)
    for rule, (name, kind) in FILES.items():
        app.add_url_rule(
            prefix + rule,
            endpoint="journal_page_" + name.replace(".", "_"),
            view_func=_serve(here.joinpath(name).read_bytes(), kind),
            methods=["GET"],
        )


def _serve(body: bytes, kind: str):
    """A view answering one file, read once when the admin API is registered."""

    def view() -> Response:
        return Response(body, content_type=kind, headers=HEADERS)

    return view
