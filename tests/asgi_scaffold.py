"""Test scaffolding only: a MockServer served by uvicorn, so sockets can be tested over
the wire before the serving backend carries the upgrade itself."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import uvicorn
from uvicorn.middleware.wsgi import WSGIMiddleware

from mockserve.testing import MockServer


class UvicornMockServer(MockServer):
    def start(self) -> UvicornMockServer:
        http = WSGIMiddleware(self.app)
        hub = self.mock.websockets

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "websocket":
                await hub.handle(scope, receive, send)
            else:
                await http(scope, receive, send)

        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            ws="websockets-sansio",
            lifespan="off",
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._uvicorn.run, daemon=True)
        self._thread.start()
        for _ in range(500):
            if self._uvicorn.started:
                break
            threading.Event().wait(0.01)
        sock = self._uvicorn.servers[0].sockets[0]
        self._url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    def stop(self) -> None:
        self._uvicorn.should_exit = True
        self._thread.join(5)

    @property
    def url(self) -> str:  # type: ignore[override]
        return self._url


__all__ = ["UvicornMockServer", "asyncio"]
