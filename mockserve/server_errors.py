"""The server's own error answers: always JSON, replaceable through the spec's `errors`."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .errors import TemplateRenderError
from .responses import dump_json, render
from .spec.model import ResponseTemplate


def error_body(message: str, route: str | None, errors: list[Any]) -> dict[str, Any]:
    return {"error": message, "route": route, "errors": errors}


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


def error_response(
    status: int,
    message: str,
    *,
    route: str | None = None,
    errors: list[Any] | None = None,
    override: ResponseTemplate | None = None,
    context: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    own_status: bool = False,
) -> Response:
    """A JSON error; the spec's `errors.STATUS` replaces the body when it has one.

    `own_status`: the override's status stands (a route's error answer says 400 or 422).
    """
    errors = errors if errors is not None else []
    body = error_body(message, route, errors)
    response = None
    if override is not None:
        names = {**(context or {}), "error": message, "errors": errors, "route": route}
        try:
            response = render(override, names).response
        except TemplateRenderError as exc:
            body["errors"] = errors + [{"message": f"errors.{status} failed to render: {exc}"}]
        else:
            if not own_status:
                response.status_code = status
    if response is None:
        response = Response(dump_json(body), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response.headers.setdefault(name, value)
    return response
