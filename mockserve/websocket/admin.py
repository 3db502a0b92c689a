"""The admin API's WebSocket endpoints: the messages journal, and pushes to open sockets.

Registered on the admin Blueprint, so the same access rules apply (loopback, the token,
never a web page of another site).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..errors import Problem
from ..mock import Mock
from ..problems import json_response, no_content
from ..stores.messages import Message

Endpoint = Callable[[str, str], Callable[[Callable[..., Response]], Any]]


def add_websocket_endpoints(endpoint: Endpoint, mock: Mock) -> None:
    """`GET`/`DELETE /websockets`, `GET /websockets/sockets`, `POST /websockets/PATH/send`."""

    @endpoint("/websockets", "GET")
    def messages() -> Response:
        """Messages both ways, oldest first (filters: path, direction, unmatched, since)."""
        _one_process(mock, "journal", shared_store_helps=True)
        keep = _filter(request.args)
        return json_response([m.as_json() for m in mock.stores.messages.messages() if keep(m)])

    @endpoint("/websockets/sockets", "GET")
    def sockets() -> Response:
        """The spec's WebSocket paths, each with its subprotocols and the sockets open on it."""
        hub = mock.websockets
        return json_response(
            [
                {
                    "path": socket.path,
                    "subprotocols": list(socket.subprotocols),
                    "open": len(hub.open_sockets(socket.path)) if hub is not None else 0,
                }
                for socket in mock.spec.websockets
            ]
        )

    @endpoint("/websockets", "DELETE")
    def clear_messages() -> Response:
        _one_process(mock, "journal", shared_store_helps=True)
        mock.stores.messages.clear()
        return no_content()

    @endpoint("/websockets/<path:target>/send", "POST")
    def push(target: str) -> Response:
        """Send `{"message": ...}` to every socket open on `/PATH`: how many took it."""
        path = "/" + target
        _one_process(mock, "sockets", shared_store_helps=False)
        hub = mock.websockets
        if hub is None or not hub.declares(path):
            known = ", ".join(s.path for s in mock.spec.websockets) or "none"
            raise Problem(404, f"no websocket at {path}; the spec has: {known}")
        given = request.get_json(silent=True)
        if not isinstance(given, dict) or "message" not in given:
            raise Problem(
                400, 'give the message to send: {"message": ...} (text, or any JSON value)'
            )
        sent = hub.push(path, given["message"])
        return json_response({"path": path, "sockets": sent})


def _one_process(mock: Mock, what: str, *, shared_store_helps: bool) -> None:
    """With several worker processes, each holds its own sockets (and, without a shared
    store, its own messages): this request would reach one of them. Say so."""
    if mock.workers > 1 and not (shared_store_helps and mock.stores.shared):
        raise Problem(
            409,
            f"this mock runs {mock.workers} worker processes, each with its own {what}; "
            "this request would reach only one of them. Serve with one worker to use it",
        )


def _filter(args: MultiDict[str, str]) -> Callable[[Message], bool]:
    """A predicate for `GET /websockets` from its query parameters (a 400 for a bad one)."""
    path = args.get("path")
    direction = args.get("direction")
    unmatched = args.get("unmatched")
    since = args.get("since")
    if direction not in (None, "in", "out"):
        raise Problem(400, f"direction must be in or out, got {direction!r}")
    if unmatched not in (None, "true", "false"):
        raise Problem(400, f"unmatched must be true or false, got {unmatched!r}")
    if since is not None and not since.isdigit():
        raise Problem(400, f"since must be a message id (a whole number), got {since!r}")
    after = int(since) if since is not None else 0

    def keep(message: Message) -> bool:
        return (
            message.id > after
            and (path is None or path in (message.path, message.websocket))
            and (direction is None or message.direction == direction)
            and (unmatched is None or message.unmatched == (unmatched == "true"))
        )

    return keep
