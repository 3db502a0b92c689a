"""The server's own answers, rendered in one place: always JSON, replaceable by `errors:`."""

from __future__ import annotations

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


def render_problem(
    problem: Problem,
    *,
    override: ResponseTemplate | None = None,
    context: dict[str, Any] | None = None,
) -> Response:
    """A problem as JSON; the spec's `errors.STATUS` (`override`) replaces the body."""
    status, message, route, errors = problem.status, problem.message, problem.route, problem.errors
    response = None
    if override is not None:
        names = {**(context or {}), "error": message, "errors": errors, "route": route}
        try:
            response = render(override, names).response
        except TemplateRenderError as exc:
            errors = errors + [{"message": f"errors.{status} failed to render: {exc}"}]
        else:
            response.status_code = status
    if response is None:
        response = json_response(error_body(message, route, errors), status)
    for name, value in problem.headers.items():
        response.headers.setdefault(name, value)
    return response
