"""The helper names every template sees: draws from the mock's random source, and
readers of the request (`prefer`, `accepts`, `credential`) that OpenAPI answers use."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from jinja2 import pass_context
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .draws import RandomSource
from .media import media_type


def helper_names(source: RandomSource) -> dict[str, Any]:
    """The helper names every template sees, drawing from `source`."""
    return {
        "uuid": source.uuid,
        "now": source.now,
        "randint": source.randint,
        "choice": source.choice,
        "fake": source.fake,
        "prefer": prefer,
        "accepts": accepts,
        "credential": credential,
        "param": param,
    }


def _header(context: Any, name: str) -> str:
    headers = context.get("headers")
    if not hasattr(headers, "get"):
        return ""
    value = headers.get(name)
    if value is None and "_" in name:  # WSGI servers turn `api_key` into `Api-Key`
        value = headers.get(name.replace("_", "-"))
    return value if isinstance(value, str) else ""


@pass_context
def param(context: Any, name: str) -> Any:
    """The request's value NAME wherever the client put it: a header, else a query
    parameter, else a field of a form (or JSON) body; none when it sent none.

    One name, several places: the AWS query protocol's `Action` comes in the query of a
    GET and in the form body of a POST, the JSON protocol's `X-Amz-Target` in a header.
    """
    headers = context.get("headers")
    value = headers.get(name) if hasattr(headers, "get") else None
    for place in ("query", "body"):
        if value is None:
            values = context.get(place)
            value = values.get(name) if isinstance(values, dict) else None
    if isinstance(value, list):  # given twice: the first
        value = value[0] if value else None
    return value


@pass_context
def prefer(context: Any, name: str) -> str | None:
    """What the client asked for with `Prefer: NAME=VALUE` (e.g. `code=404`, `example=cat`).

    Lets a client pick one of several declared answers, as with Prism; none when not asked.
    """
    for part in _header(context, "prefer").replace(";", ",").split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip().lower() == name.lower():
            return value.strip().strip('"')
    return None


@pass_context
def accepts(context: Any, *types: str) -> str | None:
    """The one of `types` the request's `Accept` header takes best (q-values honoured).

    No `Accept` header takes the first; none when the client accepts none of them.
    """
    header = _header(context, "accept").strip()
    if not types:
        return None
    if not header:
        return types[0]
    # Media type parameters (`; charset=utf-8`, `; version=1`) do not change the type
    # asked for: compare on both sides without them, then answer with the declared one.
    accepted = MIMEAccept(
        [(media_type(value), quality) for value, quality in parse_accept_header(header)]
    )
    bare: dict[str, str] = {}
    for declared in types:
        bare.setdefault(media_type(declared), declared)
    best = accepted.best_match(list(bare))
    return bare[best] if best is not None else None


@pass_context
def credential(
    context: Any, kind: str, name: str | None = None, where: str = "header"
) -> str | None:
    """The request's credential of this kind when it has the right shape, else none.

    `credential('basic')`: `Authorization: Basic` with base64 `user:pass` (gives the user);
    `credential('bearer')`: `Authorization: Bearer TOKEN` (gives the token);
    `credential('apikey', 'X-API-Key', 'header'|'query'|'cookie')`: that key, non-empty;
    any other kind: an `Authorization` header of that scheme (e.g. `credential('digest')`).
    """
    kind = kind.lower()
    if kind == "apikey":
        if not name:
            return None
        if where == "query":
            request = context.get("request")
            value = getattr(request, "query", {}).get(name) if request is not None else None
        elif where == "cookie":
            value = (context.get("cookies") or {}).get(name)
        else:
            value = _header(context, name)
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value) if value else None
    scheme, _, value = _header(context, "authorization").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != kind or not value:
        return None
    if kind == "basic":
        try:
            user, colon, _ = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if colon and user else None
    return value
