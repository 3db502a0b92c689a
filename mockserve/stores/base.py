"""The store protocols: state, sequence positions, resources and the journal.

Every change is one atomic step through a function the store calls with the current
value (`change`), so a store can run it under a lock (memory) or a transaction (a
shared store) and no concurrent request ever loses an update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ..draws import RandomSource
from ..journal import Entry, Violation
from .messages import MemoryMessages, MessageStore

T = TypeVar("T")
Items = list[dict[str, Any]]


class StateStore(Protocol):
    """`state` in templates: one key/value map shared by all routes."""

    def snapshot(self) -> Mapping[str, Any]:
        """The current values; never changed in place, so a reader sees one moment."""
        ...

    def change(self, change: Callable[[Mapping[str, Any]], tuple[dict[str, Any], T]]) -> T:
        """Run `change` on the current values and store the updates it returns, atomically."""
        ...

    def reset(self) -> None: ...


class PositionStore(Protocol):
    """Where each `sequence`/`cycle` route is in its list of responses."""

    def next(self, route: str) -> int:
        """This request's position (0, 1, 2, ...) for `route`, counted once per request."""
        ...

    def reset(self) -> None: ...


class ResourceStore(Protocol):
    """The items of each resource, in insertion order."""

    def items(self, name: str) -> Items: ...

    def snapshot(self) -> Mapping[str, Items]:
        """Every resource's items, for templates (`resources.pets`)."""
        ...

    def change(self, name: str, change: Callable[[Items], tuple[Items | None, T]]) -> T:
        """Run `change` on the items; store the list it returns (None: no change), atomically."""
        ...

    def reset(self) -> None: ...


class JournalStore(Protocol):
    """The requests answered (a bounded window) and every violation of the run."""

    requests_seen: int

    def record(self, violation: Violation | None = None, **fields: Any) -> Entry:
        """Add an entry (its id and time are given here); the oldest drops out when full."""
        ...

    def entries(self) -> list[Entry]: ...

    def violations(self) -> list[Violation]: ...

    def violated(self, violation: Violation) -> None:
        """Count a violation that is no request (a WebSocket message nothing answered)."""
        ...

    def clear(self) -> None:
        """Forget the entries; ids keep counting up and violations stay (the run's verdict)."""
        ...


@dataclass(frozen=True)
class Stores:
    """The stores one running mock answers from, and its random source."""

    state: StateStore
    positions: PositionStore
    resources: ResourceStore
    journal: JournalStore
    random: RandomSource
    # True when every process and instance serving the spec shares these stores (--store):
    # then the journal, a reset and the state are the same whichever of them answers.
    shared: bool = False
    # The messages of WebSocket sockets (`websockets`), in both directions.
    messages: MessageStore = field(default_factory=MemoryMessages)

    def reset(self) -> None:
        """Back to the start: journal, state, positions, resources and the random source."""
        self.journal.clear()
        self.messages.clear()
        self.state.reset()
        self.positions.reset()
        self.resources.reset()
        self.random.reset()
