"""The app factory: one Flask view per route, registered the way Flask's own routes are."""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from .context import build_context, query_dict
from .contract import check_body, parse_body
from .errors import Disconnect, TemplateRenderError
from .journal import Entry, Journal
from .matching import RouteShape, near_misses
from .report import failures_text
from .responses import (
    NoResponseMatched,
    choose,
    delay_seconds,
    draw_fault,
    dump_json,
    fault_response,
    render,
)
from .server_errors import error_body, error_response, pick_error
from .spec import Route, Spec, load_spec
from .state import Store
from .templating import Helpers

log = logging.getLogger("mockserve")
access_log = logging.getLogger("mockserve.access")
violation_log = logging.getLogger("mockserve.violations")

START_KEY = "mockserve.start"
ROUTE_KEY = "mockserve.route"
FAILURES_KEY = "mockserve.failures"
VIOLATION_KEY = "mockserve.violation"
DISCONNECT_KEY = "mockserve.disconnect"


class Runtime:
    """Everything a running app holds besides the spec: the store and the random source."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.store = Store(spec)
        self.helpers = Helpers(spec.settings.seed)
        self.helper_names = self.helpers.names()
        self.shapes = [RouteShape.of(r.name, r.methods, r.path) for r in spec.routes]
        self.journal = Journal(spec.settings.journal)
        self.templated = {route.name for route in spec.routes if _renders(route)}
        self.route_errors = {route.name: route.errors for route in spec.routes if route.errors}
        # Hooks for whoever runs the app (CLI, MockServer): each journaled request, and
        # a shutdown asked for over HTTP.
        self.request_listeners: list[Callable[[Entry], None]] = []
        self.shutdown_callbacks: list[Callable[[], None]] = []

    def request_shutdown(self) -> None:
        """Ask whoever runs this app to stop (as on SIGTERM)."""
        for callback in list(self.shutdown_callbacks):
            callback()

    def reset(self) -> None:
        """Back to the start: journal, state, positions, resources and the random source."""
        self.journal.clear()
        self.store.reset()
        self.helpers.reset()

    # -- answering a route ---------------------------------------------------------

    def answer(self, route: Route, path_values: dict[str, Any]) -> Response:
        request = _request()  # the request itself: each proxied attribute costs a lookup
        environ = request.environ
        environ[ROUTE_KEY] = route.name
        contract = route.contract
        failures: list[dict[str, str]] = []
        if contract.query is not None:
            query = contract.query.convert(request.args)
            failures += contract.query.check(query)
        else:
            query = None
        if contract.path is not None:
            failures += contract.path.check(contract.path.convert(path_values))
        if contract.headers is not None:
            failures += contract.headers.check(contract.headers.convert(request.headers))
        body = None
        if contract.body is not None:
            body = parse_body(request.get_data(cache=True), request.content_type)
            failures += check_body(contract.body, request.content_type, body)
        context = None
        if failures or route.name in self.templated:
            # Only answers that render something need to see the request.
            if body is None:
                raw = request.get_data(cache=True) if _has_body(environ) else b""
                body = parse_body(raw, request.content_type)
            context = build_context(
                request,
                path_values=path_values,
                query=query_dict(request) if query is None else query,
                body=body,
                state=self.store.state,
                resources=self.store.resources,
                helpers=self.helper_names,
            )
        if failures:
            environ[FAILURES_KEY] = failures
            environ[VIOLATION_KEY] = failures_text(failures)
            return self.error(
                422, "invalid request", route=route.name, errors=failures, context=context
            )
        rng = self.helpers.random
        fault = draw_fault(route.faults, rng)
        if fault is not None and fault.kind is not None:
            if fault.kind == "disconnect":
                environ[DISCONNECT_KEY] = True
            return fault_response(fault)
        try:
            template = (
                fault.response
                if fault is not None
                else choose(route, context, self.store, rng, log_when=self._log_when)
            )
        except NoResponseMatched:
            environ[VIOLATION_KEY] = f"no 'when' of route {route.name!r} held"
            return self.error(
                404,
                f"no response of route {route.name!r} matched: no 'when' held",
                route=route.name,
                errors=[_no_when_held(route, request.method)],
                context=context,
            )
        try:
            rendered = render(template, context)
        except TemplateRenderError as exc:
            message = f"template failed in route {route.name!r} at {template.where}: {exc}"
            log.error("%s", message)
            return self.error(
                500, message, route=route.name, errors=[{"message": str(exc)}], context=context
            )
        if rendered.state:
            self.store.update_state(rendered.state)
        delay = template.delay if template.delay is not None else self.spec.settings.delay
        pause = delay_seconds(delay, rng)
        if pause:
            time.sleep(pause)
        return rendered.response

    def finish(self, response: Response) -> None:
        """Journal and log the request just answered."""
        request = _request()  # the request itself: each proxied attribute costs a lookup
        environ = request.environ
        started = environ.get(START_KEY)
        took = (time.perf_counter() - started) * 1000 if started else 0.0
        if self.is_admin(request.path):
            # The admin API is how tests read the journal: it is never part of it.
            access_log.debug(
                "%s %s -> %d  (admin)", request.method, request.path, response.status_code
            )
            return
        route = environ.get(ROUTE_KEY)
        violation = environ.get(VIOLATION_KEY)
        raw = request.get_data(cache=True) if _has_body(environ) else b""
        entry = self.journal.record(
            method=request.method,
            path=request.path,
            query=query_dict(request),
            headers=dict(request.headers.items()),
            body=raw.decode("utf-8", "replace") if raw else None,
            route=route,
            status=None if environ.get(DISCONNECT_KEY) else response.status_code,
            failures=environ.get(FAILURES_KEY, []),
            duration_ms=took,
            violation=violation,
        )
        for listener in self.request_listeners:
            listener(entry)
        if violation:
            violation_log.warning(
                "%s %s -> %d: %s", request.method, request.path, response.status_code, violation
            )
        if access_log.isEnabledFor(logging.INFO):
            target = request.full_path if request.query_string else request.path
            # Why a request missed goes on its own line when violations are logged
            # (--strict), else at the end of the request's line.
            why = (
                f"  ({violation})"
                if violation and not violation_log.isEnabledFor(logging.WARNING)
                else ""
            )
            access_log.info(
                "%s %s -> %s  %s  %.1f ms%s",
                request.method,
                target,
                "disconnected" if environ.get(DISCONNECT_KEY) else response.status_code,
                route or "-",
                took,
                why,
            )

    def is_admin(self, path: str) -> bool:
        """True for the admin API's own paths (settings.admin)."""
        admin = self.spec.settings.admin
        return bool(admin) and (path == admin or path.startswith(admin + "/"))

    def _log_when(self, route: Route, response, exc: Exception) -> None:
        log.warning(
            "route %r: 'when' at %s could not be evaluated (%s); taken as false",
            route.name,
            response.where,
            exc,
        )

    # -- the server's own answers ----------------------------------------------------

    def error(
        self,
        status: int,
        message: str,
        *,
        route: str | None = None,
        errors: list[Any] | None = None,
        context: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        # the route's own answer first (an OpenAPI operation's error example), then the spec's
        own = self.route_errors.get(route, {}).get(status) if route else None
        if own and context is None:
            context = self._error_context()
        override = pick_error(own, {**context, "errors": errors or []}) if own else None
        if override is None:
            override = self.spec.errors.get(status)
        if override is not None and context is None:
            context = self._error_context()
        return error_response(
            status,
            message,
            route=route,
            errors=errors,
            override=override,
            context=context,
            headers=headers,
            own_status=own is not None and override in own,
        )

    def _error_context(self) -> dict[str, Any]:
        body = parse_body(request.get_data(cache=True), request.content_type)
        return build_context(
            request,
            path_values=dict(request.view_args or {}),
            query=query_dict(request),
            body=body,
            state=self.store.state,
            resources=self.store.resources,
            helpers=self.helper_names,
        )

    def not_found(self) -> Response:
        misses = near_misses(self.shapes, request.method, request.path)
        message = f"no route matches {request.method} {request.path}"
        closest = (
            f"; closest: {misses[0].method} {misses[0].path} ({misses[0].why})" if misses else ""
        )
        request.environ[VIOLATION_KEY] = message + closest
        return self.error(404, message, errors=[m.as_json() for m in misses])

    # -- CORS ------------------------------------------------------------------------

    def cors_headers(self, response: Response) -> None:
        cors = self.spec.settings.cors
        if cors is None:
            return
        origin = request.headers.get("Origin")
        if cors.origins is None and not cors.credentials:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin and (cors.origins is None or origin in cors.origins):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers.add("Vary", "Origin")
            if cors.credentials:
                response.headers["Access-Control-Allow-Credentials"] = "true"
        else:
            return
        response.headers.setdefault("Access-Control-Expose-Headers", "*")

    def preflight(self) -> Response | None:
        """Answer a CORS preflight for a known path without contract checks."""
        if self.spec.settings.cors is None or request.method != "OPTIONS":
            return None
        if "Access-Control-Request-Method" not in request.headers:
            return None
        methods = current_app.url_map.bind_to_environ(request.environ).allowed_methods()
        if not methods:
            return None
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(sorted(methods))
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested:
            response.headers["Access-Control-Allow-Headers"] = requested
        response.headers["Access-Control-Max-Age"] = "600"
        return response


def _request():
    return request._get_current_object()  # type: ignore[attr-defined]


def _has_body(environ: dict[str, Any]) -> bool:
    """False when the request surely has no body: skips setting up a stream to read none."""
    return (environ.get("CONTENT_LENGTH") or "0") != "0" or "HTTP_TRANSFER_ENCODING" in environ


def _renders(route: Route) -> bool:
    """True when some answer of `route` looks at the request (a template or a `when`)."""
    templates = [*route.responses, *(f.response for f in route.faults if f.response)]
    return any(t.when is not None or not t.is_static for t in templates)


def _view(runtime: Runtime, route: Route):
    def view(**path_values: Any) -> Response:
        return runtime.answer(route, path_values)

    view.__name__ = route.name
    return view


def _no_when_held(route: Route, method: str) -> dict[str, str]:
    """The route itself as the closest miss, with the conditions that were false."""
    whens = [t.when.source for t in route.responses if t.when is not None]
    why = "no 'when' held: " + "; ".join(f"{w} is false" for w in whens)
    return {"route": route.name, "method": method, "path": route.path, "why": why}


class _DisconnectMiddleware:
    """Raise Disconnect after a `disconnect` fault, for the server to drop the connection."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        result = self.wsgi_app(environ, start_response)
        if environ.get(DISCONNECT_KEY):
            if hasattr(result, "close"):
                result.close()
            raise Disconnect("disconnect fault")
        return result


def create_app(spec: Spec | str | os.PathLike[str], *, seed: int | None = None) -> Flask:
    """Build the Flask app that serves `spec` (a loaded Spec, or a path to load)."""
    if not isinstance(spec, Spec):
        spec = load_spec(spec, seed=seed)
    app = Flask("mockserve", static_folder=None)
    app.json.sort_keys = False
    # Flask asks inspect, on every request and for each handler, whether it is async.
    # Bounded: a per-request callable (after_this_request) must not pile up.
    app.ensure_sync = functools.lru_cache(maxsize=1024)(app.ensure_sync)  # type: ignore
    runtime = Runtime(spec)
    app.extensions["mockserve"] = runtime
    # A route that declares OPTIONS itself must answer it: Flask would otherwise add an
    # automatic OPTIONS to another route at the same path, which matches first.
    declared_options = {r.rule for r in spec.routes if "OPTIONS" in r.methods}
    for route in spec.routes:
        automatic = None if route.rule not in declared_options else False
        app.add_url_rule(
            route.rule,
            endpoint=route.name,
            view_func=_view(runtime, route),
            methods=list(route.methods),
            provide_automatic_options=automatic,
        )
    # Imported here: both build on Runtime, defined above.
    from .admin import register_admin
    from .resources import register_resources

    register_resources(app, runtime)
    register_admin(app, runtime)

    @app.before_request
    def _start():
        request.environ[START_KEY] = time.perf_counter()
        return runtime.preflight()

    @app.after_request
    def _finish(response: Response) -> Response:
        if isinstance(request.routing_exception, RequestRedirect):
            # Flask's slash redirect (/folder -> /folder/) says so in JSON, not HTML.
            location = response.headers.get("Location", "")
            response.set_data(dump_json(error_body(f"redirecting to {location}", None, [])))
            response.content_type = "application/json"
        runtime.cors_headers(response)
        runtime.finish(response)
        return response

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        return runtime.not_found()

    @app.errorhandler(MethodNotAllowed)
    def _method_not_allowed(exc: MethodNotAllowed):
        allowed = sorted(exc.valid_methods or [])
        message = f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}"
        request.environ[VIOLATION_KEY] = message
        return runtime.error(405, message, headers={"Allow": ", ".join(allowed)})

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return runtime.error(exc.code or 400, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error while answering %s %s", request.method, request.path)
        return runtime.error(
            500,
            f"internal error: {type(exc).__name__}: {exc}",
            route=request.environ.get(ROUTE_KEY),
            errors=[{"message": str(exc)}],
        )

    app.wsgi_app = _DisconnectMiddleware(app.wsgi_app)
    return app
