"""The default backend: waitress, a production WSGI server.

Waitress is pure Python, runs on every platform and serves from one process, so the
state a spec keeps stays consistent. Requests run on a pool of threads; a delayed
response sleeps in its own thread and never holds up the others.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server
from waitress.task import ErrorTask

from ..errors import Disconnect
from ..pacing import SENT_OVER_TIME, paced
from ..problems import error_body
from ..responses import dump_json

DEFAULT_THREADS = 128
DEFAULT_MAX_BODY = 10 * 1024 * 1024
DRAIN_SECONDS = 5  # how long a stopping server keeps sending answers already written
log = logging.getLogger("mockserve")


class _JsonErrorTask(ErrorTask):
    """Requests too broken to reach the app (a garbage request line) still get JSON."""

    def execute(self) -> None:
        error = self.request.error
        body = dump_json(error_body(f"{error.reason.lower()}: {error.body}", None, []))
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


_UNDERSCORED_NAME = re.compile(rb"^([!#$%&'*+.^`|~0-9A-Za-z-]*_[!#$%&'*+.^_`|~0-9A-Za-z-]*):", re.M)


class _Parser(HTTPRequestParser):
    """Header names with underscores (`api_key`, as in OpenAPI's Petstore) reach the app.

    Waitress drops them, lest a proxy confuse `X_A` with `X-A`; a mock must see every
    header its contract names, and WSGI spells both `HTTP_X_A` anyway.
    """

    def parse_header(self, header_plus: bytes) -> None:
        start = header_plus.find(b"\r\n")
        if start >= 0 and b"_" in header_plus[start:]:
            names = _UNDERSCORED_NAME.sub(
                lambda m: m.group(1).replace(b"_", b"-") + b":", header_plus[start:]
            )
            header_plus = header_plus[:start] + names
        return super().parse_header(header_plus)


class _Channel(HTTPChannel):
    error_task_class = _JsonErrorTask
    parser_class = _Parser


def _over_time(body: Any) -> Iterator[bytes]:
    """A body sent over time: its pauses slept out in this thread; a `Disconnect` part way
    drops the connection (what was sent stays sent)."""
    try:
        yield from paced(body)
    except Disconnect:
        raise ClientDisconnected from None


def connection_limit() -> int:
    """Open connections served at once: as many as the process may open files, with room."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    except (ImportError, ValueError, OSError):  # not Unix, or not allowed
        return 1000
    return max(100, min(soft - 100, 10_000))


def _try_binding(host: str, port: int) -> None:
    """Raise the OSError that binding host:port would, before waitress tries.

    When its bind fails (an address of another machine, a port in use), waitress
    leaves its socket and wake-up pipe open; a probe of our own is closed either way.
    A host that does not resolve is left to waitress, which says so.
    """
    try:
        addresses = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
        )
    except OSError:
        return
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)


class WaitressBackend:
    """A waitress server bound to host:port that can be stopped from any thread."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        threads: int = DEFAULT_THREADS,
        sock: socket.socket | None = None,
        max_body: int = DEFAULT_MAX_BODY,
    ):
        """Bind host:port, or serve `sock`, a listening socket (shared by `--workers`)."""
        self.app = app
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        if sock is None:
            _try_binding(host, port)
        where: dict[str, Any] = (
            {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
        )
        self._server = create_server(
            self._wsgi,
            **where,
            threads=threads,
            connection_limit=connection_limit(),
            channel_timeout=60,
            ident="mockserve",
            clear_untrusted_proxy_headers=True,
            # A larger body is refused (413, JSON) before it is read whole.
            max_request_body_size=max_body,
            # poll(), not select(): select() cannot watch more than 1024 connections.
            asyncore_use_poll=True,
        )
        self._server.channel_class = _Channel
        self.host = host
        self.port = self._server.effective_port

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        # Reads self.app on every request, so swap() takes effect at the next one.
        writes = []

        def starting(status: str, headers: Any, exc_info: Any = None) -> Any:
            write = start_response(status, headers, exc_info)
            writes.append(write)
            return write

        try:
            body = self.app(environ, starting)
        except Disconnect:  # close the socket, send nothing
            raise ClientDisconnected from None
        if environ.get(SENT_OVER_TIME) and writes:
            writes[0](b"")  # the headers now, not after a first pause (EventSource opens)
            return _over_time(body)
        return body

    def swap(self, app: Any) -> None:
        """Serve `app` from the next request on (a reloaded spec); requests under way finish."""
        self.app = app

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve(self) -> None:
        """Serve until `stop()` is called (from a signal handler or another thread)."""
        server = self._server
        try:
            while not self._stopping.is_set():
                server.asyncore.loop(
                    timeout=0.5, map=server._map, count=1, use_poll=server.adj.asyncore_use_poll
                )
        finally:
            server.accepting = False
            server.task_dispatcher.shutdown(timeout=2)
            self._send_pending(DRAIN_SECONDS)
            server.asyncore.close_all(server._map)
            self._stopped.set()

    def _send_pending(self, timeout: float) -> None:
        """Finish sending the answers already written (the last one before --exit-after or
        a shutdown included), so a stop never cuts a response short; bounded by `timeout`."""
        server = self._server
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            isinstance(channel, HTTPChannel) and channel.total_outbufs_len
            for channel in list(server._map.values())
        ):
            server.asyncore.loop(
                timeout=0.05, map=server._map, count=1, use_poll=server.adj.asyncore_use_poll
            )

    def stop(self) -> None:
        """Stop accepting and serving; safe to call more than once and from any thread."""
        self._stopping.set()
        try:
            self._server.trigger.pull_trigger()
        except OSError:
            pass
