"""One record per request: what the pipeline learned while answering it.

Filled step by step (match, check, fault, choose, render, send) and read by everything
downstream: the journal, the access log, `--strict`, the assertions of `MockServer`, and
whatever listens to finished exchanges (WireMock calls the same record a serve event).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from flask import Request
from werkzeug.wrappers import Response

from .contract import Failure


@dataclass(eq=False, slots=True)
class StreamProgress:
    """How far an answer sent over time got: filled while it is sent, journaled at its end."""

    events: int = 0  # events (or chunks) sent
    client_left: bool = False  # the client went away before the end
    ended: bool = False
    error: str | None = None  # what failed (a template), when something did
    fault: str | None = None  # the kind of a fault that fired inside the stream
    sent: bytearray = field(default_factory=bytearray)  # the first bytes, for the journal
    on_end: Callable[[], object] | None = None  # journals the exchange (set by the pipeline)

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"events": self.events, "client_left": self.client_left}
        if self.fault is not None:
            shown["fault"] = self.fault
        if self.error is not None:
            shown["error"] = self.error
        return shown


@dataclass(eq=False, slots=True)
class Exchange:
    """A request and its answer, as the pipeline saw them."""

    request: Request
    started: float = field(default_factory=time.perf_counter)
    admin: bool = False  # the admin API's own requests are never journaled
    route: str | None = None  # the route that matched, by name
    misses: list[dict[str, str]] = field(default_factory=list)  # closest routes when none did
    failures: list[Failure] = field(default_factory=list)  # contract failures (the 422's list)
    violation: str | None = None  # why the request is a violation, when it is one
    fault: str | None = None  # the `kind` of a fault that fired (disconnect, empty, malformed)
    context: dict[str, Any] | None = None  # what templates saw, once built
    response: Response | None = None
    duration_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # what later steps add (e.g. a proxy's)
    template: Any = None  # the ResponseTemplate that answered, when a route's did
    upstream: Any = None  # what the upstream answered, whole (proxy.Capture), for the recorder
    stream: StreamProgress | None = None  # an answer sent over time, until it ends

    @property
    def disconnected(self) -> bool:
        return self.fault == "disconnect"

    @property
    def status(self) -> int | None:
        """The status answered; None when the connection was dropped with nothing sent."""
        if self.disconnected or self.response is None:
            return None
        return self.response.status_code


# The request being answered runs in one thread (one context) from start to end; a
# context variable is as local as Flask's `g` and costs a fraction of its lookup.
_current: ContextVar[Exchange] = ContextVar("mockserve_exchange")


def current_exchange() -> Exchange:
    """The exchange of the request being answered (set up before any view runs)."""
    return _current.get()


def begin_exchange(request: Request, *, admin: bool) -> Exchange:
    exchange = Exchange(request, admin=admin)
    _current.set(exchange)
    return exchange
