"""The default stores: in this process's memory, each change under a lock."""

from __future__ import annotations

import copy
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..draws import Counts, RandomSource
from ..journal import Entry, Violation, stamped
from ..spec.model import Spec
from .base import Items, Stores
from .messages import MemoryMessages

T = TypeVar("T")


class MemoryState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}

    def snapshot(self) -> Mapping[str, Any]:
        return self._values

    def change(self, change: Callable[[Mapping[str, Any]], tuple[dict[str, Any], T]]) -> T:
        with self._lock:
            updates, result = change(self._values)
            if updates:
                # A new dict: readers holding the old one keep a consistent snapshot.
                self._values = {**self._values, **updates}
            return result

    def reset(self) -> None:
        with self._lock:
            self._values = {}


class MemoryResources:
    """Each change replaces a resource's list, so a reader never sees one half-changed."""

    def __init__(self, seeds: dict[str, tuple[Any, ...]]):
        self._lock = threading.Lock()
        self._seeds = seeds
        self._items: dict[str, Items] = {}
        self.reset()

    def items(self, name: str) -> Items:
        return self._items[name]

    def snapshot(self) -> Mapping[str, Items]:
        return self._items

    def change(self, name: str, change: Callable[[Items], tuple[Items | None, T]]) -> T:
        with self._lock:
            items, result = change(self._items[name])
            if items is not None:
                self._items = {**self._items, name: items}
            return result

    def reset(self) -> None:
        with self._lock:
            self._items = {name: copy.deepcopy(list(data)) for name, data in self._seeds.items()}


class MemoryJournal:
    """A ring buffer of entries whose ids only ever count up, plus every violation."""

    def __init__(self, size: int = 1000):
        self._entries: deque[Entry] = deque(maxlen=size if size > 0 else 0)
        self._lock = threading.Lock()
        self._next_id = 1
        self._violations: list[Violation] = []
        self.requests_seen = 0

    def record(self, violation: Violation | None = None, **fields: Any) -> Entry:
        fields = stamped(fields)
        with self._lock:
            entry = Entry(id=self._next_id, **fields)
            self._next_id += 1
            self.requests_seen += 1
            self._entries.append(entry)
            if violation is not None:
                self._violations.append(violation)
        return entry

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def violations(self) -> list[Violation]:
        with self._lock:
            return list(self._violations)

    def violated(self, violation: Violation) -> None:
        with self._lock:
            self._violations.append(violation)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def memory_stores(spec: Spec) -> Stores:
    """The stores of a mock kept in this process, as the spec starts them."""
    return Stores(
        state=MemoryState(),
        positions=Counts(),  # a sequence position is a per-route count
        resources=MemoryResources({r.name: r.data for r in spec.resources}),
        journal=MemoryJournal(spec.settings.journal),
        random=RandomSource(spec.settings.seed),
        messages=MemoryMessages(spec.settings.journal),
    )
