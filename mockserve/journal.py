"""What the journal keeps of a request: its entry (served by the admin API) and violations.

The entries themselves live in a journal store (`stores/`): in memory by default.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .media import is_json_media, media_type

BODY_LIMIT = 64 * 1024  # characters of a request body, bytes of an answer, the journal keeps


def stamped(fields: dict[str, Any]) -> dict[str, Any]:
    """An entry's fields as every journal store keeps them: the time set, a long body cut."""
    body = fields.get("body")
    if body is not None and len(body) > BODY_LIMIT:
        fields["body"] = body[:BODY_LIMIT] + f"... ({len(body) - BODY_LIMIT} more characters)"
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
    fields["time"] = now.replace("+00:00", "Z")
    return fields


@dataclass(slots=True)
class Answer:
    """What the server answered: kept as bytes, shown as JSON only when someone looks.

    Not changed once recorded (plain slots, not frozen: one is made for every request).
    """

    status: int | None
    headers: dict[str, str]
    body: bytes = b""
    content_type: str | None = None
    truncated: bool = False

    def as_json(self) -> dict[str, Any]:
        body: Any = None
        if self.body:
            text = self.body.decode("utf-8", "replace")
            body = text
            if not self.truncated and is_json_media(media_type(self.content_type)):
                try:
                    body = json.loads(text)
                except ValueError:
                    pass
        shown: dict[str, Any] = {"status": self.status, "headers": self.headers, "body": body}
        if self.truncated:
            shown["body_truncated"] = True
        return shown


@dataclass(slots=True)
class Entry:
    """One request as the journal keeps it (the admin API serves these as JSON).

    Not changed once recorded (plain slots, not frozen: one is made for every request).
    """

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
    response: Answer | None = None
    why: list[dict[str, str]] = field(default_factory=list)  # closest routes when unmatched
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. proxied, upstream

    def as_json(self) -> dict[str, Any]:
        shown = {
            name: getattr(self, name)
            for name in (
                "id",
                "time",
                "method",
                "path",
                "query",
                "headers",
                "body",
                "route",
                "status",
                "failures",
                "duration_ms",
            )
        }
        shown["response"] = self.response.as_json() if self.response is not None else None
        shown["why"] = self.why
        shown.update(self.extra)
        return shown


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
        answered = f" -> {self.status}" if self.status else ""  # 0: a WebSocket message
        return f"{self.method} {self.path}{answered}: {self.why}"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "failures": list(self.failures)}
