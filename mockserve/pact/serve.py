"""Serve a pact: find the interaction a request is for, answer it through the pipeline.

A pact has no URL routes: every request reaches the pipeline's fallbacks, where the
Pact matcher picks the interaction (among those that match, the ones in the provider
state chosen with `POST {admin}/pact/state` or the `X-Pact-Provider-State` header) and
`Pipeline.answer` answers with its route, so it is journaled and logged like any route.
A request no interaction takes is the near-miss 404, naming the closest interactions
with each Pact mismatch. Which interactions were exercised is kept for `--strict`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, request
from werkzeug.wrappers import Response

from ..access import guard
from ..errors import Problem
from ..exchange import Exchange
from ..journal import Entry
from ..mock import Mock
from ..problems import json_response
from .matching import Mismatch, match_request
from .model import Body, Request
from .parts import major
from .routes import Served, ServedPact
from .rules import check

EXTENSION = "mockserve_pact"
STATE_HEADER = "X-Pact-Provider-State"
SHOWN = 3  # closest interactions named in a 404


@dataclass
class PactServer:
    """A served pact's own state: the provider state chosen and what was exercised."""

    served: ServedPact
    state: str | None = None
    exercised: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.state = None
            self.exercised.clear()

    def never_exercised(self) -> list[Served]:
        """The interactions no request has been answered by (for `--strict`)."""
        with self.lock:
            done = set(self.exercised)
        return [item for item in self.served.served if item.route.name not in done]

    def noted(self, exchange: Exchange, entry: Entry) -> None:
        if exchange.route is not None and exchange.route in self.served.by_route:
            with self.lock:
                self.exercised.add(exchange.route)


def install_pact(app: Flask, mock: Mock) -> PactServer | None:
    """Wire a served pact in: the fallback that answers it, and its admin endpoint."""
    served = mock.spec.pact
    if not isinstance(served, ServedPact):
        return None
    server = PactServer(served)
    app.extensions[EXTENSION] = server
    mock.reset_hooks.append(server.reset)
    mock.listen(server.noted)
    version = major(served.pact.version)
    pipeline = mock.pipeline
    json_expected = any(item.interaction.request.body.is_json for item in served.served)

    def answer(exchange: Exchange) -> Response | None:
        received = received_request(exchange.request, json_expected=json_expected)
        state = exchange.request.headers.get(STATE_HEADER) or server.state
        # Method and path first (cheap): the whole request only where they match.
        likely = [item for item in served.served if _method_and_path(item, received)]
        matching = [
            i for i in likely if not match_request(i.interaction.request, received, version)
        ]
        chosen = _choose(matching, state)
        if chosen is not None:
            return pipeline.answer(chosen.route, {})
        ranked = [
            (item, match_request(item.interaction.request, received, version))
            for item in served.served
        ]
        raise _near_miss(exchange, ranked, state)

    pipeline.fallbacks.insert(len(pipeline.fallbacks) - 1, answer)
    admin = mock.spec.settings.admin
    if admin:
        app.register_blueprint(_state_blueprint(mock, server, admin))
    return server


def received_request(req: Any, *, json_expected: bool) -> Request:
    """A Flask request as the Pact matcher reads one (JSON parsed when JSON is expected)."""
    data = req.get_data(cache=True) if _has_body(req) else b""
    query: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in req.args.lists()}
    body = Body.of_bytes(data, req.content_type, json_expected=json_expected)
    if not data:
        body = Body()  # nothing sent: Pact's "missing"
    return Request(
        method=req.method,
        path=req.path,
        query=query,
        query_text=req.query_string.decode("latin-1"),
        headers=tuple(req.headers.items()),
        body=body,
    )


def _method_and_path(item: Served, received: Request) -> bool:
    expected = item.interaction.request
    if expected.method != received.method.upper():
        return False
    rules = expected.rules.path
    return (
        expected.path == received.path
        if rules is None
        else not check(rules, expected.path, received.path)
    )


def _has_body(req: Any) -> bool:
    environ = req.environ
    return (environ.get("CONTENT_LENGTH") or "0") != "0" or "HTTP_TRANSFER_ENCODING" in environ


def _choose(matching: list[Served], state: str | None) -> Served | None:
    """The first match in the state chosen, else the first one without a state.

    With no state chosen, the first match in the pact's order.
    """
    if state is None:
        return matching[0] if matching else None
    for item in matching:
        if state in item.interaction.state_names:
            return item
    for item in matching:
        if not item.interaction.states:
            return item
    return None


def _weight(found: list[Mismatch]) -> float:
    """How far a request is from an interaction: a wrong path or method weighs most."""
    heavy = {"path": 4.0, "method": 3.0}
    return sum(heavy.get(m.part, 1.0) for m in found)


def _near_miss(
    exchange: Exchange, ranked: list[tuple[Served, list[Mismatch]]], state: str | None
) -> Problem:
    req = exchange.request
    closest = sorted(ranked, key=lambda pair: _weight(pair[1]))[:SHOWN]
    misses: list[dict[str, Any]] = []
    for item, found in closest:
        interaction = item.interaction
        why = "; ".join(str(m) for m in found)
        if not found:  # it matches, but in another provider state
            names = ", ".join(interaction.state_names)
            why = f"matches, but in provider state {names!r}, not {state!r}"
        misses.append(
            {
                "route": item.route.name,
                "method": interaction.request.method,
                "path": interaction.request.path,
                "why": why,
                "mismatches": [m.as_json() for m in found],
            }
        )
    exchange.misses = [{k: str(v) for k, v in m.items() if k != "mismatches"} for m in misses]
    message = f"no interaction of the pact matches {req.method} {req.path}"
    if state is not None:
        message += f" in provider state {state!r}"
    first = f"; closest: {misses[0]['route']!r} ({misses[0]['why']})" if misses else ""
    return Problem(404, message, errors=misses, violation=message + first)


def _state_blueprint(mock: Mock, server: PactServer, prefix: str) -> Blueprint:
    """`POST {admin}/pact/state {"state": NAME}`: the provider state requests are in."""
    blueprint = Blueprint("mockserve_pact", __name__, url_prefix=f"{prefix}/pact")
    blueprint.before_request(lambda: guard(mock, request))
    known = sorted({n for item in server.served.served for n in item.interaction.state_names})

    @blueprint.route("/state", methods=["POST"])
    def set_state() -> Response:
        if mock.workers > 1:  # each worker process chooses for itself: say so
            raise Problem(
                409,
                f"this mock runs {mock.workers} worker processes, each with its own provider "
                "state; send X-Pact-Provider-State with each request instead",
            )
        given = request.get_json(silent=True)
        if not isinstance(given, dict) or not (
            given.get("state") is None or isinstance(given.get("state"), str)
        ):
            raise Problem(400, 'give the provider state: {"state": "NAME"} (null for none)')
        name = given.get("state")
        if name is not None and name not in known:
            listed = ", ".join(map(repr, known)) or "none"
            raise Problem(404, f"the pact has no provider state {name!r}; it has: {listed}")
        with server.lock:
            server.state = name
        return json_response({"state": name})

    @blueprint.route("/state", methods=["GET"])
    def get_state() -> Response:
        return json_response({"state": server.state, "states": known})

    return blueprint
