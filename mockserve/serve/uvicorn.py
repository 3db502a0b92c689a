"""The default backend: uvicorn (httptools, uvloop where there is one) serving the app's bridge.

An event loop serves every connection: a delayed answer or an open stream waits on the
loop, not in a thread; WebSocket upgrades arrive on the same port; TLS is Python's own
`ssl` over the same loop. What a mock needs beyond uvicorn's own behaviour is one
protocol subclass here: JSON for a request too broken to reach the app, and a way for
the `disconnect` fault to close the connection with nothing sent (a scope extension).
Measured against granian and waitress in benchmarks/README.md ("Choosing the server").
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..problems import error_body
from ..responses import dump_json
from .bridge import DEFAULT_MAX_BODY, DROP, Bridge

DRAIN_SECONDS = 5  # how long a stopping server keeps sending answers already under way
KEEP_ALIVE_SECONDS = 30
BACKLOG = 1024
_TOKEN_THEN_SPACE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ ")


def _send_json_400(transport: asyncio.BaseTransport, msg: str) -> None:
    """A request too broken to reach the app still gets mockserve's JSON error."""
    body = dump_json(error_body(f"bad request: {msg.rstrip('.').lower()}", None, []))
    head = (
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nServer: mockserve\r\n\r\n"
    )
    transport.write(head.encode("latin-1") + body)  # type: ignore[attr-defined]
    transport.close()


def _drop(cycle: Any, transport: asyncio.BaseTransport) -> None:
    """Close the connection; the cycle sends nothing more (no 500 for an unstarted answer)."""
    cycle.disconnected = True
    cycle.keep_alive = False
    transport.close()


@functools.cache
def _h11_protocol() -> type[asyncio.Protocol]:
    """h11 (pure Python) for a connection whose method httptools does not know (`BREW`).

    Imported on first use: most servers never see such a method.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class H11(H11Protocol):
        def send_400_response(self, msg: str) -> None:
            _send_json_400(self.transport, msg)

        def handle_events(self) -> None:
            super().handle_events()
            cycle = self.cycle  # one request at a time: h11 pauses after each until answered
            if cycle is not None and "extensions" not in cycle.scope:
                drop = functools.partial(_drop, cycle, self.transport)
                cycle.scope["extensions"] = {DROP: drop}

    return H11


class _Protocol(HttpToolsProtocol):
    """HTTP/1.1 as uvicorn speaks it, plus mockserve's JSON 400 and the `disconnect` fault."""

    def send_400_response(self, msg: str) -> None:
        _send_json_400(self.transport, msg)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            idle = self.cycle is None or self.cycle.response_complete
            if idle and _TOKEN_THEN_SPACE.match(data):  # a method only h11 reads: it answers
                self._hand_over(data)
            else:
                self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserError:
            self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _hand_over(self, data: bytes) -> None:
        """Serve the rest of this connection with h11 (any token is a method to it)."""
        self.connections.discard(self)
        protocol: Any = _h11_protocol()(
            self.config,
            self.server_state,
            self.app_state,
            self.loop,  # type: ignore[call-arg]
        )
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        protocol.data_received(data)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:  # not when upgrading to WebSocket
            self.scope["extensions"] = {DROP: functools.partial(_drop, cycle, self.transport)}


class _Server(uvicorn.Server):
    """The runner owns the signals: uvicorn's own handlers are not installed."""

    def capture_signals(self) -> Any:
        import contextlib

        return contextlib.nullcontext()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (a port in use fails here, with OSError)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    if not infos:  # pragma: no cover - getaddrinfo raises instead
        raise OSError(f"cannot resolve {host}")
    sock = socket.socket(infos[0][0], socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # on Windows it would let another process take the port too
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(infos[0][4])
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop where it is installed (not on Windows), else asyncio's own."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class UvicornBackend:
    """uvicorn on host:port (or a shared listening socket), with TLS when given a context."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        tls: ssl.SSLContext | None = None,
        sock: socket.socket | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        threads: int | None = None,
    ):
        """Bind now, so a port in use fails here. `threads`: answer in a thread pool."""
        self.sock = sock if sock is not None else bind(host, port)
        self.bridge = Bridge(app, max_body=max_body, threads=threads)
        self.scheme = "https" if tls is not None else "http"
        factory: Callable[..., ssl.SSLContext] | None = None
        if tls is not None:
            factory = lambda config, default: tls  # noqa: E731 - the context made by tls.py
        config = uvicorn.Config(
            self.bridge,
            http=_Protocol,
            ws="websockets-sansio",
            lifespan="off",
            log_config=None,
            log_level="error",
            access_log=False,
            proxy_headers=False,
            server_header=False,  # the bridge adds Server and Date where the app did not
            date_header=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=DRAIN_SECONDS,
            backlog=BACKLOG,
            ssl_context_factory=factory,
        )
        self._server = _Server(config)
        self._stopped = threading.Event()
        self.host = host
        self.port: int = self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def swap(self, app: Any) -> None:
        """Serve `app` from the next request on; requests under way finish on the old one."""
        self.bridge.swap(app)

    def serve(self) -> None:
        """Serve until `stop()`; then finish the answers under way (bounded) and return."""
        loop = new_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._server.serve(sockets=[self.sock]))
        finally:
            self.sock.close()
            self.bridge.close()
            # Connections still open past the drain (a TLS client that never says goodbye)
            # are cut, so that the loop closes with nothing left on it.
            for connection in list(self._server.server_state.connections):
                connection.transport.abort()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()
            self._stopped.set()

    def stop(self) -> None:
        """Ask the server to stop; returns at once, safe from any thread and more than once."""
        self._server.should_exit = True
