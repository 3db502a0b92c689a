"""Everything that changes while serving, behind small interfaces.

`base` says what a store must do; `memory` is the default, in one process. A store kept
elsewhere (e.g. Redis, for many processes) implements the same protocols, and nothing
that answers requests needs to change.
"""

from .base import JournalStore, PositionStore, ResourceStore, StateStore, Stores
from .memory import memory_stores

__all__ = [
    "JournalStore",
    "PositionStore",
    "ResourceStore",
    "StateStore",
    "Stores",
    "memory_stores",
]
