"""WebSocket paths (`websockets`): sockets on the mock's own port, scripted, journaled, pushable.

`Hub` answers the ASGI `websocket` scopes a backend hands to `Mock.websockets`; each
open socket is a `Session` playing its script on the backend's event loop. The admin
API lists the messages and pushes to open sockets (`admin.py`).
"""

from __future__ import annotations

from ..mock import Mock
from .hub import Hub, Refused
from .session import Session, as_text

__all__ = ["Hub", "Refused", "Session", "as_text", "install_websockets"]


def install_websockets(mock: Mock) -> None:
    """Put the hub for the spec's `websockets` in `mock.websockets` (None when it has none)."""
    if mock.spec.websockets:
        mock.websockets = Hub(mock.spec, mock.stores)
