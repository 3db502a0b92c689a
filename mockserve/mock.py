"""The running mock: a spec, the stores it answers from, its pipeline, and who to tell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .pipeline import Listener, Pipeline
from .spec.model import Spec
from .stores import Stores


@dataclass(frozen=True)
class AdminAccess:
    """Who may use the admin API: loopback clients only, unless a token or `open` says more."""

    token: str | None = None
    open: bool = False


@dataclass
class Mock:
    """What `create_app` builds around a spec; the app keeps it in `extensions["mockserve"]`."""

    spec: Spec
    stores: Stores
    pipeline: Pipeline
    access: AdminAccess = AdminAccess()
    # Processes serving the same port with stores of their own (`run --workers N`).
    workers: int = 1
    shutdown_hooks: list[Callable[[], None]] = field(default_factory=list)

    def listen(self, listener: Listener) -> None:
        """Call `listener(exchange, entry)` for each finished request (admin ones aside)."""
        self.pipeline.listeners.append(listener)

    def request_shutdown(self) -> None:
        """Ask whoever serves this app to stop (as on SIGTERM)."""
        for hook in list(self.shutdown_hooks):
            hook()

    def reset(self) -> None:
        """Back to the start: journal, state, positions, resources and the random source."""
        self.stores.reset()
