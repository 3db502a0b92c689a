"""Answers sent over time: a body may hold `Pause` parts between its bytes.

A streamed body (server-sent events, `chunks`, `bytes_per_second`) is an iterable of
`bytes` and `Pause` parts. A backend that can wait without a thread (an event loop)
awaits each pause; a thread-per-request WSGI server runs the body through `paced`, which
sleeps in that thread. Either way the client has every byte before the pause starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# Set in the WSGI environ of a request whose body holds `Pause` parts, so a backend
# looks for them only in those bodies.
SENT_OVER_TIME = "mockserve.sent_over_time"


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait this long before the next part of the body is sent."""

    seconds: float


def paced(parts: Iterable[Any]) -> Iterator[bytes]:
    """The body's bytes, sleeping on each `Pause` (for servers with a thread per request)."""
    try:
        for part in parts:
            if isinstance(part, Pause):
                if part.seconds > 0:
                    time.sleep(part.seconds)
            else:
                yield part
    finally:
        close = getattr(parts, "close", None)
        if close is not None:
            close()


class PacedApp:
    """WSGI middleware: the app's `Pause` parts become sleeps in the serving thread."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return paced(self.app(environ, start_response))
