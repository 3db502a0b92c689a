"""One open socket playing its script: on_connect, then an answer for each message.

Everything runs on the event loop that serves the socket, without threads or locks
of its own: a reader task takes what the client sends (journals it, draws the fault,
picks the `on_message` entry) and queues it; a worker answers the queue in order
(delays, sends, closes), and each `send_every` runs as a task of its own. When the
client goes, every one of them is cancelled: a closed socket holds nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import Disconnect, TemplateRenderError
from ..journal import Violation
from ..spec.endpoints import SocketClose, SocketEvery, SocketFault, SocketStep, WebSocket
from ..spec.model import Delay
from ..stores import Stores

log = logging.getLogger("mockserve")
violation_log = logging.getLogger("mockserve.violations")

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Recorder = Callable[["Session", str, Any, bool], None]
INTERNAL_ERROR = 1011  # the close code of a socket whose template failed


def as_text(value: Any) -> str:
    """What goes on the wire: a string as that text, any other value as its JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parsed(event: dict[str, Any]) -> Any:
    """A received message as templates see it: JSON data when it parses, else the text."""
    text = event.get("text")
    if text is None:
        text = (event.get("bytes") or b"").decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Session:
    """The script of one socket, from the accept to the close."""

    def __init__(
        self,
        socket: WebSocket,
        number: int,
        path: str,
        names: dict[str, Any],
        stores: Stores,
        send: Send,
        record: Recorder,
    ):
        self.socket = socket
        self.number = number  # counts up for each socket opened: tells sockets apart
        self.path = path
        self.names = names  # what every template sees: path, query, headers, the helpers
        self.stores = stores
        self._send = send
        self._record = record
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.queue: asyncio.Queue[tuple[SocketFault | None, SocketStep | None, Any]] = (
            asyncio.Queue()
        )
        self.tasks: set[asyncio.Task[None]] = set()
        self.closed = False  # a close frame went out (or the client went): send nothing more
        self.dropped = False  # a `disconnect` fault: the connection goes without a close frame
        self.ending = "closed"  # how it ended, for the log: who closed it, with what code
        self._main: asyncio.Task[Any] | None = None
        self._draws = f"websocket {socket.path}"  # seeded draws, keyed as a route's are

    # -- the two loops -----------------------------------------------------------------

    async def run(self, receive: Receive) -> None:
        """Read until the client goes (or a fault drops it); then cancel what it started."""
        self._main = asyncio.current_task()
        self._spawn(self._work())
        try:
            while True:
                event = await receive()
                kind = event.get("type")
                if kind == "websocket.receive":
                    self._received(parsed(event))
                elif kind == "websocket.disconnect":
                    if not self.closed:
                        self.ending = f"closed by the client ({event.get('code', 1005)})"
                    return
        except asyncio.CancelledError:
            if self.dropped:
                self.ending = "dropped by a disconnect fault"
                raise Disconnect("disconnect fault") from None
            raise
        finally:
            self.closed = True
            for task in list(self.tasks):
                task.cancel()

    def _received(self, message: Any) -> None:
        fault = self._fault()
        step = None if fault is not None else self._match(message)
        unmatched = fault is None and step is None
        self._record(self, "in", message, unmatched)
        if unmatched:
            self._violated(f"no on_message entry answers the message {as_text(message)[:200]}")
            return
        self.queue.put_nowait((fault, step, message))

    async def _work(self) -> None:
        """on_connect in order, then each message's answer in the order they came."""
        for step in self.socket.on_connect:
            await self._do(step, None)
        while not self.closed:
            fault, answer, message = await self.queue.get()
            if fault is not None:
                await self._fault_fires(fault, message)
            elif answer is not None:
                await self._do(answer, message)

    # -- what a step does -----------------------------------------------------------------

    async def _do(self, step: SocketStep, message: Any) -> None:
        if step.delay is not None:
            await asyncio.sleep(self._delay(step.delay))
        try:
            if step.send is not None:
                await self.send(step.send.render(self._context(message)))
            if step.every is not None:
                self._spawn(self._every(step.every, message))
            if step.close is not None:
                await self._close(step.close, message)
        except TemplateRenderError as exc:
            await self._failed(step.where, exc)

    async def _every(self, every: SocketEvery, message: Any) -> None:
        """`message` each interval (on a fixed schedule, not drifting), `count` times."""
        start = self.loop.time()
        n = 0
        while not self.closed and (every.count is None or n < every.count):
            n += 1
            await asyncio.sleep(max(0.0, start + n * every.interval / 1000 - self.loop.time()))
            try:
                value = every.message.render({**self._context(message), "n": n})
            except TemplateRenderError as exc:
                await self._failed(self.socket.where + ".send_every", exc)
                return
            await self.send(value)

    async def _fault_fires(self, fault: SocketFault, message: Any) -> None:
        if fault.close is not None:
            await self._close(fault.close, message)
            return
        self.dropped = True
        if self._main is not None:
            self._main.cancel()

    async def _close(self, close: SocketClose, message: Any) -> None:
        reason = ""
        if close.reason is not None:
            reason = str(close.reason.render(self._context(message)))
            reason = reason.encode("utf-8")[:123].decode("utf-8", "ignore")
        await self._close_with(close.code, reason)

    async def _close_with(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.ending = f"closed by the mock ({code}{', ' + reason if reason else ''})"
        current = asyncio.current_task()
        for task in list(self.tasks):
            if task is not current:
                task.cancel()
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:  # noqa: BLE001 - the client went first: nothing to close
            pass

    async def _failed(self, where: str, exc: TemplateRenderError) -> None:
        """A template that fails closes the socket with 1011 (as a 500 answers a request)."""
        log.error("websocket %s: %s at %s: %s", self.path, "template failed", where, exc)
        self._violated(f"a template failed at {where}: {exc}")
        await self._close_with(INTERNAL_ERROR, "template error")

    # -- sending, from the script or pushed ----------------------------------------------

    async def send(self, value: Any) -> bool:
        """Send one message (journaled as sent); False when the socket is closed."""
        if self.closed:
            return False
        try:
            await self._send({"type": "websocket.send", "text": as_text(value)})
        except Exception:  # noqa: BLE001 - the client went: the reader will see it
            self.closed = True
            return False
        self._record(self, "out", value, False)
        return True

    # -- what the script reads ----------------------------------------------------------

    def _context(self, message: Any) -> dict[str, Any]:
        self.stores.random.draw_for(self._draws)
        stores = self.stores
        return {
            **self.names,
            "message": message,
            "state": stores.state.snapshot(),
            "resources": stores.resources.snapshot(),
        }

    def _match(self, message: Any) -> SocketStep | None:
        """The first `on_message` entry whose `when` holds (one that fails is false)."""
        context: dict[str, Any] | None = None
        for step in self.socket.on_message:
            if step.when is None:
                return step
            context = context if context is not None else self._context(message)
            try:
                if step.when.render(context):
                    return step
            except TemplateRenderError as exc:
                log.warning(
                    "websocket %s: 'when' at %s could not be evaluated (%s); taken as false",
                    self.socket.path,
                    step.where,
                    exc,
                )
        return None

    def _fault(self) -> SocketFault | None:
        """One draw for each message received, as a route draws once per request."""
        faults = self.socket.faults
        if not faults:
            return None
        self.stores.random.draw_for(self._draws)
        draw = self.stores.random.random.random()
        for fault in faults:
            if draw < fault.rate:
                return fault
            draw -= fault.rate
        return None

    def _delay(self, delay: Delay) -> float:
        if delay.low == delay.high:
            return delay.low / 1000
        self.stores.random.draw_for(self._draws)
        return self.stores.random.random.uniform(delay.low, delay.high) / 1000

    def _violated(self, why: str) -> None:
        violation = Violation("WEBSOCKET", self.path, 0, why, route=self.socket.path)
        self.stores.journal.violated(violation)
        violation_log.warning("WEBSOCKET %s: %s", self.path, why)

    def _spawn(self, work: Any) -> None:
        task = self.loop.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("websocket %s failed", self.path, exc_info=task.exception())
