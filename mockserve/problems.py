"""The server's own answers, rendered in one place: always JSON, replaceable by `errors:`."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from .errors import Problem, TemplateRenderError
from .responses import dump_json, render
from .spec.model import ResponseTemplate


def error_body(message: str, route: str | None, errors: list[Any]) -> dict[str, Any]:
    """The JSON shape of every error the server itself answers."""
    return {"error": message, "route": route, "errors": errors}


def json_response(value: Any, status: int = 200) -> Response:
    return Response(dump_json(value), status=status, content_type="application/json")


def no_content() -> Response:
    """A 204 with no body and so no Content-Type."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def pick_error(
    templates: tuple[ResponseTemplate, ...], context: dict[str, Any]
) -> ResponseTemplate | None:
    """The first of a route's own error answers whose `when` holds (one that fails: false)."""
    for template in templates:
        if template.when is None:
            return template
        try:
            if template.when.render(context):
                return template
        except TemplateRenderError:
            continue
    return None


def render_problem(
    problem: Problem,
    *,
    override: ResponseTemplate | None = None,
    context: dict[str, Any] | None = None,
    own_status: bool = False,
) -> Response:
    """A problem as JSON; an `errors:` answer (`override`) replaces the body.

    The problem's status stays, unless the answer is the route's own (`own_status`: an
    OpenAPI operation's error example that says 400).
    """
    status, message, route, errors = problem.status, problem.message, problem.route, problem.errors
    response = None
    if override is not None:
        names = {**(context or {}), "error": message, "errors": errors, "route": route}
        try:
            response = render(override, names).response
        except TemplateRenderError as exc:
            errors = errors + [{"message": f"errors.{status} failed to render: {exc}"}]
        else:
            if not own_status:
                response.status_code = status
    if response is None:
        response = json_response(error_body(message, route, errors), status)
    for name, value in problem.headers.items():
        response.headers.setdefault(name, value)
    if status == 422 and problem.errors:
        # Whatever the body says (an `errors:` answer may say nothing), a client can read
        # every failure here; ASCII JSON, so any message can travel in a header.
        response.headers["X-Mockserve-Failures"] = json.dumps(problem.errors, separators=(",", ":"))
    return response
