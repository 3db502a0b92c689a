"""The one thread-safe store behind everything that changes while serving.

`state` values, each route's position in its response list, and resource items all
live here, behind one lock, so concurrent requests never lose an update, and a reset
returns all of it to the spec's start at once.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from .spec.model import Spec


class Store:
    """State, sequence positions and resources, as the spec starts them."""

    def __init__(self, spec: Spec):
        self._spec = spec
        self.lock = threading.RLock()
        self.state: dict[str, Any] = {}
        self.positions: dict[str, int] = {}
        self.resources: dict[str, list[dict[str, Any]]] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the spec's start: no state, every sequence at its first response."""
        with self.lock:
            self.state = {}
            self.positions = {}
            self.resources = {
                resource.name: copy.deepcopy(list(resource.data))
                for resource in self._spec.resources
            }

    def update_state(self, values: dict[str, Any]) -> None:
        with self.lock:
            # Replace the dict so readers holding the old one see a consistent snapshot.
            self.state = {**self.state, **values}

    def next_position(self, route_name: str) -> int:
        """This request's position in the route's list (0, 1, 2, ...), counted atomically."""
        with self.lock:
            position = self.positions.get(route_name, 0)
            self.positions[route_name] = position + 1
            return position
