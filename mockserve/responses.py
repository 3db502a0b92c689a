"""Pick a route's answer (faults, `when`, order) and render it into an HTTP response."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from .errors import TemplateRenderError
from .spec.model import Delay, Fault, ResponseTemplate, Route

if TYPE_CHECKING:
    from .stores import PositionStore

MALFORMED_JSON = b'{"id": 1, "name": "trunc'


def dump_json(value: Any) -> bytes:
    """Serialize a rendered JSON value compactly, keeping non-ASCII text as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def draw_fault(faults: tuple[Fault, ...], rng: random.Random) -> Fault | None:
    """One draw per request; each fault fires with its own probability."""
    if not faults:
        return None
    draw = rng.random()
    for fault in faults:
        draw -= fault.rate
        if draw < 0:
            return fault
    return None


class NoResponseMatched(Exception):
    """No `when` held: the server's 404 names the route."""


def choose(
    route: Route,
    context: dict[str, Any],
    positions: PositionStore,
    rng: random.Random,
    log_when: Callable[[Route, ResponseTemplate, Exception], None] | None = None,
) -> ResponseTemplate:
    """The response this request gets, by the route's `order`."""
    responses = route.responses
    order = route.order
    if order == "first-match":
        picked = route.compiled.selection
        if picked is not None:
            try:
                responses = tuple(responses[i] for i in picked.candidates(context))
            except TemplateRenderError:
                pass  # each `when` is tried, and logged, as without the lookup
        for response in responses:
            if response.when is None:
                return response
            try:
                held = response.when.render(context)
            except TemplateRenderError as exc:
                if log_when:
                    log_when(route, response, exc)
                held = False
            if held:
                return response
        raise NoResponseMatched(route.name)
    if len(responses) == 1:
        return responses[0]
    if order == "random":
        return rng.choices(responses, weights=[r.weight for r in responses])[0]
    position = positions.next(route.name)
    if order == "sequence":
        return responses[min(position, len(responses) - 1)]
    return responses[position % len(responses)]  # cycle


def delay_seconds(delay: Delay | None, rng: random.Random) -> float:
    if delay is None:
        return 0.0
    if delay.low == delay.high:
        return delay.low / 1000.0
    return rng.uniform(delay.low, delay.high) / 1000.0


@dataclass
class Rendered:
    """A rendered answer, and the state it asks to remember."""

    response: Response
    state: dict[str, Any]


def render(template: ResponseTemplate, context: dict[str, Any]) -> Rendered:
    """Render status, headers and body; raise TemplateRenderError naming the failing part."""
    body = template.body
    if body.static is not None:
        payload = body.static
    else:
        assert body.template is not None  # the loader compiles one for every other body
        rendered = body.template.render(context)
        payload = dump_json(rendered) if body.kind == "json" else rendered.encode("utf-8")
    status = template.status
    if template.status_value is not None:
        rendered = template.status_value.render(context)
        try:
            status = int(rendered)
        except (TypeError, ValueError):
            status = 0
        if not 100 <= status <= 599:
            raise TemplateRenderError(
                template.where + ".status", f"{rendered!r} is not an HTTP status"
            )
    response = Response(payload, status=status, content_type=body.content_type)
    if body.kind == "none":
        response.headers.pop("Content-Type", None)
    if template.redirect is not None:
        response.headers["Location"] = template.redirect.render(context)
    for name, value in template.headers:
        response.headers[name] = _header_value(template.where, name, value.render(context))
    state = {name: value.render(context) for name, value in template.state}
    return Rendered(response, state)


def _header_value(where: str, name: str, text: str) -> str:
    """A rendered header value HTTP can carry; request data may hold a line break or a '€'."""
    problem = None
    if "\n" in text or "\r" in text:
        problem = "a line break"
    elif not text.isascii():
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            problem = "characters outside Latin-1"
    if problem:
        raise TemplateRenderError(
            f"{where}.headers.{name}", f"{text!r} cannot be sent as a header: it has {problem}"
        )
    return text


def fault_response(fault: Fault) -> Response:
    """The answer of an `empty` or `malformed` fault."""
    if fault.kind == "malformed":
        return Response(MALFORMED_JSON, status=200, content_type="application/json")
    response = Response(b"", status=200)
    del response.headers["Content-Type"]  # nothing to describe, as with a route's empty body
    return response
