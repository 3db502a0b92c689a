"""Answers sent over time: a body may hold `Pause` parts between its bytes.

A streamed body (server-sent events, `chunks`, `bytes_per_second`) is an iterable of
`bytes` and `Pause` parts. A backend that can wait without a thread (an event loop)
awaits each pause; a thread-per-request WSGI server runs the body through `paced`, which
sleeps in that thread. Either way the client has every byte before the pause starts.

A route's `delay` is a pause before the answer's first byte: `hold` leaves it in the
request's environ for a server that awaits it (`AWAITED` set, see `serve/bridge.py`),
and sleeps in the request's thread on any other WSGI server.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# environ keys: set by a server that awaits pauses; the seconds to wait before answering.
AWAITED = "mockserve.pauses_awaited"
PAUSE = "mockserve.pause"


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


def hold(environ: dict[str, Any], seconds: float) -> None:
    """Hold the answer to this request back `seconds`, without a thread where the server can."""
    if seconds <= 0:
        return
    if environ.get(AWAITED):
        environ[PAUSE] = environ.get(PAUSE, 0.0) + seconds
    else:
        time.sleep(seconds)
