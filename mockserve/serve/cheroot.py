"""The HTTPS backend: cheroot (CherryPy's server) with Python's own TLS.

Waitress has no TLS. Cheroot is pure Python and threaded like waitress, serves TLS from
an `ssl.SSLContext`, and can be stopped from any thread; what a mock needs beyond that
(JSON for a request too broken to reach the app, the `disconnect` fault) is two small
subclasses here. See benchmarks/README.md for why cheroot and not another server.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any

from cheroot import wsgi
from cheroot.server import HTTPConnection, HTTPRequest
from cheroot.ssl.builtin import BuiltinSSLAdapter

from ..errors import Disconnect
from ..problems import error_body
from ..responses import dump_json
from .waitress import DEFAULT_MAX_BODY, DRAIN_SECONDS

DEFAULT_THREADS = 128


class _Request(HTTPRequest):
    """Requests too broken to reach the app (a garbage request line) still get JSON."""

    def simple_response(self, status: Any, msg: Any = "") -> None:
        status = str(status)
        code, _, reason = status.partition(" ")
        text = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg)
        message = f"{reason.lower()}: {text}" if text else reason.lower()
        body = dump_json(error_body(message, None, []))
        head = (
            f"{self.server.protocol} {status}\r\n"
            f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n"
            "Connection: close\r\n\r\n"
        )
        self.close_connection = True
        try:
            self.conn.wfile.write(head.encode("latin-1") + body)
        except OSError:
            pass


class _Connection(HTTPConnection):
    RequestHandlerClass = _Request


class _Gateway(wsgi.Gateway_10):
    def respond(self) -> None:
        try:
            super().respond()
        except Disconnect:
            # Close the connection with nothing sent, not even the server's own 500.
            self.req.sent_headers = True
            self.req.close_connection = True


class _ContextAdapter(BuiltinSSLAdapter):
    """Cheroot's TLS adapter over a context built elsewhere (no certificate files read)."""

    def __init__(self, context: ssl.SSLContext):
        self.certificate = self.private_key = self.certificate_chain = None
        self.ciphers = self.private_key_password = None
        self.context = context
        self._server_env: dict[str, Any] = {}


class CherootBackend:
    """A cheroot server on host:port, with TLS when given a context; stoppable from any thread."""

    scheme = "https"

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        tls: ssl.SSLContext | None = None,
        threads: int = DEFAULT_THREADS,
        max_body: int = DEFAULT_MAX_BODY,
        sock: Any = None,
    ):
        """Bind host:port now, so a port in use fails here (OSError)."""
        if sock is not None:
            raise ValueError("the HTTPS backend binds its own port (no shared socket)")
        self.app = app
        server = wsgi.Server(
            (host, port), self._wsgi, numthreads=threads, timeout=60, request_queue_size=1024
        )
        server.ConnectionClass = _Connection
        server.gateway = _Gateway
        server.max_request_body_size = max_body
        server.server_name = "mockserve"
        server.shutdown_timeout = DRAIN_SECONDS
        if tls is not None:
            server.ssl_adapter = _ContextAdapter(tls)
        else:
            self.scheme = "http"
        server.prepare()
        self._server = server
        self._lock = threading.Lock()
        self._stopper: threading.Thread | None = None
        self.host = host
        self.port = server.bind_addr[1]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)  # self.app read each time: swap() works

    def swap(self, app: Any) -> None:
        """Serve `app` from the next request on; requests under way finish on the old one."""
        self.app = app

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def serve(self) -> None:
        """Serve until `stop()`; then wait (bounded) for the answers under way."""
        try:
            self._server.serve()
        finally:
            self.stop()
            stopper = self._stopper
            if stopper is not None and stopper is not threading.current_thread():
                stopper.join(DRAIN_SECONDS + 5)

    def stop(self) -> None:
        """Stop accepting and serving; returns at once, safe from any thread, repeatable."""
        # cheroot's own stop() joins the worker threads: run it aside, so that a worker
        # (the admin API's shutdown) can ask without waiting on itself.
        with self._lock:
            if self._stopper is None:
                self._stopper = threading.Thread(
                    target=self._server.stop, name="mockserve-https-stop", daemon=True
                )
                self._stopper.start()
