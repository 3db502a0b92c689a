"""One request's way through a route: match, check, fault, choose, render, send, remember.

Flask's URL map does the matching and calls `Pipeline.answer` with the route; each later
step is one short method over the request's `Exchange`. Whatever the server answers on
its own (422, the 404 for no `when`, a 500) is raised as a `Problem` and rendered by the
app's one handler. A request no route matches goes through the `fallbacks`, whose last
link is the near-miss 404 (an upstream proxy goes in front of it). `remember` journals
each finished exchange and hands it to the listeners (access log, --strict, ...).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Request
from flask import Response as FlaskResponse
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from .context import build_context, query_dict
from .contract import ParsedBody, check_body, parse_body
from .errors import Disconnect, Problem, TemplateRenderError
from .exchange import Exchange, current_exchange
from .helpers import helper_names
from .journal import BODY_LIMIT, Answer, Entry, Violation
from .matching import RouteShape, near_misses
from .pacing import hold
from .report import failures_text
from .responses import (
    NoResponseMatched,
    choose,
    delay_seconds,
    draw_fault,
    fault_response,
    render,
)
from .spec.model import Fault, ResponseTemplate, Route, Spec
from .stores import Stores
from .streams import send_over_time

log = logging.getLogger("mockserve")

Listener = Callable[[Exchange, Entry], None]
Fallback = Callable[[Exchange], "Response | None"]


class DisconnectResponse(FlaskResponse):
    """The answer of a `disconnect` fault: the server drops the connection, sending nothing.

    A Flask response, so that Flask keeps its class (and this `__call__`) as it is.
    """

    def __call__(self, environ: Any, start_response: Any) -> Any:
        raise Disconnect("disconnect fault")


class Pipeline:
    """Answers requests for one loaded spec from its stores."""

    def __init__(self, spec: Spec, stores: Stores, patterns: Mapping[str, str]):
        """`patterns`: each path converter's regex, as the app's URL map has them."""
        self.spec = spec
        self.stores = stores
        self.patterns = patterns
        self.helper_names = helper_names(stores.random)
        self.shapes = [RouteShape.of(r.name, r.methods, r.path, patterns) for r in spec.routes]
        self.listeners: list[Listener] = []
        self.fallbacks: list[Fallback] = [self.near_miss]
        # Answers a `response: {proxy: true}` by forwarding (set by `proxy.install_proxy`).
        self.upstream: Fallback | None = None

    # -- the steps of a matched route ------------------------------------------------

    def answer(self, route: Route, path_values: dict[str, Any]) -> Response:
        """A spec route's answer: check, fault, choose, render, send."""
        exchange = current_exchange()
        exchange.route = route.name
        if route.name in self.spec.uncovered:  # answered, but the document declares no such thing
            request = exchange.request
            exchange.violation = f"{request.method} is not declared for {request.path}"
        self.stores.random.draw_for(route.name)
        context = self.check(route, exchange, path_values)
        fault = self.fault(route, exchange)
        inside = None  # a fault that fires inside the stream the route answers with
        if fault is not None and fault.after is not None:
            fault, inside = None, fault
        if fault is not None and fault.kind is not None:
            return fault_response(fault) if fault.kind != "disconnect" else DisconnectResponse()
        template = fault.response if fault is not None else self.choose(route, context)
        if template is None:  # no `when` held: a fallback in front of the 404 may answer
            return self.unanswered(route, exchange)
        exchange.template = template
        response = self.render(route, template, context, inside)
        self.send(template)
        return response

    def check(
        self, route: Route, exchange: Exchange, path_values: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Check the contract (every failure at once, a 422); the template context if needed."""
        request = exchange.request
        contract = route.contract
        failures: list[dict[str, str]] = []
        query = headers = None
        if contract.query is not None:
            query = contract.query.convert(request.args)
            failures += contract.query.check(query)
        if contract.path is not None:
            converted = contract.path.convert(path_values)
            failures += contract.path.check(converted)
            if contract.path.readers is not None:  # OpenAPI styles: templates see them as read
                styled = contract.path.readers.names & converted.keys()
                path_values = {**path_values, **{name: converted[name] for name in styled}}
        if contract.headers is not None:
            headers = contract.headers.convert(request.headers)
            failures += contract.headers.check(headers)
        body = None
        if contract.body is not None:
            body = parse_body(request.get_data(cache=True), request.content_type)
            failures += check_body(contract.body, request.content_type, body)
        context = None
        if failures or route.renders:
            # Only answers that render something need to see the request.
            context = self.context(
                request, path_values, query=query, body=body, typed_headers=headers
            )
            exchange.context = context
        if failures:
            raise Problem(
                422,
                "invalid request",
                route=route.name,
                errors=failures,
                violation=failures_text(failures),
            )
        return context

    def fault(self, route: Route, exchange: Exchange) -> Fault | None:
        """One draw: the fault that fires for this request, if any."""
        fault = draw_fault(route.faults, self.stores.random.random)
        if fault is not None and fault.kind is not None and fault.after is None:
            exchange.fault = fault.kind
        return fault

    def choose(self, route: Route, context: dict[str, Any] | None) -> ResponseTemplate | None:
        """The response this request gets, by the route's `order`; None if no `when` held."""
        try:
            return choose(
                route,
                context or {},
                self.stores.positions,
                self.stores.random.random,
                log_when=_log_when,
            )
        except NoResponseMatched:
            return None

    def unanswered(self, route: Route, exchange: Exchange) -> Response:
        """No `when` held: unmatched as far as the fallbacks go (the upstream), else a 404."""
        response = self.before_near_miss(exchange)
        if response is not None:
            return response
        raise Problem(
            404,
            f"no response of route {route.name!r} matched: no 'when' held",
            route=route.name,
            errors=[_no_when_held(route, exchange.request.method)],
            violation=f"no 'when' of route {route.name!r} held",
        )

    def render(
        self,
        route: Route,
        template: ResponseTemplate,
        context: dict[str, Any] | None,
        inside: Fault | None = None,
    ) -> Response:
        """Render the response; one that writes `state` renders and writes in one atomic step.

        An answer sent over time gets its body from `streams` (`inside`: a fault in it).
        """
        if template.proxy:
            return self.forward(route, current_exchange())
        try:
            if not template.state:
                response = render(template, context or {}).response
            else:

                def render_then_write(state: Any) -> tuple[dict[str, Any], Response]:
                    seen = {**(context or {}), "state": state}
                    rendered = render(template, seen)
                    return rendered.state, rendered.response

                # A shared store may run this more than once (it retries on a conflict):
                # each run draws the same values, so the answer sent is the one whose
                # state was kept.
                response = self.stores.state.change(
                    self.stores.random.repeatable(render_then_write)
                )
            if template.over_time:
                exchange = current_exchange()
                helpers = self.stores.random
                return send_over_time(response, template, context or {}, exchange, helpers, inside)
            return response
        except TemplateRenderError as exc:
            message = f"template failed in route {route.name!r} at {template.where}: {exc}"
            log.error("%s", message)
            raise Problem(
                500, message, route=route.name, errors=[{"message": str(exc)}], violation=message
            ) from None

    def forward(self, route: Route, exchange: Exchange) -> Response:
        """`response: {proxy: true}`: the upstream answers (502 when there is none)."""
        if self.upstream is None:
            message = (
                f"route {route.name!r} forwards to the upstream, but none is set "
                "(settings.proxy.to or run --proxy-to)"
            )
            raise Problem(502, message, route=route.name, errors=[{"message": message}])
        response = self.upstream(exchange)
        assert response is not None
        return response

    def send(self, template: ResponseTemplate) -> None:
        """Hold the answer back by its delay: awaited by an event-loop server, else slept."""
        delay = template.delay if template.delay is not None else self.spec.settings.delay
        pause = delay_seconds(delay, self.stores.random.random)
        if pause:
            hold(current_exchange().request.environ, pause)

    # -- unmatched requests -----------------------------------------------------------

    def unmatched(self, exchange: Exchange) -> Response:
        """A request no route matches: the first fallback that answers it."""
        for fallback in self.fallbacks:
            response = fallback(exchange)
            if response is not None:
                return response
        raise AssertionError("the near-miss 404 answers every request")  # pragma: no cover

    def before_near_miss(self, exchange: Exchange) -> Response | None:
        """The answer of a fallback in front of the near-miss 404 (the upstream), if any.

        For requests the spec has a route for but does not answer: no `when` held, or
        another method (the 405).
        """
        for fallback in self.fallbacks:
            if fallback == self.near_miss:
                break
            response = fallback(exchange)
            if response is not None:
                return response
        return None

    def near_miss(self, exchange: Exchange) -> Response | None:
        """The last fallback: a 404 naming the three closest routes and why each missed."""
        request = exchange.request
        misses = near_misses(self.shapes, request.method, request.path)
        exchange.misses = [miss.as_json() for miss in misses]
        message = f"no route matches {request.method} {request.path}"
        closest = (
            f"; closest: {misses[0].method} {misses[0].path} ({misses[0].why})" if misses else ""
        )
        raise Problem(404, message, errors=exchange.misses, violation=message + closest)

    # -- what templates see -----------------------------------------------------------

    def context(
        self,
        request: Request,
        path_values: dict[str, Any],
        *,
        query: dict[str, Any] | None = None,
        body: ParsedBody | None = None,
        typed_headers: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The names a template sees while answering `request`."""
        if body is None:
            raw = request.get_data(cache=True) if has_body(request) else b""
            body = parse_body(raw, request.content_type)
        return build_context(
            request,
            path_values=path_values,
            query=query_dict(request) if query is None else query,
            body=body,
            state=self.stores.state.snapshot(),
            resources=self.stores.resources.snapshot(),
            helpers=self.helper_names,
            typed_headers=typed_headers,
        )

    def problem_context(self, exchange: Exchange) -> dict[str, Any]:
        """What an `errors:` template sees: the context built already, else a new one."""
        if exchange.context is None:
            request = exchange.request
            exchange.context = self.context(request, dict(request.view_args or {}))
        return exchange.context

    # -- remember ---------------------------------------------------------------------

    def remember(self, exchange: Exchange, response: Response) -> Entry | None:
        """Journal a finished exchange, then tell each listener (admin requests aside).

        An answer still being sent (a stream) is journaled when it ends.
        """
        stream = exchange.stream
        if stream is not None and not stream.ended and not exchange.admin:
            stream.on_end = lambda: self.remember(exchange, response)
            return None
        exchange.response = response
        exchange.duration_ms = (time.perf_counter() - exchange.started) * 1000
        if exchange.admin:
            return None
        request = exchange.request
        status = exchange.status
        raw = _body_kept(request)
        violation = None
        if exchange.violation is not None and status is not None:
            violation = Violation(
                request.method,
                request.path,
                status,
                exchange.violation,
                exchange.route,
                tuple(exchange.failures),
            )
        entry = self.stores.journal.record(
            violation,
            method=request.method,
            path=request.path,
            query=query_dict(request),
            headers=dict(request.headers.items()),
            body=raw.decode("utf-8", "replace") if raw else None,
            route=exchange.route,
            status=status,
            failures=exchange.failures,
            duration_ms=round(exchange.duration_ms, 3),
            response=_answer(response, status, exchange),
            why=exchange.misses,
            extra=exchange.extra,
        )
        for listener in self.listeners:
            listener(exchange, entry)
        return entry


def _answer(response: Response, status: int | None, exchange: Exchange) -> Answer:
    """What the journal keeps of an answer: headers, and the body up to BODY_LIMIT bytes."""
    headers = dict(response.headers.items())
    if status is None:
        return Answer(None, {})
    if response.is_streamed:
        sent = bytes(exchange.stream.sent) if exchange.stream is not None else b""
        return Answer(status, headers, sent, response.content_type)
    body = response.get_data()
    cut = len(body) > BODY_LIMIT
    return Answer(status, headers, body[:BODY_LIMIT] if cut else body, response.content_type, cut)


def _body_kept(request: Request) -> bytes:
    """The request body for the journal; none when it was refused for its size."""
    if not has_body(request):
        return b""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        return b""


def has_body(request: Request) -> bool:
    """False when the request surely has no body: skips setting up a stream to read none."""
    environ = request.environ
    return (environ.get("CONTENT_LENGTH") or "0") != "0" or "HTTP_TRANSFER_ENCODING" in environ


SHOWN_WHENS = 10  # conditions a 404 lists, at most


def _no_when_held(route: Route, method: str) -> dict[str, str]:
    """The route itself as the closest miss, with the conditions that were false."""
    whens = list(dict.fromkeys(t.when.source for t in route.responses if t.when is not None))
    shown = "; ".join(f"{w} is false" for w in whens[:SHOWN_WHENS])
    more = len(whens) - SHOWN_WHENS
    if more > 0:  # a route of 600 operations: the first few say enough
        shown += f"; and {more} more"
    why = "no 'when' held: " + shown
    return {"route": route.name, "method": method, "path": route.path, "why": why}


def _log_when(route: Route, response: ResponseTemplate, exc: Exception) -> None:
    log.warning(
        "route %r: 'when' at %s could not be evaluated (%s); taken as false",
        route.name,
        response.where,
        exc,
    )
