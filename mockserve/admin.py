"""The admin API under `settings.admin` (default /__mockserve), as a Flask Blueprint.

Tests and tools use it to read the journal, start over and stop the server. Its own
requests are never journaled, so looking changes nothing; its errors are plain JSON that
the spec's `errors` overrides never replace, and its answers never carry CORS headers.

Nobody else drives the mock: it answers loopback clients only, unless a token is set
(then every request must carry it) or it was opened on purpose; a request a browser
marks as coming from another site is refused, so a web page can neither reset nor stop
the mock, nor read its journal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from .access import BLUEPRINT, guard
from .errors import Problem
from .journal import Entry
from .mock import Mock
from .problems import json_response, no_content
from .resources import resource_routes
from .ui import add_journal_page
from .websocket.admin import add_websocket_endpoints

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def admin_blueprint(mock: Mock, prefix: str) -> Blueprint:
    """The admin API's views under `prefix`, guarded by `mock.access`."""
    admin = Blueprint(BLUEPRINT, __name__, url_prefix=prefix)
    views: dict[str, dict[str, Callable[..., Response]]] = {}

    def endpoint(suffix: str, method: str) -> Callable[[Callable[..., Response]], Any]:
        def register(view: Callable[..., Response]) -> Callable[..., Response]:
            views.setdefault(suffix, {})[method] = view
            name = f"{method} {suffix}".replace(".", "_")  # Flask endpoints have no dots
            admin.add_url_rule(suffix, name, view, methods=[method])
            return view

        return register

    admin.before_request(lambda: guard(mock, request))

    @endpoint("/requests", "GET")
    def requests() -> Response:
        """The journal, oldest first, filtered by method, path, route, unmatched and since."""
        _one_journal(mock)
        keep = _journal_filter(request.args)
        entries = mock.stores.journal.entries()
        return json_response([entry.as_json() for entry in entries if keep(entry)])

    @endpoint("/requests", "DELETE")
    def clear_requests() -> Response:
        _one_journal(mock)
        mock.stores.journal.clear()
        return no_content()

    @endpoint("/reset", "POST")
    def reset() -> Response:
        _one_journal(mock)
        mock.reset()
        return no_content()

    @endpoint("/shutdown", "POST")
    def shutdown() -> Response:
        """204 first; the server is asked to stop once the answer has been sent."""
        response = no_content()
        response.call_on_close(mock.request_shutdown)
        return response

    @endpoint("/routes", "GET")
    def routes() -> Response:
        spec = mock.spec
        listed = [{"name": r.name, "methods": list(r.methods), "path": r.path} for r in spec.routes]
        for resource in spec.resources:
            listed += [
                {"name": r.name, "methods": [r.method], "path": r.path}
                for r in resource_routes(resource)
            ]
        listed += [
            {"name": g.name, "methods": ["GET", "POST"], "path": g.path} for g in spec.graphql
        ]
        return json_response(listed)

    @endpoint("/state", "GET")
    def state() -> Response:
        """What templates see as `state` and `resources` now."""
        _one_journal(mock)
        stores = mock.stores
        return json_response(
            {"state": dict(stores.state.snapshot()), "resources": dict(stores.resources.snapshot())}
        )

    @endpoint("/health", "GET")
    def health() -> Response:
        return json_response({"status": "ok"})

    @endpoint("/callbacks", "GET")
    def callbacks() -> Response:
        """Every callback attempt, oldest first (`?name=` keeps one callback's)."""
        name = request.args.get("name")
        attempts = mock.callbacks.attempts() if mock.callbacks is not None else []
        return json_response([a.as_json() for a in attempts if name in (None, a.name)])

    @endpoint("/webhooks/<name>", "POST")
    def webhook(name: str) -> Response:
        """Fire a webhook of the spec (an OpenAPI 3.1 document's `webhooks`) at a URL."""
        known = mock.spec.webhooks
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise Problem(404, f"no webhook {name!r}; the spec has: {listed}")
        given = request.get_json(silent=True)
        url = given.get("url") if isinstance(given, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Problem(400, 'give the URL to send it to: {"url": "http://..."}')
        mock.callbacks.fire_webhook(name, url)
        return json_response({"webhook": name, "url": url}, status=202)

    @endpoint("/ca.pem", "GET")
    def ca_pem() -> Response:
        """The local CA's certificate, for clients to trust (`mockserve cert` says how)."""
        from .tls import ca_path

        path = mock.ca_path or ca_path()
        if not path.is_file():
            raise Problem(404, "no local CA yet: `mockserve cert` or `run --https` makes one")
        return Response(path.read_bytes(), mimetype="application/x-pem-file")

    def unknown(rest: str = "") -> Response:
        """A JSON 405 for a known admin path with another method, else a JSON 404."""
        suffix = "/" + rest if rest else ""
        methods = views.get(suffix)
        if methods is not None:
            allowed = ", ".join(sorted(methods))
            message = f"{request.method} is not allowed on {request.path}; use {allowed}"
            raise Problem(405, message, headers={"Allow": allowed})
        known = ", ".join(
            f"{method} {prefix}{path}" for path, methods in views.items() for method in methods
        )
        raise Problem(404, f"no admin endpoint {request.method} {request.path}; there are: {known}")

    add_websocket_endpoints(endpoint, mock)
    add_journal_page(admin, "")
    for rule in ("", "/", "/<path:rest>"):
        admin.add_url_rule(rule, "unknown", unknown, methods=ANY_METHOD)
    return admin


def _one_journal(mock: Mock) -> None:
    """With several worker processes, each keeps its own journal and state: say so.

    Unless they share a store (`--store`): then every worker sees the same.
    """
    if mock.workers > 1 and not mock.stores.shared:
        raise Problem(
            409,
            f"this mock runs {mock.workers} worker processes, each with its own journal, "
            "state and resources; this request would reach only one of them. "
            "Serve with one worker to use it",
        )


def _journal_filter(args: MultiDict[str, str]) -> Callable[[Entry], bool]:
    """A predicate for `GET /requests` from its query parameters (a 400 for a bad one)."""
    method = args.get("method")
    path = args.get("path")
    route = args.get("route")
    unmatched = args.get("unmatched")
    since = args.get("since")
    if unmatched is not None and unmatched not in ("true", "false"):
        raise Problem(400, f"unmatched must be true or false, got {unmatched!r}")
    if since is not None and not since.isdigit():
        raise Problem(400, f"since must be a request id (a whole number), got {since!r}")
    after = int(since) if since is not None else 0

    def keep(entry: Entry) -> bool:
        return (
            entry.id > after
            and (method is None or entry.method == method.upper())
            and (path is None or entry.path == path)
            and (route is None or entry.route == route)
            and (unmatched is None or (entry.route is None) == (unmatched == "true"))
        )

    return keep
