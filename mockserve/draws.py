"""Seeded random draws: every random value a mock gives comes from one `RandomSource`.

Templates (`uuid()`, `randint`, `choice`, `fake`), `random` order, delay ranges and fault
rates all draw from it. With a seed, each request of a route draws from its own source
keyed on (seed, route, n), n counted per route by a `Counter` (in memory, or in a store
that several processes share), so a seeded run answers the same from server start
whichever process serves each request. The stores hold the counter; nothing here knows
about templates.
"""

from __future__ import annotations

import datetime as _dt
import os
import random
import threading
import uuid as _uuid
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


# Faker's own controls: a template may ask for fake values, never reseed or rewire the
# generator every other request shares.
_FAKER_CONTROLS = frozenset(
    {
        "seed",
        "seed_instance",
        "seed_locale",
        "random",
        "add_provider",
        "set_arguments",
        "del_arguments",
        "set_formatter",
        "generator",
        "factories",
        "providers",
        "get_providers",
        "provider",
        "weights",
    }
)


class _LazyFaker:
    """Faker is slow to build; build it on first use, seeded like everything else."""

    def __init__(self, seed: int | None, source: RandomSource | None = None):
        self._seed = seed
        self._source = source
        self._faker: Any = None
        self._lock = threading.Lock()

    def _restart(self) -> None:
        """Start the seeded sequence of fake values again (on reset)."""
        with self._lock:
            if self._faker is not None and self._seed is not None:
                self._faker.seed_instance(self._seed)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in _FAKER_CONTROLS:
            raise AttributeError(name)
        if self._faker is None:
            with self._lock:
                if self._faker is None:
                    from faker import Faker

                    faker = Faker()
                    if self._seed is not None:
                        faker.seed_instance(self._seed)
                    self._faker = faker
        value = getattr(self._faker, name)
        draws = _draws.get()
        if draws is None or draws.source is not self._source or not callable(value):
            return value
        faker, source = self._faker, draws

        def from_this_request(*args: Any, **kwargs: Any) -> Any:
            # One Faker serves every request: each call draws from its own request's source.
            with self._lock:
                faker.random = source
                return value(*args, **kwargs)

        return from_this_request


class Counter(Protocol):
    """Counts per key (0, 1, 2, ...): in memory, or in a store all instances share."""

    def next(self, key: str) -> int: ...

    def reset(self) -> None: ...


class Counts:
    """Counts per key in this process's memory (a route's draws, a route's position)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def next(self, key: str) -> int:
        with self._lock:
            count = self._counts.get(key, 0)
            self._counts[key] = count + 1
            return count

    def reset(self) -> None:
        with self._lock:
            self._counts = {}


class _Draws(random.Random):
    """One request's random source, seeded from (seed, route, n): n counts the route's draws.

    Counted and seeded on its first draw, so a request that draws nothing counts nothing
    (no store round trip). Keyed this way, a seeded run answers the same whichever
    process or instance serves each request.
    """

    def __new__(cls, source: RandomSource, key: str) -> _Draws:
        return super().__new__(cls)  # before 3.11, Random.__new__ takes one argument at most

    def __init__(self, source: RandomSource, key: str):
        super().__init__(0)
        self.source = source
        self.key = key
        self.count: int | None = None

    def _start(self) -> None:
        if self.count is None:
            self.count = self.source.counter.next(self.key)
            super().seed(self._seed())

    def _seed(self) -> str:
        return f"{self.source.seed}/{self.key}/{self.count}"

    def random(self) -> float:
        self._start()
        return super().random()

    def getrandbits(self, k: int) -> int:
        self._start()
        return super().getrandbits(k)

    def mark(self) -> Any:
        return None if self.count is None else self.getstate()

    def rewind(self, mark: Any) -> None:
        if self.count is None:
            return
        if mark is None:
            super().seed(self._seed())
        else:
            self.setstate(mark)


# The draws of the request this thread answers (set by the pipeline for each route).
_draws: ContextVar[_Draws | None] = ContextVar("mockserve_draws", default=None)


class RandomSource:
    """The helper functions templates call, and the random source of every draw.

    Without a seed, one stream serves all. With a seed, each request of a route draws
    from its own source keyed on (seed, route, n), n from `counter`: repeatable from
    server start, whichever process serves each request.
    """

    def __init__(self, seed: int | None = None, counter: Counter | None = None):
        self.seed = seed
        self.counter = counter if counter is not None else Counts()
        self.shared = random.Random(seed)
        self.fake = _LazyFaker(seed, self)
        if seed is None:
            _UNSEEDED.add(self)

    @property
    def random(self) -> random.Random:
        """This request's source when its draws are keyed, else the shared one."""
        draws = _draws.get()
        if draws is not None and draws.source is self:
            return draws
        return self.shared

    def draw_for(self, route: str | None) -> None:
        """Key this request's draws on `route` (None: an unrouted request, the shared stream)."""
        _draws.set(_Draws(self, route) if route is not None and self.seed is not None else None)

    def repeatable(self, change: Callable[[T], R]) -> Callable[[T], R]:
        """`change` drawing the same values each time it runs (a store may retry it)."""
        draws = _draws.get()
        if draws is None or draws.source is not self:
            return change
        mark = draws.mark()

        def again(value: T) -> R:
            draws.rewind(mark)
            return change(value)

        return again

    def reset(self) -> None:
        """Back to server start: the same seed gives the same values again."""
        self.shared.seed(self.seed)
        self.counter.reset()
        self.fake._restart()

    def uuid(self) -> str:
        return str(_uuid.UUID(int=self.random.getrandbits(128), version=4))

    def now(self, format: str | None = None) -> str:  # noqa: A002 - the name users write
        moment = _dt.datetime.now(_dt.timezone.utc)
        if format:
            return moment.strftime(format)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def randint(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def choice(self, options: Any) -> Any:
        return self.random.choice(list(options))


# Forked workers must not repeat each other's unseeded values (uuid(), random order).
_UNSEEDED: weakref.WeakSet[RandomSource] = weakref.WeakSet()


def _reseed_unseeded() -> None:
    for source in list(_UNSEEDED):
        source.shared.seed()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed_unseeded)
