"""The mocks an MCP session uses: ones it started (on free ports), or one already running.

A mock this process starts is the server `mockserve run` starts (the one `Runner`), on
127.0.0.1 and a port the system picks; an edit of its spec swaps in the new version, as
`run --watch` does (state starts over). All of them stop when the session ends. A mock
started elsewhere (`--url`) is driven through its admin API.
"""

from __future__ import annotations

import itertools
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

import requests
from flask import Flask

from ..app import create_app
from ..mock import AdminAccess, Mock
from ..reload import Reloader, stamps
from ..serve import Runner
from ..spec import Spec
from .specfile import Refused

log = logging.getLogger("mockserve.mcp")

ADMIN_TIMEOUT = 10.0  # seconds to wait for a running mock's admin API


class Driven(Protocol):
    """What the tools need of a mock, wherever it runs."""

    id: str
    url: str
    spec_path: Path | None

    def journal(self, since: int | None) -> list[dict[str, Any]]: ...
    def reset(self) -> None: ...
    def describe(self) -> dict[str, Any]: ...


class _Watcher(Reloader):
    """Serves edits made outside the tools (a person's editor, an agent's own file edits),
    as `run --watch` does; an edit a tool made, and served already, is not loaded again."""

    def reload(self) -> bool:
        if stamps(self.files) == self.stamps:
            return True
        return super().reload()

    def served(self, spec: Spec) -> None:
        """A tool's edit is served already: its files, as they are now, are the known ones."""
        self.files = set(spec.files)
        self.stamps = stamps(self.files)


class LocalMock:
    """A mock served by this process from a thread, until `stop`."""

    def __init__(self, mock_id: str, spec_path: Path, spec: Spec):
        self.id = mock_id
        self.spec_path: Path | None = spec_path
        self.runner = Runner(create_app(spec, access=AdminAccess()), "127.0.0.1", 0).start()
        self.url = self.runner.url
        self.stale: str | None = None  # why the spec on disk is not served, when it is not
        self.watcher = _Watcher(
            spec_path,
            spec,
            seed=None,
            access=AdminAccess(),
            on_reload=self._swap,
            report=self._stale,
        )
        self.watcher.start()

    @property
    def mock(self) -> Mock:
        return self.runner.mock

    def journal(self, since: int | None) -> list[dict[str, Any]]:
        entries = self.mock.stores.journal.entries()
        return [e.as_json() for e in entries if since is None or e.id > since]

    def reset(self) -> None:
        self.mock.reset()

    def reload(self, spec: Spec) -> None:
        """Serve `spec` (a tool's edit, checked) from the next request on; state starts over."""
        self.watcher.served(spec)
        self._swap(create_app(spec, access=AdminAccess()), spec)

    def _swap(self, app: Flask, spec: Spec) -> None:
        self.stale = None
        self.runner.swap(app)

    def _stale(self, text: str) -> None:
        self.stale = text
        log.warning("%s", text)

    def stop(self) -> None:
        self.watcher.stop()
        self.runner.stop()

    def describe(self) -> dict[str, Any]:
        shown = {"mock_id": self.id, "url": self.url, "spec": str(self.spec_path)}
        if self.stale is not None:
            shown["warning"] = self.stale
        return shown


class RemoteMock:
    """A mock already running (`mockserve mcp --url`), driven through its admin API."""

    id = "remote"

    def __init__(self, url: str, token: str | None, spec_path: Path | None, admin: str):
        self.url = url.rstrip("/")
        self.spec_path = spec_path
        self.admin = self.url + admin
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, suffix: str, **options: Any) -> requests.Response:
        try:
            response = requests.request(
                method,
                self.admin + suffix,
                headers=self.headers,
                timeout=ADMIN_TIMEOUT,
                **options,
            )
        except requests.RequestException as exc:
            raise Refused(
                f"the mock at {self.url} does not answer ({type(exc).__name__}); is it running?"
            ) from None
        if response.status_code >= 400:
            try:
                said = response.json().get("error", response.text)
            except ValueError:
                said = response.text
            raise Refused(f"the mock at {self.url} answered {response.status_code}: {said}")
        return response

    def journal(self, since: int | None) -> list[dict[str, Any]]:
        params = {"since": since} if since is not None else {}
        entries: list[dict[str, Any]] = self._call("GET", "/requests", params=params).json()
        return entries

    def reset(self) -> None:
        self._call("POST", "/reset")

    def routes(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = self._call("GET", "/routes").json()
        return listed

    def describe(self) -> dict[str, Any]:
        spec = str(self.spec_path) if self.spec_path is not None else None
        return {"mock_id": self.id, "url": self.url, "spec": spec, "started_here": False}


class Mocks:
    """The mocks of one session, by id; the ones started here stop with `stop_all`."""

    def __init__(self, remote: RemoteMock | None = None):
        self.remote = remote
        self.local: dict[str, LocalMock] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, spec_path: Path, spec: Spec) -> LocalMock:
        mock = LocalMock(f"mock-{next(self._ids)}", spec_path, spec)
        with self._lock:
            self.local[mock.id] = mock
        return mock

    def get(self, mock_id: str | None) -> Driven:
        """The mock `mock_id` names, else the only one there is."""
        known: dict[str, Driven] = {**self.local}
        if self.remote is not None:
            known[self.remote.id] = self.remote
        if mock_id is not None and mock_id.strip():
            if mock_id in known:
                return known[mock_id]
            listed = ", ".join(known) or "none (start one with `start_mock`)"
            raise Refused(f"mock_id: no mock {mock_id!r}; the mocks are: {listed}")
        if len(known) == 1:
            return next(iter(known.values()))
        if not known:
            raise Refused("no mock is running: start one with `start_mock`")
        raise Refused(f"mock_id: {len(known)} mocks are running ({', '.join(known)}); say which")

    def stop(self, mock_id: str | None) -> LocalMock:
        mock = self.get(mock_id)
        if not isinstance(mock, LocalMock):
            raise Refused(
                f"the mock at {mock.url} was not started by this server; stop it where it runs"
            )
        with self._lock:
            self.local.pop(mock.id, None)
        mock.stop()
        return mock

    def serving(self, spec_path: Path) -> list[LocalMock]:
        """The mocks started here that serve `spec_path` (they reload when it is edited)."""
        target = spec_path.resolve()
        return [
            m for m in list(self.local.values()) if m.spec_path and m.spec_path.resolve() == target
        ]

    def specs(self) -> list[Path]:
        """The specs the mocks started here serve."""
        return [m.spec_path for m in list(self.local.values()) if m.spec_path is not None]

    def stop_all(self) -> None:
        with self._lock:
            mocks, self.local = list(self.local.values()), {}
        for mock in mocks:
            mock.stop()
