"""Serving an app: backends (the HTTP servers) and the one runner every entry point uses."""

from .backend import Backend
from .runner import Listen, Runner

__all__ = ["Backend", "Listen", "Runner"]
