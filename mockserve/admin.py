"""The admin API under `settings.admin` (default /__mockserve): look at and reset a server.

Tests and tools use it to read the journal, start over and stop the server. Its own
requests are never journaled (Runtime.finish skips them), so looking changes nothing,
and its errors are plain JSON that the spec's `errors` overrides never replace.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request
from werkzeug.wrappers import Response

from .app import Runtime
from .journal import Entry
from .resources import json_response, no_content, resource_routes
from .server_errors import error_response
from .ui import add_journal_page

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class AdminError(Exception):
    """A bad admin request (e.g. `?since=abc`): a 400 naming the parameter."""


class Admin:
    """The admin views of one running app."""

    def __init__(self, runtime: Runtime, prefix: str):
        self.runtime = runtime
        self.prefix = prefix
        # suffix -> method -> view; the table drives registration, 404 and 405 alike
        self.endpoints: dict[str, dict[str, Callable[[], Response]]] = {
            "/requests": {"GET": self.requests, "DELETE": self.clear_requests},
            "/reset": {"POST": self.reset},
            "/shutdown": {"POST": self.shutdown},
            "/routes": {"GET": self.routes},
            "/health": {"GET": self.health},
            "/state": {"GET": self.state},
        }

    def requests(self) -> Response:
        """The journal, oldest first, filtered by method, path, route, unmatched and since."""
        try:
            keep = _journal_filter(request.args)
        except AdminError as exc:
            return error_response(400, str(exc))
        entries = self.runtime.journal.entries()
        return json_response([entry.as_json() for entry in entries if keep(entry)])

    def clear_requests(self) -> Response:
        self.runtime.journal.clear()
        return no_content()

    def reset(self) -> Response:
        self.runtime.reset()
        return no_content()

    def shutdown(self) -> Response:
        """204 first; the server is asked to stop once the answer has been sent."""
        response = no_content()
        response.call_on_close(self.runtime.request_shutdown)
        return response

    def routes(self) -> Response:
        spec = self.runtime.spec
        listed = [{"name": r.name, "methods": list(r.methods), "path": r.path} for r in spec.routes]
        for resource in spec.resources:
            listed += [
                {"name": r.name, "methods": [r.method], "path": r.path}
                for r in resource_routes(resource)
            ]
        return json_response(listed)

    def state(self) -> Response:
        """State and resources as they are now, for the journal page."""
        store = self.runtime.store
        with store.lock:
            return json_response({"state": store.state, "resources": store.resources})

    def health(self) -> Response:
        return json_response({"status": "ok"})

    def unknown(self, rest: str = "") -> Response:
        """A JSON 405 for a known admin path with another method, else a JSON 404."""
        suffix = "/" + rest if rest else ""
        methods = self.endpoints.get(suffix)
        if methods is not None:
            allowed = ", ".join(sorted(methods))
            message = f"{request.method} is not allowed on {request.path}; use {allowed}"
            return error_response(405, message, headers={"Allow": allowed})
        known = ", ".join(
            f"{method} {self.prefix}{path}"
            for path, views in self.endpoints.items()
            for method in views
        )
        return error_response(
            404, f"no admin endpoint {request.method} {request.path}; there are: {known}"
        )


def _journal_filter(args) -> Callable[[Entry], bool]:
    """A predicate for `GET /requests` from its query parameters."""
    method = args.get("method")
    path = args.get("path")
    route = args.get("route")
    unmatched = args.get("unmatched")
    since = args.get("since")
    if unmatched is not None and unmatched not in ("true", "false"):
        raise AdminError(f"unmatched must be true or false, got {unmatched!r}")
    if since is not None and not since.isdigit():
        raise AdminError(f"since must be a request id (a whole number), got {since!r}")
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


def register_admin(app: Flask, runtime: Runtime) -> None:
    """Serve the admin API under settings.admin, unless the spec turned it off."""
    prefix = runtime.spec.settings.admin
    if not prefix:
        return
    admin = Admin(runtime, prefix)
    add_journal_page(app, prefix)
    for suffix, views in admin.endpoints.items():
        for method, view in views.items():
            app.add_url_rule(
                prefix + suffix,
                endpoint=f"mockserve.admin:{method} {suffix}",
                view_func=view,
                methods=[method],
            )
    for rule in (prefix, prefix + "/", prefix + "/<path:rest>"):
        app.add_url_rule(
            rule, endpoint="mockserve.admin:unknown", view_func=admin.unknown, methods=ANY_METHOD
        )
