"""The loaded spec: frozen data with everything compiled, read by the app, never mutated."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema.protocols import Validator

from ..contract import BodyContract, ParameterContract
from ..templating import Expression, Value


@dataclass(frozen=True)
class Delay:
    """Latency in milliseconds, drawn uniformly between `low` and `high`."""

    low: float
    high: float


@dataclass(frozen=True)
class Cors:
    origins: tuple[str, ...] | None  # None: any origin
    credentials: bool = False


@dataclass(frozen=True)
class Settings:
    cors: Cors | None = None
    delay: Delay | None = None
    seed: int | None = None
    journal: int = 1000
    admin: str | None = "/__mockserve"


@dataclass(frozen=True)
class Body:
    """A response body: its kind, its template (or bytes fixed at load) and content type."""

    kind: str  # json | text | html | body | file | none
    content_type: str | None
    template: Value | None = None
    static: bytes | None = None  # the whole body, when nothing in it is templated


@dataclass(frozen=True)
class ResponseTemplate:
    """One way a route can answer, compiled."""

    status: int
    body: Body
    headers: tuple[tuple[str, Value], ...] = ()
    redirect: Value | None = None
    delay: Delay | None = None
    state: tuple[tuple[str, Value], ...] = ()
    when: Expression | None = None
    weight: float = 1.0
    where: str = ""  # e.g. routes[3].responses[1], for messages
    status_value: Value | None = None  # a templated status; rendered instead of `status`

    @property
    def is_static(self) -> bool:
        """True when the response needs no rendering at all."""
        return (
            self.body.static is not None
            and self.status_value is None
            and self.redirect is None
            and not self.state
            and all(value.constant for _, value in self.headers)
        )


@dataclass(frozen=True)
class Fault:
    """A failure injected with probability `rate`: a response, or a broken connection."""

    rate: float
    kind: str | None  # disconnect | empty | malformed | None (a response)
    response: ResponseTemplate | None = None


@dataclass(frozen=True)
class Contract:
    query: ParameterContract | None = None
    headers: ParameterContract | None = None
    path: ParameterContract | None = None
    body: BodyContract | None = None

    @property
    def empty(self) -> bool:
        return not (self.query or self.headers or self.path or self.body)


@dataclass(frozen=True)
class RouteParts:
    """What a route checks and answers with: its contract, responses and faults, compiled."""

    contract: Contract
    responses: tuple[ResponseTemplate, ...]
    faults: tuple[Fault, ...] = ()

    def __post_init__(self) -> None:
        templates = [*self.responses, *(f.response for f in self.faults if f.response)]
        renders = any(t.when is not None or not t.is_static for t in templates)
        object.__setattr__(self, "renders", renders)  # read on every request: worked out once


@dataclass(frozen=True)
class Route:
    """A method+path and how it answers; exactly one Flask view.

    `parts` is compiled at load, or (for a served OpenAPI document) a function that
    compiles it: then the first request compiles it, once, and every later one reads it.
    """

    name: str
    methods: tuple[str, ...]
    path: str
    rule: str  # as Werkzeug reads it
    parts: RouteParts | Callable[[], RouteParts] = field(repr=False, compare=False)
    order: str = "first-match"
    where: str = ""
    keeps_state: bool = False  # a response sets `state`: known without compiling

    def __post_init__(self) -> None:
        if not isinstance(self.parts, RouteParts):
            object.__setattr__(self, "_lock", threading.Lock())

    @property
    def compiled(self) -> RouteParts:
        """The route's compiled parts, compiling them on first use (once, whatever the threads)."""
        parts = self.parts
        if isinstance(parts, RouteParts):
            return parts
        with self._lock:  # type: ignore[attr-defined]
            parts = self.parts  # another thread may have compiled it meanwhile
            if not isinstance(parts, RouteParts):
                parts = parts()
                object.__setattr__(self, "parts", parts)
        return parts

    @property
    def is_compiled(self) -> bool:
        return isinstance(self.parts, RouteParts)

    @property
    def contract(self) -> Contract:
        return self.compiled.contract

    @property
    def responses(self) -> tuple[ResponseTemplate, ...]:
        return self.compiled.responses

    @property
    def faults(self) -> tuple[Fault, ...]:
        return self.compiled.faults

    @property
    def renders(self) -> bool:
        """True when some answer looks at the request (a template or a `when`)."""
        return self.compiled.renders  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Resource:
    """A stateful collection with CRUD routes."""

    name: str
    path: str
    key: str
    validator: Validator | None
    data: tuple[Any, ...] = ()  # seed items, as loaded


@dataclass(frozen=True)
class Spec:
    """A spec ready to serve."""

    source: str
    title: str
    settings: Settings
    routes: tuple[Route, ...]
    resources: tuple[Resource, ...] = ()
    errors: dict[int, ResponseTemplate] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # the files it was loaded from: spec, includes, fixtures

    @property
    def stateful(self) -> bool:
        """True when answers depend on earlier requests."""
        return bool(self.resources) or any(
            route.order in ("sequence", "cycle") or route.keeps_state for route in self.routes
        )
