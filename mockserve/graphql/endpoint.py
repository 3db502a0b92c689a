"""A GraphQL endpoint as a Blueprint: one view answering through the pipeline's record.

The request is read (GraphQL over HTTP), its query checked against the schema (GraphQL's
located errors, and contract failures for the journal and `--strict`), then answered like
a route: faults drawn, an `operations` entry chosen by its `when`, the operation executed
by graphql-core with the mock's resolvers, the delay waited out, `state` written. The
app's `after_request` journals the exchange, with the operation's name and type.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from flask import Blueprint, Request, request
from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode, execute
from graphql.execution.values import get_variable_values
from werkzeug.wrappers import Response

from ..errors import Problem, TemplateRenderError
from ..exchange import Exchange, current_exchange
from ..pipeline import DisconnectResponse, Pipeline
from ..report import failures_text
from ..responses import delay_seconds, draw_fault, dump_json, fault_response, render
from ..spec.endpoints import GraphQLEndpoint, GraphQLOperation
from ..spec.model import Delay, Fault
from .http import (
    RESPONSE_TYPE,
    GraphQLRequest,
    Refused,
    check_query,
    failures_of,
    read_request,
    wants_graphql_response,
)
from .resolvers import Answering, resolve_field, resolve_type

log = logging.getLogger("mockserve")


def graphql_blueprint(endpoint: GraphQLEndpoint, pipeline: Pipeline, index: int) -> Blueprint:
    """The endpoint's one view, at its path, for GET and POST."""
    blueprint = Blueprint(f"mockserve_graphql_{index}", __name__)
    answerer = Answerer(endpoint, pipeline)

    def view() -> Response:
        return answerer.answer(_request())

    blueprint.add_url_rule(
        endpoint.path, endpoint=f"graphql_{index}", view_func=view, methods=["GET", "POST"]
    )
    return blueprint


class Answerer:
    """Answers one endpoint's requests from the pipeline's stores."""

    def __init__(self, endpoint: GraphQLEndpoint, pipeline: Pipeline):
        self.endpoint = endpoint
        self.pipeline = pipeline
        self.stores = pipeline.stores
        # Answers to introspection-only queries, by request: GitHub's takes a second to build,
        # and GraphiQL or Apollo tooling asks for it again at every page load.
        self.introspections: dict[tuple[str, str | None, str], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def remember_introspection(self, key: tuple[str, str | None, str], body: dict) -> None:
        with self.lock:
            if len(self.introspections) >= _INTROSPECTIONS_KEPT:
                self.introspections.pop(next(iter(self.introspections)))
            self.introspections[key] = body

    def answer(self, req: Request) -> Response:
        endpoint = self.endpoint
        exchange = current_exchange()
        exchange.route = endpoint.name
        self.stores.random.draw_for(endpoint.name)
        media = RESPONSE_TYPE if wants_graphql_response(req) else "application/json"
        try:
            asked = read_request(req)
        except Refused as refused:
            failures = [{"in": "request", "path": "", "message": refused.message}]
            response = self.refuse(exchange, failures, [GraphQLError(refused.message)], media)
            response.status_code = refused.status
            response.headers.update(refused.headers)
            return response
        document, operation, errors = check_query(endpoint.schema, asked)
        if errors or operation is None or document is None:
            return self.refuse(exchange, failures_of(errors, asked.part), errors, media)
        kind = operation.operation.value
        name = operation.name.value if operation.name else None
        exchange.extra["graphql"] = {"operation": name, "type": kind}
        if req.method != "POST" and kind != "query":
            message = f"a {kind} is sent with POST; GET runs queries only"
            failures = [{"in": "request", "path": "", "message": message}]
            response = self.refuse(exchange, failures, [GraphQLError(message)], media)
            response.status_code = 405
            response.headers["Allow"] = "POST"
            return response
        coerced = get_variable_values(
            endpoint.schema, operation.variable_definitions or (), asked.variables
        )
        if isinstance(coerced, list):
            failures = [
                {**failure, "path": "/variables"} for failure in failures_of(coerced, asked.part)
            ]
            return self.refuse(exchange, failures, coerced, media)
        # graphql-core 3.3 gives VariableValues (`.coerced`), 3.2 the dict itself
        variables: dict[str, Any] = getattr(coerced, "coerced", coerced)  # type: ignore[arg-type]
        context = self.context(req, exchange, asked, operation, variables)
        chosen = self.choose(context)
        fault = self.fault(exchange, chosen)
        if fault is not None:
            return self.faulted(fault, context, chosen)
        key = (asked.query, asked.operation_name, json.dumps(asked.variables, sort_keys=True))
        remembered = self.introspections.get(key) if chosen is None else None
        if remembered is not None:
            body = remembered  # the schema's own description: the same answer every time
        else:
            result = self.execute(document, asked, chosen, context)
            body = _body(result)
            if chosen is None and _introspection_only(operation) and not result.errors:
                self.remember_introspection(key, body)
        if chosen is not None and chosen.errors is not None:
            body = self.with_errors(chosen, body, context)
        if "errors" in body and remembered is None and (chosen is None or chosen.errors is None):
            why = "; ".join(error["message"] for error in body["errors"])
            log.warning("GraphQL %s: the mock's answer has errors: %s", endpoint.path, why)
            exchange.violation = f"the mock's answer to {name or kind} has errors: {why}"
        self.write_state(chosen, context, body.get("data"))
        response = Response(dump_json(body), status=200, content_type=media)
        self.wait(chosen)
        return response

    # -- the steps --------------------------------------------------------------------

    def refuse(
        self, exchange: Exchange, failures: list[dict[str, str]], errors: list, media: str
    ) -> Response:
        """A request the schema rejects: GraphQL's errors, and a contract failure."""
        exchange.failures = failures
        exchange.violation = failures_text(failures)
        status = 400 if media == RESPONSE_TYPE else 200
        body = {"errors": [error.formatted for error in errors]}
        response = Response(dump_json(body), status=status, content_type=media)
        response.headers["X-Mockserve-Failures"] = json.dumps(failures, separators=(",", ":"))
        return response

    def context(
        self,
        req: Request,
        exchange: Exchange,
        asked: GraphQLRequest,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
    ) -> dict[str, Any]:
        """What templates see: the request as on a route, and the operation."""
        context = self.pipeline.context(req, {})
        context["variables"] = variables
        context["operation"] = operation.name.value if operation.name else None
        context["operation_type"] = operation.operation.value
        exchange.context = context
        return context

    def choose(self, context: dict[str, Any]) -> GraphQLOperation | None:
        """The first `operations` entry whose `when` holds (one without `when` always does)."""
        for entry in self.endpoint.operations:
            if entry.when is None:
                return entry
            try:
                held = entry.when.render(context)
            except TemplateRenderError as exc:
                log.warning(
                    "GraphQL %s: 'when' at %s could not be evaluated (%s); taken as false",
                    self.endpoint.path,
                    entry.where,
                    exc,
                )
                held = False
            if held:
                return entry
        return None

    def fault(self, exchange: Exchange, chosen: GraphQLOperation | None) -> Fault | None:
        """The endpoint's faults (one draw), then the chosen entry's (one more)."""
        rng = self.stores.random.random
        fault = draw_fault(self.endpoint.faults, rng)
        if fault is None and chosen is not None:
            fault = draw_fault(chosen.faults, rng)
        if fault is not None and fault.kind is not None:
            exchange.fault = fault.kind
        return fault

    def faulted(
        self, fault: Fault, context: dict[str, Any], chosen: GraphQLOperation | None
    ) -> Response:
        """A fault's answer: a broken one at once, a response after its delay (as on a route)."""
        if fault.kind == "disconnect":
            return DisconnectResponse()
        if fault.kind is not None:
            return fault_response(fault)
        assert fault.response is not None
        try:
            response = render(fault.response, context).response
        except TemplateRenderError as exc:
            raise self.failed(fault.response.where, exc) from None
        self.wait(chosen, fault.response.delay)
        return response

    def execute(
        self,
        document: Any,
        asked: GraphQLRequest,
        chosen: GraphQLOperation | None,
        context: dict[str, Any],
    ) -> ExecutionResult:
        """Run the operation with the mock's resolvers (unless `data` answers it whole)."""
        root: Any = {}
        if chosen is not None and (chosen.has_data or chosen.errors is not None):
            if chosen.data is None:  # `data: null`, or `errors` alone: no data
                return ExecutionResult(None if chosen.has_data else _NO_DATA)
            try:
                root = chosen.data.render(context)
            except TemplateRenderError as exc:
                raise self.failed(chosen.where + ".data", exc) from None
            if root is None:
                return ExecutionResult(None)
        answering = Answering(self.endpoint, context, self.stores.random.random, context["fake"])
        result = execute(
            self.endpoint.schema,
            document,
            root_value=root,
            context_value=answering,
            variable_values=asked.variables,
            operation_name=asked.operation_name,
            field_resolver=resolve_field,
            type_resolver=resolve_type,
        )
        assert isinstance(result, ExecutionResult)  # the mock's resolvers are synchronous
        return result

    def with_errors(
        self, chosen: GraphQLOperation, body: dict[str, Any], context: dict[str, Any]
    ) -> dict[str, Any]:
        """The entry's own `errors`, first, before those of the execution."""
        assert chosen.errors is not None
        try:
            errors = chosen.errors.render(context)
        except TemplateRenderError as exc:
            raise self.failed(chosen.where + ".errors", exc) from None
        listed = list(errors) if isinstance(errors, list) else [errors]
        return {"errors": listed + body.pop("errors", []), **body}

    def write_state(
        self, chosen: GraphQLOperation | None, context: dict[str, Any], data: Any
    ) -> None:
        """The endpoint's and the entry's `state`, rendered seeing the answer's `data`."""
        templates = self.endpoint.state + (chosen.state if chosen is not None else ())
        if not templates:
            return

        def change(state: Any) -> tuple[dict[str, Any], None]:
            seen = {**context, "state": state, "data": data}
            return {name: value.render(seen) for name, value in templates}, None

        try:
            self.stores.state.change(self.stores.random.repeatable(change))
        except TemplateRenderError as exc:
            raise self.failed(self.endpoint.where + ".state", exc) from None

    def wait(self, chosen: GraphQLOperation | None, delay: Delay | None = None) -> None:
        """The first delay given: `delay`, the operation's, the endpoint's, the settings'."""
        if delay is None and chosen is not None:
            delay = chosen.delay
        if delay is None:
            delay = self.endpoint.delay if self.endpoint.delay is not None else None
        if delay is None:
            delay = self.pipeline.spec.settings.delay
        pause = delay_seconds(delay, self.stores.random.random)
        if pause:
            time.sleep(pause)

    def failed(self, where: str, exc: TemplateRenderError) -> Problem:
        """A template of the spec failed: the server's 500, as on a route."""
        message = f"template failed in {self.endpoint.name!r} at {where}: {exc}"
        log.error("%s", message)
        return Problem(
            500,
            message,
            route=self.endpoint.name,
            errors=[{"message": str(exc)}],
            violation=message,
        )


_INTROSPECTIONS_KEPT = 8
_INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})


def _introspection_only(operation: OperationDefinitionNode) -> bool:
    """True when the operation asks only about the schema: its answer never changes."""
    return operation.operation.value == "query" and all(
        isinstance(node, FieldNode) and node.name.value in _INTROSPECTION_FIELDS
        for node in operation.selection_set.selections
    )


_NO_DATA: Any = object()  # an entry with `errors` only: the answer has no `data` key


def _body(result: ExecutionResult) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.data is not _NO_DATA:
        body["data"] = result.data
    return body


def _request() -> Request:
    return request._get_current_object()  # type: ignore[attr-defined]
