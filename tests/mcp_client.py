"""An MCP client as an agent uses it: the SDK's own stdio client, driving `mockserve mcp`.

The SDK is async; tests call it through an anyio blocking portal (an event loop in a
thread), so each tool call reads as one line. Every call is bounded by a timeout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import requests
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import ClientSession, StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parent.parent
CALL_SECONDS = 30


class ToolFailed(AssertionError):
    """A tool answered a tool error (`isError`); its text is the message."""


class Agent:
    """A `mockserve mcp ARGS...` subprocess and an initialized client session to it."""

    def __init__(self, *args: str, cwd: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "mockserve", "mcp", *args], cwd=cwd, env=env
        )
        self._portal_cm = start_blocking_portal()
        self.portal: BlockingPortal = self._portal_cm.__enter__()
        self._contexts: list[AbstractContextManager[Any]] = []
        read, write = self._enter(stdio_client(params))
        self.session: ClientSession = self._enter(ClientSession(read, write))
        self.initialized = self.portal.call(self._bounded, self.session.initialize)

    def _enter(self, manager: Any) -> Any:
        wrapped = self.portal.wrap_async_context_manager(manager)
        entered = wrapped.__enter__()
        self._contexts.append(wrapped)
        return entered

    async def _bounded(self, call: Any, *args: Any) -> Any:
        import anyio

        with anyio.fail_after(CALL_SECONDS):
            return await call(*args)

    def result(self, tool: str, **arguments: Any) -> Any:
        """The tool's whole result (content, isError), whatever it is."""
        return self.portal.call(self._bounded, self.session.call_tool, tool, arguments)

    def call(self, tool: str, **arguments: Any) -> Any:
        """The tool's result, parsed from its JSON text; ToolFailed for a tool error."""
        result = self.result(tool, **arguments)
        text = result.content[0].text
        if result.is_error:
            raise ToolFailed(text)
        return json.loads(text)

    def error(self, tool: str, **arguments: Any) -> str:
        """The text of the tool error the call must answer."""
        result = self.result(tool, **arguments)
        assert result.is_error, f"{tool} should have failed, but answered: {result.content}"
        text: str = result.content[0].text
        return text

    def tools(self) -> dict[str, Any]:
        listed = self.portal.call(self._bounded, self.session.list_tools)
        return {tool.name: tool for tool in listed.tools}

    def read(self, uri: str) -> str:
        read = self.portal.call(self._bounded, self.session.read_resource, uri)
        text: str = read.contents[0].text
        return text

    def close(self) -> None:
        """Go away as a client does: the session ends, the server's stdin closes."""
        while self._contexts:
            self._contexts.pop().__exit__(None, None, None)
        self._portal_cm.__exit__(None, None, None)

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def eventually(check: Callable[[], Any], timeout: float = 10) -> Any:
    """`check()`'s first true result, asked until `timeout` (a bounded wait); else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    return None


def stops_answering(url: str, timeout: float = 10) -> bool:
    """True once nothing answers at `url` any more (polled, bounded by `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/__mockserve/health", timeout=1)
        except requests.ConnectionError:
            return True
        time.sleep(0.05)
    return False
