"""The journal of WebSocket messages: what each open socket received and sent.

Kept apart from the request journal (a message is no request), bounded by the same
`settings.journal`, and cleared by a reset with the rest of the stores.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from ..journal import stamped


@dataclass(frozen=True, slots=True)
class Message:
    """One message on a socket, as `GET {admin}/websockets` lists it."""

    id: int
    time: str
    path: str  # the socket's path as the client opened it (`/ws/rooms/7`)
    websocket: str  # the spec's `path` it matched (`/ws/rooms/{room}`)
    socket: int  # which connection: counts up from 1 for each socket opened
    direction: str  # in (from the client) | out (to the client)
    message: Any  # JSON data when the text is JSON, else the text
    unmatched: bool = False  # received, and no `on_message` answered it

    def as_json(self) -> dict[str, Any]:
        shown = {
            "id": self.id,
            "time": self.time,
            "path": self.path,
            "websocket": self.websocket,
            "socket": self.socket,
            "direction": self.direction,
            "message": self.message,
        }
        if self.direction == "in":
            shown["unmatched"] = self.unmatched
        return shown


class MessageStore(Protocol):
    """The messages of every socket, the newest `size` kept; ids never repeat."""

    def record(self, **fields: Any) -> Message:
        """Add a message (its id and time are given here); the oldest drops out when full."""
        ...

    def messages(self) -> list[Message]: ...

    def clear(self) -> None: ...


class MemoryMessages:
    """A ring buffer of messages in this process, each addition under a lock."""

    def __init__(self, size: int = 1000):
        self._messages: deque[Message] = deque(maxlen=max(size, 0))
        self._lock = threading.Lock()
        self._next_id = 1

    def record(self, **fields: Any) -> Message:
        fields = stamped(fields)
        with self._lock:
            message = Message(id=self._next_id, **fields)
            self._next_id += 1
            self._messages.append(message)
        return message

    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
