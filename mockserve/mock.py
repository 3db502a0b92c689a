"""The running mock: a spec, the stores it answers from, its pipeline, and who to tell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    # What else a reset starts over (pending callbacks), and what to finish when it stops.
    reset_hooks: list[Callable[[], None]] = field(default_factory=list)
    close_hooks: list[Callable[[], None]] = field(default_factory=list)
    callbacks: Any = None  # the callbacks.Callbacks that sends this mock's callbacks
    ca_path: Path | None = None  # the local CA that issued the certificate served, if any
    # Answers the spec's WebSocket paths: an object with `async handle(scope, receive, send)`
    # for an ASGI `websocket` scope; None when the spec has no `websockets`. A backend that
    # carries the upgrade hands every websocket scope to it.
    websockets: Any = None

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
        for hook in list(self.reset_hooks):
            hook()

    def close(self) -> None:
        """The server has stopped: finish what is still under way (bounded)."""
        for hook in list(self.close_hooks):
            hook()
