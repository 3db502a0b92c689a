"""The spec's WebSocket paths, answered at the ASGI level: the handshake, then a Session.

`Hub.handle(scope, receive, send)` takes an ASGI `websocket` scope from whichever
backend serves the mock's port. It matches the path (parameters as for routes), checks
the page's origin against `settings.cors` (a browser sends one; other clients need
not) and the subprotocol, then accepts and plays the socket's script. A refused
handshake is an HTTP error with the server's JSON error body where the backend can send
one (the ASGI `websocket.http.response` extension), else a close before the accept.

It also keeps which sockets are open, so tests can push to them (`push`, the admin API),
and journals every message in both directions.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect, Rule

from ..context import HeaderMap
from ..helpers import helper_names
from ..journal import BODY_LIMIT, Violation
from ..problems import error_body
from ..spec.endpoints import WebSocket
from ..spec.model import Cors, Spec
from ..stores import Stores
from ..stores.messages import Message
from .session import Receive, Send, Session

log = logging.getLogger("mockserve")
access_log = logging.getLogger("mockserve.access")
violation_log = logging.getLogger("mockserve.violations")
PUSH_SECONDS = 5.0  # how long a push waits for each socket to take the message


class Refused(Exception):
    """A handshake the mock turns down: the HTTP status and why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Hub:
    """Every WebSocket path of one spec, and the sockets open on them."""

    def __init__(self, spec: Spec, stores: Stores):
        self.spec = spec
        self.stores = stores
        self.sockets = spec.websockets
        self._map = Map(
            [Rule(s.rule, endpoint=index, methods=["GET"]) for index, s in enumerate(self.sockets)]
        ).bind("localhost")
        self._lock = threading.Lock()  # the open sockets are read from the admin API's thread
        self._open: dict[int, Session] = {}
        self._numbers = itertools.count(1)
        self.listeners: list[Callable[[Message], None]] = []

    # -- the handshake -----------------------------------------------------------------

    async def handle(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """Answer one ASGI `websocket` scope: refuse it, or accept it and play its script."""
        if scope.get("type") != "websocket":
            raise ValueError(f"not a websocket scope: {scope.get('type')!r}")
        if (await receive()).get("type") != "websocket.connect":
            return  # gone before the handshake
        path = scope.get("path") or "/"
        raw_query = scope.get("query_string") or b""
        target = path + ("?" + raw_query.decode("latin-1") if raw_query else "")
        headers = Headers(
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        )
        try:
            socket, values = self.match(path)
            self._check_origin(scope, headers)
            subprotocol = self._subprotocol(socket, scope.get("subprotocols") or [])
        except Refused as refused:
            access_log.info("WEBSOCKET %s -> %d: %s", target, refused.status, refused.message)
            await _refuse(scope, send, refused)
            return
        await send({"type": "websocket.accept", "subprotocol": subprotocol})
        query = _query(raw_query)
        names = {
            **helper_names(self.stores.random),
            "path": values,
            "query": query,
            "headers": HeaderMap(headers),
            "cookies": _cookies(headers),
        }
        number = next(self._numbers)
        session = Session(socket, number, path, names, self.stores, send, self._record)
        with self._lock:
            self._open[number] = session
        access_log.info(
            "WEBSOCKET %s -> 101 open (socket %d%s)",
            target,
            number,
            f", {subprotocol}" if subprotocol else "",
        )
        try:
            await session.run(receive)
        finally:
            with self._lock:
                self._open.pop(number, None)
            access_log.info("WEBSOCKET %s -> %s (socket %d)", target, session.ending, number)

    def match(self, path: str) -> tuple[WebSocket, dict[str, Any]]:
        """The socket declared for `path` and its path parameters (converted)."""
        try:
            index, values = self._map.match(path, method="GET")
        except (HTTPException, RequestRedirect):
            known = ", ".join(s.path for s in self.sockets) or "none"
            why = f"no websocket at {path}; the spec has: {known}"
            self.stores.journal.violated(Violation("WEBSOCKET", path, 404, why))
            violation_log.warning("WEBSOCKET %s -> 404: %s", path, why)
            raise Refused(404, why) from None
        return self.sockets[index], dict(values)

    def _check_origin(self, scope: dict[str, Any], headers: Headers) -> None:
        """A web page may open a socket from its own origin, or one `settings.cors` allows."""
        origin = headers.get("Origin")
        if origin is None:
            return  # not a browser: origins are how browsers say who asks
        secure = scope.get("scheme") in ("wss", "https")
        own = f"{'https' if secure else 'http'}://{headers.get('Host', '')}"
        cors: Cors | None = self.spec.settings.cors
        if origin == own or (cors is not None and (cors.origins is None or origin in cors.origins)):
            return
        allowed = "no other origin (settings.cors is off)"
        if cors is not None and cors.origins is not None:
            allowed = "only " + ", ".join(cors.origins)
        why = f"a page from {origin} may not open this socket: settings.cors allows {allowed}"
        raise Refused(403, why)

    @staticmethod
    def _subprotocol(socket: WebSocket, offered: list[str]) -> str | None:
        """The first protocol the client offers that the socket speaks (it must offer one)."""
        if not socket.subprotocols:
            return None
        for protocol in offered:
            if protocol in socket.subprotocols:
                return protocol
        given = ", ".join(offered) if offered else "none"
        raise Refused(
            400,
            f"{socket.path} speaks the subprotocols {', '.join(socket.subprotocols)}; "
            f"the client offered {given}",
        )

    # -- the journal, and pushes from tests ------------------------------------------------

    def _record(self, session: Session, direction: str, message: Any, unmatched: bool) -> None:
        if isinstance(message, str) and len(message) > BODY_LIMIT:  # as request bodies are
            message = message[:BODY_LIMIT] + f"... ({len(message) - BODY_LIMIT} more characters)"
        entry = self.stores.messages.record(
            path=session.path,
            websocket=session.socket.path,
            socket=session.number,
            direction=direction,
            message=message,
            unmatched=unmatched,
        )
        for listener in list(self.listeners):
            listener(entry)

    def open_sockets(self, path: str) -> list[Session]:
        """The sockets open on `path` (as opened, `/ws/rooms/7`, or as declared)."""
        with self._lock:
            return [
                s for s in self._open.values() if path in (s.path, s.socket.path) and not s.closed
            ]

    def push(self, path: str, message: Any) -> int:
        """Send `message` to every socket open on `path`; how many took it.

        Called from any thread (the admin API's); returns once each socket has sent it
        (and journaled it), so a test may look at once.
        """
        sent = 0
        waits = []
        for session in self.open_sockets(path):
            future = asyncio.run_coroutine_threadsafe(session.send(message), session.loop)
            if session.thread == threading.get_ident():
                sent += 1  # on the socket's own loop: it sends once this call returns
            else:
                waits.append(future)
        for future in waits:
            try:
                sent += bool(future.result(PUSH_SECONDS))
            except Exception:  # noqa: BLE001 - a socket that went meanwhile took nothing
                log.warning("websocket %s: a push was not sent", path)
        return sent

    def declares(self, path: str) -> bool:
        """True when `path` is one the spec's sockets answer (or one's declared path)."""
        if any(s.path == path for s in self.sockets):
            return True
        try:
            self._map.match(path, method="GET")
        except (HTTPException, RequestRedirect):
            return False
        return True


async def _refuse(scope: dict[str, Any], send: Send, refused: Refused) -> None:
    """An HTTP error with the server's JSON body, where the backend can send one."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = json.dumps(error_body(refused.message, None, [])).encode("utf-8")
        await send(
            {
                "type": "websocket.http.response.start",
                "status": refused.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
        return
    await send({"type": "websocket.close", "code": 1008, "reason": refused.message[:123]})


def _query(raw: bytes) -> dict[str, Any]:
    """Query parameters as strings; a parameter given twice becomes a list (as for routes)."""
    query: dict[str, Any] = {}
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        had = query.get(key)
        if had is None:
            query[key] = value
        else:
            query[key] = [*had, value] if isinstance(had, list) else [had, value]
    return query


def _cookies(headers: Headers) -> dict[str, str]:
    jar = SimpleCookie(headers.get("Cookie", ""))
    return {name: morsel.value for name, morsel in jar.items()}
