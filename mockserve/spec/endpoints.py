"""The model of endpoints that are not routes: WebSocket paths and GraphQL endpoints.

Frozen dataclasses, built by the loader (`spec/websockets.py`, `spec/graphql.py`) from the
parts every answer shares (`model.py`: delays, faults, compiled values) and read by
`websocket/` and `graphql/` at request time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..templating import Expression, Value
from .model import Delay, Fault
from .selection import Pick


@dataclass(frozen=True)
class SocketClose:
    """Close the socket with a close code and a reason (templated)."""

    code: int = 1000
    reason: Value | None = None


@dataclass(frozen=True)
class SocketEvery:
    """`send_every`: `message` each `interval` ms, `count` times (None: until closed)."""

    interval: float
    message: Value
    count: int | None = None


@dataclass(frozen=True)
class SocketStep:
    """What a socket does on connect or for a message: wait, send, start a timer, close.

    In that order; any of them may be absent (an `on_message` entry with only `when`
    takes the message and answers nothing).
    """

    delay: Delay | None = None
    send: Value | None = None
    every: SocketEvery | None = None
    close: SocketClose | None = None
    when: Expression | Pick | None = None  # on_message only: the first whose `when` holds
    where: str = ""  # e.g. websockets[0].on_message[1], for messages


@dataclass(frozen=True)
class SocketFault:
    """Instead of the answer to a message, with probability `rate`: a close or a drop."""

    rate: float
    close: SocketClose | None = None  # None: `disconnect` (no close frame at all)


@dataclass(frozen=True)
class WebSocket:
    """A WebSocket path and its script, compiled: what it sends on connect and per message."""

    path: str
    rule: str  # as Werkzeug reads it (path parameters as for routes)
    subprotocols: tuple[str, ...] = ()
    on_connect: tuple[SocketStep, ...] = ()
    on_message: tuple[SocketStep, ...] = ()
    faults: tuple[SocketFault, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class GraphQLMocks:
    """`mocks` of a GraphQL endpoint, compiled: values per type, per type's field, per field.

    `types` holds a scalar's or enum's own value; `fields` the values of an object's (or
    interface's) fields, by (type, field), from `Type: {field: ...}` and `Type.field` alike.
    """

    types: dict[str, Value] = field(default_factory=dict)
    fields: dict[tuple[str, str], Value] = field(default_factory=dict)


@dataclass(frozen=True)
class GraphQLOperation:
    """One `operations` entry: the whole answer of the operations its `when` holds for."""

    when: Expression | Pick | None = None
    data: Value | None = None  # None: generated (or no data when `errors` alone are given)
    has_data: bool = False  # `data` was written (`data: null` too)
    errors: Value | None = None
    faults: tuple[Fault, ...] = ()
    delay: Delay | None = None
    state: tuple[tuple[str, Value], ...] = ()
    where: str = ""


@dataclass(frozen=True)
class GraphQLEndpoint:
    """A `graphql` entry: where it answers, its schema (graphql-core's, built at load) and
    how answers are made."""

    name: str
    path: str
    schema: Any = field(repr=False, compare=False)  # graphql.GraphQLSchema
    list_length: tuple[int, int] = (1, 3)
    mocks: GraphQLMocks = field(default_factory=GraphQLMocks)
    operations: tuple[GraphQLOperation, ...] = ()
    faults: tuple[Fault, ...] = ()
    delay: Delay | None = None
    state: tuple[tuple[str, Value], ...] = ()
    where: str = ""
