"""Which backend serves a spec, and why: picked from what the spec uses, or forced by name.

uvicorn carries everything a spec can ask for (delays and streams on the loop, WebSocket
upgrades, TLS, the `disconnect` fault, a JSON 400 for garbage); what varies is where the
app answers. On the loop itself (`uvicorn`) when answering is plain CPU work, which is
fastest; in a pool of threads (`uvicorn-threads`) when answers wait on the network (a
shared store, an upstream), so that one slow answer never holds up the others.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .bridge import DEFAULT_THREADS, answers_block
from .uvicorn import UvicornBackend

SERVERS = ("auto", "uvicorn", "uvicorn-threads")


@dataclass(frozen=True)
class Choice:
    """A backend factory for the Runner, its name, and why it was picked (said at start)."""

    name: str
    factory: Callable[..., Any]
    why: str

    def describe(self) -> str:
        """For the start banner, e.g. `uvicorn, answering on its event loop`."""
        return f"uvicorn, {self.why}"


def choose(app: Any, server: str = "auto", tls: ssl.SSLContext | None = None) -> Choice:
    """The backend for `app` (a mockserve Flask app); `server` forces one of SERVERS."""
    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r}; choose from {', '.join(SERVERS)}")
    blocks = answers_block(app)
    if server == "auto":
        server = "uvicorn-threads" if blocks else "uvicorn"
        why = f"answering in threads: {blocks}" if blocks else "answering on its event loop"
    elif server == "uvicorn":
        why = "answering on its event loop (--server uvicorn)"
    else:
        why = "answering in threads (--server uvicorn-threads)"
    threads = DEFAULT_THREADS if server == "uvicorn-threads" else None
    factory = functools.partial(UvicornBackend, threads=threads, tls=tls)
    return Choice(server, factory, why)
