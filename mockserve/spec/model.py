"""The loaded spec: frozen data with everything compiled, read by the app, never mutated."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jsonschema.protocols import Validator

from ..contract import BodyContract, ParameterContract
from ..errors import SpecWarning
from ..templating import Expression, Value

if TYPE_CHECKING:  # endpoints.py builds on the parts here
    from .endpoints import GraphQLEndpoint, WebSocket
from .selection import Pick, Selection, selection


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
class TlsFiles:
    """`settings.tls`: the user's certificate and key (PEM files inside the spec's folder)."""

    cert: str
    key: str


DEFAULT_MAX_BODY = 10 * 1024 * 1024  # bytes of a request body; larger ones get a 413
DEFAULT_PROXY_TIMEOUT = 30_000.0  # ms the upstream may take before the answer is a 504


@dataclass(frozen=True)
class Proxy:
    """Where and when requests are forwarded to the real backend (`settings.proxy`)."""

    to: str | None = None  # the upstream's base URL; None until `run --proxy-to` gives it
    when: str = "unmatched"  # unmatched | always
    strip_prefix: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    remove_headers: tuple[str, ...] = ()
    timeout: float = DEFAULT_PROXY_TIMEOUT
    ca: str | None = None  # a CA bundle (PEM) to trust for an HTTPS upstream


@dataclass(frozen=True)
class Settings:
    cors: Cors | None = None
    delay: Delay | None = None
    seed: int | None = None
    journal: int = 1000
    admin: str | None = "/__mockserve"
    max_body: int = DEFAULT_MAX_BODY
    tls: TlsFiles | None = None
    store: str | None = None  # a shared store's URL (redis://HOST:PORT/DB); None: memory
    namespace: str | None = None  # its keys' prefix, mockserve:{namespace}: (default: title)
    proxy: Proxy | None = None


@dataclass(frozen=True)
class Body:
    """A response body: its kind, its template (or bytes fixed at load) and content type."""

    kind: str  # json | text | html | body | file | none
    content_type: str | None
    template: Value | None = None
    static: bytes | None = None  # the whole body, when nothing in it is templated


FOREVER = -1  # `repeat: forever`


@dataclass(frozen=True)
class Event:
    """One server-sent event of a `stream`, compiled: each field a template (None: absent)."""

    event: Value | None = None
    data: Value | None = None
    id: Value | None = None
    retry: Value | None = None
    comment: Value | None = None
    delay: Delay | None = None  # before the event is sent
    delay_value: Value | None = None  # a templated delay, rendered to milliseconds
    where: str = ""


@dataclass(frozen=True)
class EventStream:
    """`response.stream`: the events, sent in order, then `repeat` more times (FOREVER)."""

    events: tuple[Event, ...]
    repeat: int = 0


@dataclass(frozen=True)
class Pacing:
    """A body sent slowly: `chunks: {size, delay}`, or `bytes_per_second`."""

    size: int
    delay: Delay | None = None  # between two chunks


@dataclass(frozen=True)
class ToolCall:
    """One tool call an `llm` answer makes: its name and (templated) arguments."""

    name: Value
    arguments: Value
    id: Value | None = None


@dataclass(frozen=True)
class LlmAnswer:
    """`response.llm`: an answer in the wire format of an LLM provider's API."""

    api: str  # openai-chat | openai-responses | anthropic-messages
    text: Value | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    model: str = "mock-model"  # when the request names none
    delay: Delay | None = None  # between two streamed deltas
    error: str | None = None  # a fault's `llm_error`: the provider's own error answer
    where: str = ""


@dataclass(frozen=True)
class ResponseTemplate:
    """One way a route can answer, compiled."""

    status: int
    body: Body
    headers: tuple[tuple[str, Value], ...] = ()
    redirect: Value | None = None
    delay: Delay | None = None
    state: tuple[tuple[str, Value], ...] = ()
    when: Expression | Pick | None = None
    weight: float = 1.0
    where: str = ""  # e.g. routes[3].responses[1], for messages
    status_value: Value | None = None  # a templated status; rendered instead of `status`
    proxy: bool = False  # answered by forwarding to the upstream (`response: {proxy: true}`)
    schema: Any = None  # the body's JSON Schema as written, for `mockserve verify`
    verify: str = "shape"  # shape | exact: what `mockserve verify` compares
    stream: EventStream | None = None  # server-sent events (the body is empty)
    llm: LlmAnswer | None = None  # an LLM provider's answer (the body is empty)
    pacing: Pacing | None = None  # the body sent slowly

    @property
    def over_time(self) -> bool:
        """True when the body is sent part by part (events, deltas, chunks)."""
        return self.stream is not None or self.llm is not None or self.pacing is not None

    @property
    def is_static(self) -> bool:
        """True when the response needs no rendering at all."""
        return (
            not self.proxy
            and self.stream is None
            and self.llm is None
            and self.body.static is not None
            and self.status_value is None
            and self.redirect is None
            and not self.state
            and all(value.constant for _, value in self.headers)
        )


@dataclass(frozen=True)
class Fault:
    """A failure injected with probability `rate`: a response, or a broken connection."""

    rate: float
    kind: str | None  # disconnect | empty | malformed | stall | None (a response)
    response: ResponseTemplate | None = None
    after: int | None = None  # inside a stream: fires after this many events
    duration: float = 0.0  # ms a `stall` keeps the connection open


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
class Callback:
    """A request the mock sends after a route's answer (or a webhook fired through the admin
    API), compiled: its templates see the request, `response`, `state` and the helpers."""

    name: str
    url: Value | None  # None for a webhook: the URL comes with the admin request
    method: str = "POST"
    when: Expression | None = None
    body: Body | None = None  # json or text, rendered when the answer is sent
    headers: tuple[tuple[str, Value], ...] = ()
    delay: Delay | None = None  # after the answer, or after the previous callback
    attempts: int = 1  # tries in all, on a 5xx or a connection error
    backoff: float = 0.0  # ms before the first retry, doubling at each one
    timeout: float = 10000.0  # ms for each attempt
    where: str = ""


@dataclass(frozen=True)
class Example:
    """A request `mockserve verify` sends to the spec and to the real backend."""

    name: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False  # a JSON `null` body is a body too


@dataclass(frozen=True)
class RouteParts:
    """What a route checks and answers with, compiled: its contract, responses and faults,
    its own error answers and its callbacks (an OpenAPI operation's come with its conversion)."""

    contract: Contract
    responses: tuple[ResponseTemplate, ...]
    faults: tuple[Fault, ...] = ()
    # the route's own answers to the server's errors (an OpenAPI operation's error
    # example), tried in order before the spec's `errors`
    errors: dict[int, tuple[ResponseTemplate, ...]] = field(default_factory=dict)
    callbacks: tuple[Callback, ...] = ()
    # True when some answer looks at the request (a template or a `when`): read on every
    # request, so worked out once
    renders: bool = field(init=False, default=False)
    # Answers picked by one value (many `when`s `KEY == "literal"`): looked up, not tried
    selection: Selection | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        templates = [*self.responses, *(f.response for f in self.faults if f.response)]
        renders = any(t.when is not None or not t.is_static for t in templates)
        object.__setattr__(self, "renders", renders)
        object.__setattr__(self, "selection", selection([t.when for t in self.responses]))


def route_methods(raw: dict[str, Any]) -> tuple[str, ...]:
    """A route entry's methods, upper case (`method` is one or a list; GET when absent)."""
    given = raw.get("method", "GET")
    return tuple(
        m.upper() for m in (given if isinstance(given, list) else [given]) if isinstance(m, str)
    )


def route_name(raw: dict[str, Any]) -> str:
    """A route entry's name: its `name`, else its methods and path (`GET,HEAD /users`)."""
    return raw.get("name") or f"{','.join(route_methods(raw))} {raw.get('path')}"


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
    examples: tuple[Example, ...] = ()  # for `mockserve verify`; never from a lazy document
    _lock: threading.Lock | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.parts, RouteParts):
            object.__setattr__(self, "_lock", threading.Lock())

    @property
    def compiled(self) -> RouteParts:
        """The route's compiled parts, compiling them on first use (once, whatever the threads)."""
        parts = self.parts
        if isinstance(parts, RouteParts):
            return parts
        assert self._lock is not None
        with self._lock:
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
        return self.compiled.renders

    @property
    def errors(self) -> dict[int, tuple[ResponseTemplate, ...]]:
        return self.compiled.errors

    @property
    def callbacks(self) -> tuple[Callback, ...]:
        return self.compiled.callbacks

    @property
    def may_call_back(self) -> bool:
        """False when the route surely has no callbacks; True for one not compiled yet."""
        return not self.is_compiled or bool(self.callbacks)


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
    # What it declares but mockserve does not do (text), and located SpecWarnings
    warnings: tuple[str | SpecWarning, ...] = ()
    files: tuple[str, ...] = ()  # the files it was loaded from: spec, includes, fixtures
    webhooks: dict[str, Callback] = field(default_factory=dict)  # fired by name, admin API
    schemas: dict[str, Any] = field(default_factory=dict)  # `schemas` as written (verify)
    # Routes whose answer is a refusal the document implies, not one it declares (a
    # served OpenAPI document's 405s for a concrete path's missing methods): a violation.
    uncovered: frozenset[str] = frozenset()
    websockets: tuple[WebSocket, ...] = ()  # on the same port as the routes (`websockets`)
    graphql: tuple[GraphQLEndpoint, ...] = ()  # GraphQL endpoints, each a Blueprint
    # A served pact (pact.routes.ServedPact): its interactions answer what the Pact
    # matcher finds them for, in place of URL routes.
    pact: Any = None

    @property
    def stateful(self) -> bool:
        """True when answers depend on earlier requests."""
        return (
            bool(self.resources)
            or any(
                route.order in ("sequence", "cycle") or route.keeps_state for route in self.routes
            )
            or any(g.state or any(o.state for o in g.operations) for g in self.graphql)
        )
