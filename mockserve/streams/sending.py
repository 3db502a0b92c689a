"""The body of an answer sent over time: its parts counted, faults fired, its end journaled.

A `Sending` is the WSGI body itself. The backend pulls its parts (`bytes`, or a `Pause` it
waits out) and closes it when done or when the client goes away; either way the stream
ends here, once, and the exchange is journaled with how far it got.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from typing import NoReturn

from ..errors import Disconnect, TemplateRenderError
from ..exchange import Exchange, StreamProgress
from ..journal import BODY_LIMIT
from ..pacing import Pause
from ..responses import MALFORMED_JSON
from ..spec.model import Fault

log = logging.getLogger("mockserve")

Part = bytes | Pause


class Sending:
    """An iterable WSGI body over `parts`; each `bytes` part is one event (or chunk)."""

    def __init__(
        self,
        parts: Iterator[Part],
        exchange: Exchange,
        progress: StreamProgress,
        *,
        fault: Fault | None = None,
        events: bool = True,
    ):
        """`fault`: one that fires after `fault.after` events; `events`: SSE (else chunks)."""
        self.parts = parts
        self.exchange = exchange
        self.progress = progress
        self.fault = fault
        self.events = events
        self.done = False
        self.flushed = True  # nothing is waiting to be sent (the last part was a pause)
        # Templates draw from this request's source (a context variable) whichever
        # thread or task pulls the parts.
        self.context = contextvars.copy_context()

    def __iter__(self) -> Sending:
        return self

    def __next__(self) -> Part:
        if self.done:
            raise StopIteration
        return self.context.run(self._next)

    def _next(self) -> Part:
        progress = self.progress
        fault = self.fault
        if fault is not None and fault.after is not None and progress.events >= fault.after:
            if not self.flushed:  # the events before the fault are sent first
                self.flushed = True
                return Pause(0)
            self.fault = None
            self._fire(fault)
        try:
            part = next(self.parts)
        except StopIteration:
            self._end(client_left=False)
            raise
        except TemplateRenderError as exc:
            where = f"route {self.exchange.route!r} at {exc.where}"
            self._fail(f"template failed in {where}: {exc.message}")
        except Exception as exc:  # a bug or a lost store: the stream ends, the server goes on
            log.exception("the stream of route %r failed", self.exchange.route)
            self._fail(f"internal error in the stream of route {self.exchange.route!r}: {exc!r}")
        self.flushed = isinstance(part, Pause)
        if not isinstance(part, Pause):
            progress.events += 1
            room = BODY_LIMIT - len(progress.sent)
            if room > 0:
                progress.sent += part[:room]
        return part

    def _fail(self, message: str) -> NoReturn:
        """Something failed while the stream was sent: it ends cleanly, the journal says why."""
        progress = self.progress
        sent = f"{progress.events} event{'' if progress.events == 1 else 's'}"
        log.error("%s; the stream ends after %s", message, sent)
        progress.error = message
        self.exchange.violation = message
        self._end(client_left=False)
        raise StopIteration

    def _fire(self, fault: Fault) -> None:
        """A fault inside the stream: the parts still to send are replaced (or dropped)."""
        self.progress.fault = fault.kind
        if fault.kind == "disconnect":
            self._end(client_left=False)
            raise Disconnect(f"disconnect fault after {self.progress.events} events")
        if fault.kind == "malformed":
            broken = b"data: " + MALFORMED_JSON + b"\n\n" if self.events else MALFORMED_JSON
            self.parts = iter([broken])
        else:  # stall: nothing more, the connection kept open for `duration`
            self.parts = iter([Pause(fault.duration / 1000.0)])

    def close(self) -> None:
        """Closed by the server: before the end, the client went away (or the server stops)."""
        if not self.done:
            self.context.run(self._end, client_left=True)
        close = getattr(self.parts, "close", None)
        if close is not None:
            close()

    def _end(self, *, client_left: bool) -> None:
        """The stream's end, once: the journal entry is written now."""
        if self.done:
            return
        self.done = True
        progress = self.progress
        progress.client_left = client_left
        progress.ended = True
        self.exchange.extra["stream"] = progress.as_json()
        if progress.on_end is not None:
            try:
                progress.on_end()
            except Exception:  # the journal must not take the server down with it
                log.exception("journaling the end of a stream failed")
