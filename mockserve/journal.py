"""The journal: a bounded record of the requests a server answered, and its violations."""

from __future__ import annotations

import datetime as _dt
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

BODY_LIMIT = 64 * 1024  # characters of a request body the journal keeps


@dataclass(frozen=True)
class Entry:
    """One request as the journal keeps it (the admin API serves these as JSON)."""

    id: int
    time: str
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: str | None
    route: str | None
    status: int | None
    failures: list[dict[str, str]] = field(default_factory=list)
    duration_ms: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Violation:
    """A request the spec does not cover, or one that broke a contract."""

    method: str
    path: str
    status: int
    why: str
    route: str | None = None
    failures: tuple[dict[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}: {self.why}"


class Journal:
    """A ring buffer of entries with ids that only ever count up, plus every violation."""

    def __init__(self, size: int = 1000):
        self._entries: deque[Entry] = deque(maxlen=size if size > 0 else 0)
        self._lock = threading.Lock()
        self._next_id = 1
        self.violations: list[Violation] = []
        self.requests_seen = 0

    def record(
        self,
        *,
        method: str,
        path: str,
        query: dict[str, Any],
        headers: dict[str, str],
        body: str | None,
        route: str | None,
        status: int | None,
        failures: list[dict[str, str]],
        duration_ms: float,
        violation: str | None = None,
    ) -> Entry:
        """Add a request; the oldest entry drops out when the journal is full."""
        if body is not None and len(body) > BODY_LIMIT:
            body = body[:BODY_LIMIT] + f"... ({len(body) - BODY_LIMIT} more characters)"
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
        with self._lock:
            entry = Entry(
                self._next_id,
                now.replace("+00:00", "Z"),
                method,
                path,
                query,
                headers,
                body,
                route,
                status,
                failures,
                round(duration_ms, 3),
            )
            self._next_id += 1
            self.requests_seen += 1
            self._entries.append(entry)
            if violation is not None and status is not None:
                self.violations.append(
                    Violation(method, path, status, violation, route, tuple(failures))
                )
        return entry

    def entries(self) -> list[Entry]:
        """The entries kept, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget the entries (ids keep counting up; violations stay for the run's verdict)."""
        with self._lock:
            self._entries.clear()
