"""The app factory: one Flask view per route, the admin API and resources as Blueprints.

Every request gets an `Exchange` before any view runs; spec routes are answered by the
`Pipeline`; whatever the server answers on its own is a `Problem`, rendered by one
handler; after each answer, CORS is added and the exchange is remembered (journal,
listeners).
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

from flask import Flask, Request, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from . import segments
from .admin import admin_blueprint
from .callbacks import install_callbacks
from .cors import add_cors_headers, preflight
from .errors import Problem
from .exchange import begin_exchange, current_exchange
from .listeners import log_access, log_violation
from .loading import load_spec
from .matching import RouteShape, converter_patterns
from .mock import AdminAccess, Mock
from .pact.serve import install_pact
from .pipeline import Pipeline
from .problems import error_body, pick_error, render_problem
from .proxy import install_proxy
from .resources import resource_blueprint, resource_routes
from .responses import dump_json
from .routing import LazyBuildRule
from .spec import Route, Spec
from .stores import Stores, open_stores
from .websocket import install_websockets

log = logging.getLogger("mockserve")

MAX_BODY = 10 * 1024 * 1024  # default settings.max_body


def create_app(
    spec: Spec | str | os.PathLike[str],
    *,
    seed: int | None = None,
    stores: Stores | None = None,
    access: AdminAccess | None = None,
    workers: int = 1,
    pipeline_type: type[Pipeline] = Pipeline,
) -> Flask:
    """Build the Flask app that serves `spec` (a loaded Spec, or a path to load).

    `pipeline_type`: a Pipeline subclass, e.g. one that answers without side effects.
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec, seed=seed, lazy=True)  # served: routes compile on first use
    app = Flask("mockserve", static_folder=None)
    app.url_rule_class = LazyBuildRule  # URL builders compile only if a URL is ever built
    segments.install(app)  # before any rule: paths are split first, each segment decoded after
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = spec.settings.max_body
    # Flask asks inspect, on every request and for each handler, whether it is async.
    # Bounded: a per-request callable (after_this_request) must not pile up.
    app.ensure_sync = functools.lru_cache(maxsize=1024)(app.ensure_sync)  # type: ignore
    stores = stores if stores is not None else open_stores(spec)  # settings.store, or memory
    pipeline = pipeline_type(spec, stores, converter_patterns(app.url_map.converters))
    mock = Mock(spec, stores, pipeline, access or AdminAccess(), workers)
    app.extensions["mockserve"] = mock
    mock.listen(log_access)
    mock.listen(log_violation)
    install_callbacks(mock)
    install_websockets(mock)  # mock.websockets answers the backend's websocket scopes

    _add_routes(app, spec, pipeline)
    for index, resource in enumerate(spec.resources):
        app.register_blueprint(
            resource_blueprint(
                resource,
                stores.resources,
                stores.random,
                index=index,
                cors=bool(spec.settings.cors),
            )
        )
        pipeline.shapes += [
            RouteShape.of(r.name, (r.method,), r.path, pipeline.patterns)
            for r in resource_routes(resource)
        ]
    _add_graphql(app, spec, pipeline)
    if spec.settings.admin:
        app.register_blueprint(admin_blueprint(mock, spec.settings.admin))
    _add_handlers(app, mock)
    install_proxy(app, mock)  # settings.proxy: after the handlers, so exchanges exist
    install_pact(app, mock)  # a served pact: its interactions, found by the Pact matcher
    return app


def _add_routes(app: Flask, spec: Spec, pipeline: Pipeline) -> None:
    # A route that declares OPTIONS itself must answer it: Flask would otherwise add an
    # automatic OPTIONS to another route at the same path, which matches first.
    declared_options = {r.rule for r in spec.routes if "OPTIONS" in r.methods}
    for route in spec.routes:
        automatic = None if route.rule not in declared_options else False
        app.add_url_rule(
            route.rule,
            endpoint=route.name,
            view_func=_view(pipeline, route),
            methods=list(route.methods),
            provide_automatic_options=automatic,
        )


def _add_graphql(app: Flask, spec: Spec, pipeline: Pipeline) -> None:
    """Each `graphql` endpoint as a Blueprint; graphql-core is imported only when there is one."""
    if not spec.graphql:
        return
    from .graphql.endpoint import graphql_blueprint  # noqa: PLC0415

    for index, endpoint in enumerate(spec.graphql):
        app.register_blueprint(graphql_blueprint(endpoint, pipeline, index))
        shape = RouteShape.of(endpoint.name, ("GET", "POST"), endpoint.path, pipeline.patterns)
        pipeline.shapes.append(shape)


def _view(pipeline: Pipeline, route: Route) -> Any:
    def view(**path_values: Any) -> Response:
        return pipeline.answer(route, path_values)

    view.__name__ = route.name
    return view


def _add_handlers(app: Flask, mock: Mock) -> None:
    spec, pipeline = mock.spec, mock.pipeline
    cors = spec.settings.cors
    max_body = spec.settings.max_body

    admin = spec.settings.admin
    # By name, its `errors` read when a problem names it: it has answered (or tried), so
    # reading them compiles nothing at start.
    routes = {route.name: route for route in spec.routes}

    @app.before_request
    def _begin() -> Response | None:
        req = _request()
        path = req.path
        is_admin = bool(admin) and (path == admin or path.startswith(f"{admin}/"))
        begin_exchange(req, admin=is_admin)
        mock.stores.random.draw_for(None)  # until a route keys this request's draws
        length = req.content_length
        if length is not None and length > max_body:
            raise RequestEntityTooLarge()
        if cors is not None and req.method == "OPTIONS" and not is_admin:
            return preflight(req, app.url_map.bind_to_environ(req.environ))
        return None

    @app.after_request
    def _finish(response: Response) -> Response:
        exchange = current_exchange()
        req = exchange.request
        if isinstance(req.routing_exception, RequestRedirect):
            # Flask's slash redirect (/folder -> /folder/) says so in JSON, not HTML.
            location = response.headers.get("Location", "")
            response.set_data(dump_json(error_body(f"redirecting to {location}", None, [])))
            response.content_type = "application/json"
        if cors is not None and not exchange.admin:
            add_cors_headers(cors, req, response)
        pipeline.remember(exchange, response)
        return response

    @app.errorhandler(Problem)
    def answer_problem(problem: Problem) -> Response:
        """The one place the server's own answers are rendered."""
        exchange = current_exchange()
        if problem.violation is not None and not exchange.admin:
            exchange.violation = problem.violation
        if problem.status == 422:
            exchange.failures = problem.errors
        if exchange.admin:  # the admin API's errors are plain JSON, never replaced
            return render_problem(problem)
        context, override = None, None
        # The route's own answer first (an OpenAPI operation's error example), then the spec's.
        route = routes.get(problem.route or "")
        own = route.errors.get(problem.status) if route is not None else None
        if own:
            context = pipeline.problem_context(exchange)
            override = pick_error(own, {**context, "errors": problem.errors})
        own_status = override is not None
        if override is None:
            override = spec.errors.get(problem.status)
            if override is not None:
                context = pipeline.problem_context(exchange)
        return render_problem(problem, override=override, context=context, own_status=own_status)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Response:
        try:
            return pipeline.unmatched(current_exchange())
        except Problem as problem:
            return answer_problem(problem)

    @app.errorhandler(MethodNotAllowed)
    def _method_not_allowed(exc: MethodNotAllowed) -> Response:
        try:  # not answered by the spec: the upstream, when there is one, answers it
            forwarded = pipeline.before_near_miss(current_exchange())
        except Problem as problem:
            return answer_problem(problem)
        if forwarded is not None:
            return forwarded
        allowed = sorted(exc.valid_methods or [])
        message = f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}"
        allow = {"Allow": ", ".join(allowed)}
        return answer_problem(Problem(405, message, headers=allow, violation=message))

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        message = (
            "request entity too large: the request body is larger than settings.max_body "
            f"({spec.settings.max_body} bytes)"
        )
        return answer_problem(Problem(413, message, violation=message))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return answer_problem(Problem(exc.code or 400, exc.description or exc.name))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error while answering %s %s", request.method, request.path)
        message = f"internal error: {type(exc).__name__}: {exc}"
        route = current_exchange().route
        errors = [{"message": str(exc)}]
        return answer_problem(Problem(500, message, route=route, errors=errors, violation=message))


def _request() -> Request:
    """The request itself: each attribute read through Flask's proxy costs a lookup."""
    return request._get_current_object()  # type: ignore[attr-defined]
