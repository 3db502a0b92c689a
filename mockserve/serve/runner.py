"""One runner for every way of serving: `mockserve run`, `MockServer` and the pytest plugin.

It owns the lifecycle (pytest-httpserver's server base is the model): start in the
foreground or in a thread, wait until the server answers, stop from any thread (a signal,
`POST /__mockserve/shutdown`, `--exit-after`, a test's teardown), swap the app when the
spec is reloaded, and drain what was already answered before returning.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..mock import Mock
from .backend import Backend
from .choice import choose
from .uvicorn import DRAIN_SECONDS

BackendFactory = Callable[..., Backend]
START_SECONDS = 10  # how long start() waits for the server to answer


@dataclass(frozen=True)
class Listen:
    """One more port the same app is served on, by its own backend (`--https-port`)."""

    port: int
    backend: BackendFactory


class CannotListen(OSError):
    """A port that cannot be bound, named (`run` may bind two: --port and --https-port)."""

    def __init__(self, host: str, port: int, exc: OSError):
        reason = exc.strerror or str(exc)
        found = re.search(r"\[Errno -?\d+\] ([^)]+)", reason)
        self.reason = found.group(1).strip() if found else reason
        super().__init__(exc.errno, f"cannot listen on {host}:{port}: {self.reason}")
        self.host, self.port = host, port

    def __str__(self) -> str:
        return f"cannot listen on {self.host}:{self.port}: {self.reason}"


class Runner:
    """Serves a mockserve app on a backend bound to host:port (0 picks a free port)."""

    def __init__(
        self,
        app: Flask,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        backend: BackendFactory | None = None,
        sock: socket.socket | None = None,
        also: Sequence[Listen] = (),
    ):
        """Bind now, so a port in use fails here (OSError) and `url` is known at once.

        `backend` serves host:port (or `sock`), by default the one `choice.choose` picks
        for the app; each of `also` serves another port of the same host, e.g. HTTPS
        beside plain HTTP. All start and stop together.
        """
        self.app = app
        mock = self.mock
        if backend is None:
            backend = choose(app).factory
        options: dict[str, Any] = {"max_body": mock.spec.settings.max_body}
        try:
            self.backend = backend(app, host, port, **options, **({"sock": sock} if sock else {}))
        except OSError as exc:
            raise CannotListen(host, port, exc) from exc
        self.backends: list[Backend] = [self.backend]
        try:
            for more in also:
                try:
                    self.backends.append(more.backend(app, host, more.port, **options))
                except OSError as exc:
                    raise CannotListen(host, more.port, exc) from exc
        except BaseException:
            for bound in self.backends:
                bound.stop()
            raise
        self._serving = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop_callbacks: list[Callable[[], None]] = []
        mock.shutdown_hooks.append(self.stop_soon)

    @property
    def mock(self) -> Mock:
        mock: Mock = self.app.extensions["mockserve"]
        return mock

    @property
    def url(self) -> str:
        return self.backend.url

    @property
    def urls(self) -> list[str]:
        """Every URL served: the main one first."""
        return [backend.url for backend in self.backends]

    @property
    def running(self) -> bool:
        return self._serving.is_set() and not self._stopped.is_set()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the server has stopped (however it was asked to)."""
        self._stop_callbacks.append(callback)

    def serve(self) -> None:
        """Serve in this thread until stopped, then drain and return."""
        others = [
            threading.Thread(target=self._serve_other, args=(b,), name=f"mockserve:{b.port}")
            for b in self.backends[1:]
        ]
        for thread in others:
            thread.start()
        self._serving.set()
        try:
            self.backend.serve()
        finally:
            self.stop_soon()
            for thread in others:
                thread.join(timeout=DRAIN_SECONDS + 5)
            self.mock.close()  # e.g. callbacks still to send, waited for (bounded)
            self._stopped.set()
            for callback in self._stop_callbacks:
                callback()

    def start(self) -> Runner:
        """Serve from a daemon thread; return once the server answers."""
        self._thread = threading.Thread(
            target=self.serve, name=f"mockserve:{self.backend.port}", daemon=True
        )
        self._thread.start()
        if not self._serving.wait(START_SECONDS):
            raise RuntimeError(f"the server on {self.url} did not start in {START_SECONDS} s")
        return self

    def _serve_other(self, backend: Backend) -> None:
        try:
            backend.serve()
        finally:
            self.stop_soon()  # one listener down takes the others with it

    def stop_soon(self) -> None:
        """Ask the server to stop and return at once (signal handlers, the admin API)."""
        for backend in self.backends:
            backend.stop()

    def stop(self) -> None:
        """Stop and wait until every answer already written was sent; safe to repeat."""
        self.stop_soon()
        if self._thread is not None and threading.current_thread() is not self._thread:
            # Answers under way, then callbacks still to send (each bounded).
            self._thread.join(timeout=DRAIN_SECONDS * 2 + 5)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the server has stopped; True when it has."""
        return self._stopped.wait(timeout)

    def swap(self, app: Flask) -> None:
        """Serve a new app (a reloaded spec) from the next request on."""
        app.extensions["mockserve"].shutdown_hooks.append(self.stop_soon)
        self.app = app
        for backend in self.backends:
            backend.swap(app)
