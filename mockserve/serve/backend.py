"""What a server backend must do for the runner: serve, stop from any thread, swap apps.

uvicorn (`uvicorn.py`) is the one implementation; `choice.py` says how it answers for a
spec (on its event loop, or in threads).
"""

from __future__ import annotations

from typing import Any, Protocol


class Backend(Protocol):
    """An HTTP server bound to a host and port, serving a mockserve (WSGI) app."""

    host: str
    port: int  # the port bound (the real one when 0 was asked)

    @property
    def url(self) -> str: ...

    def serve(self) -> None:
        """Serve until `stop()`; finish sending answers already written, then return."""
        ...

    def stop(self) -> None:
        """Ask the server to stop; returns at once, safe from any thread and more than once."""
        ...

    def swap(self, app: Any) -> None:
        """Serve `app` from the next request on; requests under way finish on the old one."""
        ...
