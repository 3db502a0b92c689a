"""The Flask (WSGI) app behind an ASGI server: HTTP answered by the app, WebSockets by the mock.

An event-loop server reads requests and writes answers without a thread per connection,
so delays and open streams cost no thread. The app's own work is plain CPU (match,
check, render) and runs inline on the loop, with no hop to a thread, unless the spec
makes answers wait on the network (a shared store, an upstream): then each answer runs
in a pool of threads and the loop keeps serving meanwhile.

What the bridge adds to a WSGI server's job: the request body is read before the app
runs (a body over `settings.max_body` is refused unread, the connection then closed);
a route's `delay` (`pacing.PAUSE`) and a body's `Pause` parts are awaited on the loop;
the `disconnect` fault closes the connection with nothing sent; a `websocket` scope goes
to `mock.websockets`, refused with a JSON 404 when the spec has none.
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote_to_bytes

from ..errors import Disconnect
from ..pacing import AWAITED, PAUSE, Pause
from ..problems import error_body
from ..responses import dump_json
from ..spec.model import DEFAULT_MAX_BODY

DROP = "mockserve.drop"  # scope extension: close the connection, nothing sent
DEFAULT_THREADS = 128
CHUNK = 64 * 1024  # bytes of a body sent at once
_SPECIAL = {b"content-type": "CONTENT_TYPE", b"content-length": "CONTENT_LENGTH"}

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


def answers_block(app: Any) -> str | None:
    """Why answers of `app` wait on the network (so they run in threads), or None."""
    mock = app.extensions["mockserve"]
    if mock.stores.shared:
        return "the store is shared (Redis)"
    proxy = mock.spec.settings.proxy
    if mock.pipeline.upstream is not None or (proxy is not None and proxy.to):
        return "requests are forwarded to an upstream"
    return None


class Bridge:
    """An ASGI app serving a mockserve Flask app; `swap` changes the app between requests."""

    def __init__(
        self,
        app: Any,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        threads: int | None = None,
    ):
        """`threads`: answer in a pool of that many threads; None answers inline on the loop."""
        self.app = app
        self.max_body = max_body
        self.pool = ThreadPoolExecutor(threads, "mockserve-answer") if threads else None

    def swap(self, app: Any) -> None:
        self.app = app

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            await self.websocket(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)

    # -- WebSocket --------------------------------------------------------------------

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The spec's WebSocket handler answers; without one the upgrade is refused."""
        handler = self.app.extensions["mockserve"].websockets
        if handler is not None:
            try:
                await handler.handle(scope, receive, send)
            except Disconnect:
                pass  # a `disconnect` fault: returning with no close frame drops the connection
            return
        await receive()  # websocket.connect
        message = f"no WebSocket endpoint at {scope['path']}"
        if "websocket.http.response" in scope.get("extensions", {}):
            body = dump_json(error_body(message, None, []))
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": 404,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})

    # -- HTTP -------------------------------------------------------------------------

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        environ, close = await self._environ(scope, receive)
        app = self.app
        started: list[Any] = []

        def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            started[:] = [status, headers]

        def call() -> tuple[Iterator[Any], list[Any], bool]:
            body = iter(app(environ, start_response))
            parts, done = _pull(body)
            return body, parts, done

        try:
            if self.pool is None:
                body, parts, done = call()
            else:
                loop = asyncio.get_running_loop()
                body, parts, done = await loop.run_in_executor(self.pool, call)
        except Disconnect:
            scope.get("extensions", {}).get(DROP, _no_drop)()
            return
        left: asyncio.Future[None] | None = None  # set when the client goes away
        try:
            pause = environ.get(PAUSE)
            if pause:  # the route's delay: nothing sent before it is over
                await asyncio.sleep(pause)
            status, headers = started
            raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            named = {name for name, _ in raw}
            if b"server" not in named:  # an answer's own Server (a recorded one) stays alone
                raw.append((b"server", b"mockserve"))
            if b"date" not in named:
                raw.append((b"date", _date()))
            if close:
                raw.append((b"connection", b"close"))
            await send({"type": "http.response.start", "status": int(status[:3]), "headers": raw})
            while True:
                chunk = b"".join(p for p in parts if not isinstance(p, Pause))
                if done:
                    await send({"type": "http.response.body", "body": chunk})
                    return
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                # A body sent over time: it ends as soon as its client goes away (the
                # server's sends to a closed connection are silently dropped).
                left = left or asyncio.ensure_future(_client_left(receive))
                seconds = parts[-1].seconds if parts and isinstance(parts[-1], Pause) else 0
                # wait out the pause (or just let the loop serve others) unless the client left
                await asyncio.wait((left,), timeout=max(seconds, 0))
                if left.done():
                    return
                try:
                    if self.pool is None:
                        parts, done = _pull(body)
                    else:
                        loop = asyncio.get_running_loop()
                        parts, done = await loop.run_in_executor(self.pool, _pull, body)
                except Disconnect:  # a fault inside the stream: the connection is cut
                    scope.get("extensions", {}).get(DROP, _no_drop)()
                    return
        finally:
            if left is not None:
                left.cancel()
            closer = getattr(body, "close", None)
            if closer is not None:
                closer()

    async def _environ(self, scope: Scope, receive: Receive) -> tuple[dict[str, Any], bool]:
        """The WSGI environ of an HTTP scope, body read; and whether to close after answering."""
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        query: bytes = scope["query_string"]
        server = scope.get("server") or ("127.0.0.1", 0)
        client = scope.get("client")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
            "QUERY_STRING": query.decode("latin-1"),
            "REQUEST_URI": (raw_path + (b"?" + query if query else b"")).decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "REMOTE_ADDR": client[0] if client else "",
            "REMOTE_PORT": str(client[1]) if client else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            AWAITED: True,
        }
        chunked = False
        for name, value in scope["headers"]:
            key = _SPECIAL.get(name)
            if key is None:
                if name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                    continue
                key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
            text = value.decode("latin-1")
            if key in environ:
                environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + text
            else:
                environ[key] = text
        declared = environ.get("CONTENT_LENGTH")
        length = int(declared) if declared and declared.isdigit() else None
        if length is not None and length > self.max_body:
            # Refused unread (the app answers 413 from the length); the rest is not read.
            environ["wsgi.input"] = io.BytesIO()
            return environ, True
        body, too_large = b"", False
        if length or chunked:
            parts = []
            size = 0
            while True:
                message = await receive()
                part = message.get("body", b"")
                parts.append(part)
                size += len(part)
                if size > self.max_body:
                    too_large = True
                    break
                if not message.get("more_body", False):
                    break
            body = b"".join(parts)
        if chunked:  # as a WSGI server dechunks: a body of known length
            environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        return environ, too_large


def _pull(body: Iterator[Any]) -> tuple[list[Any], bool]:
    """The body's next parts: up to a `Pause` (included) or about CHUNK bytes; and whether
    it has ended. A long body (an upstream's) is sent as it comes, not gathered whole."""
    parts: list[Any] = []
    size = 0
    for part in body:
        parts.append(part)
        if isinstance(part, Pause):
            return parts, False
        size += len(part)
        if size >= CHUNK:
            return parts, False
    return parts, True


async def _client_left(receive: Receive) -> None:
    """Return when the client has gone away (the request's body was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


_dated: list[Any] = [0, b""]


def _date() -> bytes:
    """The Date header's value, formatted once a second."""
    now = int(time.time())
    if _dated[0] != now:
        _dated[:] = [now, formatdate(now, usegmt=True).encode("latin-1")]
    value: bytes = _dated[1]
    return value


def _no_drop() -> None:
    raise ConnectionAbortedError("this server cannot drop a connection")


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
