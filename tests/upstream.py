"""A real backend for the proxy, record and verify tests: stdlib `http.server` in a thread.

Stdlib rather than a WSGI app so that it can send what WSGI forbids (a `Connection`
header naming another, chunked bodies by hand). Each answer is set per method and path;
anything else is echoed back as JSON, so a test sees what the upstream received.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Seen:
    """One request as the upstream received it."""

    method: str
    target: str  # the request line's target, as sent
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Answer:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    chunked: bool = False
    wait: threading.Event | None = None  # answer only once this is set (a slow upstream)


Handler = Callable[[Seen], Answer]


def json_answer(value: Any, status: int = 200, headers: list | None = None) -> Answer:
    return Answer(
        status, [("Content-Type", "application/json"), *(headers or [])], json.dumps(value).encode()
    )


def gzip_answer(value: Any) -> Answer:
    body = gzip.compress(json.dumps(value).encode())
    return Answer(200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body)


def echo(seen: Seen) -> Answer:
    return json_answer(
        {
            "method": seen.method,
            "path": seen.path,
            "query": seen.query,
            "headers": seen.headers,
            "body": seen.body.decode("utf-8", "replace"),
        }
    )


class Upstream:
    """A backend on 127.0.0.1:<free port>; `answer(method, path, ...)` sets what it says."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.answers: dict[tuple[str, str], Handler | list[Answer]] = {}
        self.arrived = threading.Condition()
        self.release = threading.Event()  # set at stop: slow answers give up waiting
        upstream = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a client that hung up early (a test that read enough)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    self.path,
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with upstream.arrived:
                    upstream.seen.append(seen)
                    upstream.arrived.notify_all()
                answer = upstream.answer_for(seen)
                if answer.wait is not None:
                    answer.wait.wait(30)
                    if upstream.release.is_set():
                        return
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                if answer.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                elif not any(n.lower() == "content-length" for n, _ in answer.headers):
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if answer.chunked:
                    for start in range(0, len(answer.body), 8192):
                        piece = answer.body[start : start + 8192]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, method: str, path: str, *answers: Answer | Handler) -> None:
        """What `method path` gets: one answer, a handler, or a list answered in turn."""
        if len(answers) == 1 and callable(answers[0]):
            self.answers[(method, path)] = answers[0]  # type: ignore[assignment]
        else:
            self.answers[(method, path)] = list(answers)  # type: ignore[arg-type]

    def answer_for(self, seen: Seen) -> Answer:
        found = self.answers.get((seen.method, seen.path))
        if found is None:
            return echo(seen)
        if callable(found):
            return found(seen)
        return found.pop(0) if len(found) > 1 else found[0]

    def wait_for(self, count: int, timeout: float = 10) -> list[Seen]:
        """Return once `count` requests have arrived (AssertionError after `timeout`)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.seen) >= count, timeout):
                raise AssertionError(f"the upstream saw {len(self.seen)} of {count} requests")
            return list(self.seen)

    def stop(self) -> None:
        self.release.set()
        for answers in self.answers.values():
            for answer in answers if isinstance(answers, list) else ():
                if answer.wait is not None:
                    answer.wait.set()
        self.server.shutdown()
        self.server.server_close()
