"""Serving an app: backends (the HTTP servers) and the one runner every entry point uses."""

from .backend import Backend
from .runner import CannotListen, Listen, Runner

__all__ = ["Backend", "CannotListen", "Listen", "Runner"]
