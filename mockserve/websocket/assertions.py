"""What tests say about sockets: push a message, wait for one, assert one arrived.

A mixin of `MockServer`, reading the messages journal (`GET {admin}/websockets`). A
failing assertion says what was expected, then lists the messages on that path.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from ..mock import Mock
from ..report import times_text
from ..stores.messages import Message
from ..waiting import wait_until

SHOWN = 10  # messages listed in a failing assertion's message


class _Any:
    """`message=` not given: any message will do (None would mean a JSON `null`)."""

    def __repr__(self) -> str:
        return "<any message>"


ANY: Any = _Any()


class SocketAssertions:
    """`ws_send`, `wait_for_ws`, `assert_ws_received` over a mock's messages journal."""

    mock: Mock

    def _watch_messages(self) -> None:
        """Call once the mock is built: waits wake up as messages are journaled."""
        self._messages_arrived = threading.Condition()
        if self.mock.websockets is not None:
            self.mock.websockets.listeners.append(self._message_arrived)

    def _message_arrived(self, message: Message) -> None:
        with self._messages_arrived:
            self._messages_arrived.notify_all()

    @property
    def ws_messages(self) -> list[Message]:
        """Every message journaled so far, both directions, oldest first."""
        return self.mock.stores.messages.messages()

    def ws_send(self, path: str, message: Any) -> int:
        """Push `message` to every socket open on `path` (as the admin API does); how many.

        A string goes as that text, any other value as its JSON text.
        """
        hub = self.mock.websockets
        if hub is None or not hub.declares(path):
            known = ", ".join(s.path for s in self.mock.spec.websockets) or "none"
            raise ValueError(f"no websocket at {path}; the spec has: {known}")
        return int(hub.push(path, message))

    def ws_received(self, path: str, message: Any = ANY, *, direction: str = "in") -> list[Message]:
        """The messages on `path` (as opened, or the spec's path) the mock received (`in`)
        or sent (`out`), equal to `message` when given."""
        return [m for m in self.ws_messages if _hits(m, path, message, direction)]

    def wait_for_ws(
        self,
        path: str,
        message: Any = ANY,
        times: int = 1,
        timeout: float = 5,
        *,
        direction: str = "in",
    ) -> list[Message]:
        """Return once `times` such messages were received (or sent, `direction="out"`).

        Tests wait on this, never on a sleep; after `timeout` seconds it raises
        AssertionError listing the messages on that path.
        """
        __tracebackhide__ = True
        found = wait_until(
            self._messages_arrived,
            lambda: self.ws_received(path, message, direction=direction),
            times,
            timeout,
        )
        if len(found) >= times:
            return found
        head = (
            f"waited {timeout:g} s for {_what(path, message, direction)} {times_text(times)}, "
            f"but it came {times_text(len(found))}"
        )
        raise AssertionError(head + "\n" + self._messages_text(path))

    def assert_ws_received(self, path: str, message: Any = ANY, times: int | None = None) -> None:
        """Assert the mock received `message` on `path`: at least once, or exactly `times`."""
        __tracebackhide__ = True
        count = len(self.ws_received(path, message))
        if (count >= 1) if times is None else (count == times):
            return
        wanted = "at least once" if times is None else times_text(times)
        head = f"expected {_what(path, message, 'in')} {wanted}, but it came {times_text(count)}"
        raise AssertionError(head + "\n" + self._messages_text(path))

    def _messages_text(self, path: str) -> str:
        on_path = [m for m in self.ws_messages if path in (m.path, m.websocket)]
        if not on_path:
            return f"No message on {path}."
        lines = [f"Messages on {path} ({len(on_path)}), newest last:"]
        for m in on_path[-SHOWN:]:
            arrow = "->" if m.direction == "in" else "<-"
            note = "  (unmatched)" if m.unmatched else ""
            lines.append(f"  {arrow} socket {m.socket}: {_shown(m.message)}{note}")
        return "\n".join(lines)


def _hits(m: Message, path: str, message: Any, direction: str) -> bool:
    return (
        m.direction == direction
        and path in (m.path, m.websocket)
        and (message is ANY or m.message == message)
    )


def _what(path: str, message: Any, direction: str) -> str:
    what = "a message" if message is ANY else f"the message {_shown(message)}"
    return f"{what} {'received on' if direction == 'in' else 'sent on'} {path}"


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
