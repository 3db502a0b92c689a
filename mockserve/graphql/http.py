"""GraphQL over HTTP: read a request's query, variables and operation name; check the query.

POST takes `application/json` `{query, variables, operationName}`, GET the same as query
parameters (`variables` as JSON text). A request that is not well-formed is refused with
400 (405 for a method, 415 for a content type); a query the schema rejects gets GraphQL's
own located errors, each naming the closest fields or arguments where one was mistyped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flask import Request
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    validate,
)
from werkzeug.datastructures import MIMEAccept

from .mocks import closest

RESPONSE_TYPE = "application/graphql-response+json"


class Refused(Exception):
    """A request that is not a GraphQL request: refused before the query is read."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class GraphQLRequest:
    """What a GraphQL-over-HTTP request asks for."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None
    part: str  # where it came: `body` (POST) or `query` (GET), as failures name it


def read_request(request: Request) -> GraphQLRequest:
    """The request's query, variables and operation name; `Refused` when it has none."""
    if request.method in ("GET", "HEAD"):
        params: dict[str, Any] = request.args.to_dict()
        if "variables" in params and params["variables"] != "":
            try:
                params["variables"] = json.loads(params["variables"])
            except ValueError as exc:
                raise Refused(400, f"variables is not JSON: {exc}") from None
        return _request(params, "query")
    if request.method != "POST":
        raise Refused(405, f"{request.method} is not allowed; use GET or POST", _ALLOW)
    mimetype = request.mimetype
    if mimetype != "application/json":
        shown = mimetype or "none"
        raise Refused(415, f"a GraphQL POST is application/json; got Content-Type {shown}")
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except ValueError as exc:
        raise Refused(400, f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Refused(400, "the body is a JSON object: {query, variables, operationName}")
    return _request(body, "body")


_ALLOW = {"Allow": "GET, POST"}


def _request(params: dict[str, Any], part: str) -> GraphQLRequest:
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        raise Refused(400, "the request has no query (a GraphQL document as text)")
    variables = params.get("variables")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        raise Refused(400, "variables is an object of the operation's variables")
    name = params.get("operationName")
    if name == "":
        name = None
    if name is not None and not isinstance(name, str):
        raise Refused(400, "operationName is text")
    return GraphQLRequest(query, variables, name, part)


def wants_graphql_response(request: Request) -> bool:
    """True when the client prefers `application/graphql-response+json` (GraphQL over HTTP)."""
    accept: MIMEAccept = request.accept_mimetypes
    if not any(value == RESPONSE_TYPE and quality > 0 for value, quality in accept):
        return False  # `*/*` (or no Accept) gets application/json, which every client reads
    return accept.quality(RESPONSE_TYPE) >= accept.quality("application/json")


def check_query(
    schema: GraphQLSchema, request: GraphQLRequest
) -> tuple[DocumentNode | None, OperationDefinitionNode | None, list[GraphQLError]]:
    """Parse and validate the query; pick the operation. Errors are GraphQL's own."""
    try:
        document = parse(request.query)
    except GraphQLSyntaxError as exc:
        return None, None, [exc]
    errors = validate(schema, document)
    if errors:
        return document, None, [_with_closest(schema, error) for error in errors]
    operation = get_operation_ast(document, request.operation_name)
    if operation is None:
        names = [
            d.name.value
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode) and d.name is not None
        ]
        if request.operation_name is not None:
            message = f"Unknown operation named '{request.operation_name}'"
            hint = closest(request.operation_name, names)
            message += f"; the document has {', '.join(repr(n) for n in hint)}." if hint else "."
        else:
            message = "Must provide operation name if query contains multiple operations."
        return document, None, [GraphQLError(message)]
    return document, operation, []


_UNKNOWN_FIELD = re.compile(r"^Cannot query field '(?P<field>[^']+)' on type '(?P<type>[^']+)'\.")
_UNKNOWN_ARGUMENT = re.compile(
    r"^Unknown argument '(?P<arg>[^']+)' on field '(?P<type>[^.']+)\.(?P<field>[^']+)'\."
)


def _with_closest(schema: GraphQLSchema, error: GraphQLError) -> GraphQLError:
    """graphql-core's error, naming the closest fields (or arguments) when it names none."""
    message = error.message
    if "Did you mean '" in message:
        return error
    addition = None
    if found := _UNKNOWN_FIELD.match(message):
        type_ = schema.type_map.get(found["type"])
        fields = getattr(type_, "fields", None) or {}
        names = closest(found["field"], fields)
        if names:
            addition = f"Closest fields of '{found['type']}': {_listed(names)}."
    elif found := _UNKNOWN_ARGUMENT.match(message):
        type_ = schema.type_map.get(found["type"])
        field = (getattr(type_, "fields", None) or {}).get(found["field"])
        names = closest(found["arg"], field.args) if field is not None else []
        if names:
            addition = f"Arguments of '{found['type']}.{found['field']}': {_listed(names)}."
    if addition is None:
        return error
    return GraphQLError(
        f"{message} {addition}",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


def _listed(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def failures_of(errors: list[GraphQLError], part: str) -> list[dict[str, str]]:
    """GraphQL errors as contract failures (journal, --strict, X-Mockserve-Failures)."""
    failures = []
    for error in errors:
        where = "".join(
            f" (line {loc.line}, column {loc.column})" for loc in (error.locations or [])[:1]
        )
        failures.append({"in": part, "path": "/query", "message": error.message + where})
    return failures
