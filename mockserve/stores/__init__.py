"""Everything that changes while serving, behind small interfaces.

`base` says what a store must do; `memory` is the default, in one process. A store kept
elsewhere (e.g. Redis, for many processes) implements the same protocols, and nothing
that answers requests needs to change.
"""

from __future__ import annotations

from ..spec.model import Spec
from .base import JournalStore, PositionStore, ResourceStore, StateStore, Stores
from .memory import memory_stores

SCHEMES = ("redis://", "rediss://", "unix://")

__all__ = [
    "SCHEMES",
    "JournalStore",
    "PositionStore",
    "ResourceStore",
    "StateStore",
    "Stores",
    "memory_stores",
    "open_stores",
]


def open_stores(spec: Spec, url: str | None = None) -> Stores:
    """The stores `url` names (default `settings.store`): Redis, or this process's memory.

    Raises StoreUnavailable when the store does not answer, ValueError for another scheme.
    """
    url = url or spec.settings.store
    if not url:
        return memory_stores(spec)
    if not url.startswith(SCHEMES):
        raise ValueError(
            f"the store {url!r} is not a Redis URL (redis://HOST:PORT/DB, rediss://..., "
            "unix:///PATH)"
        )
    from .redis import redis_stores

    return redis_stores(spec, url)
