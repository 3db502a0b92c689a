"""mockserve: a declarative, YAML-configured HTTP mock server."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .errors import MockserveError, SpecError, SpecProblem, SpecWarning

if TYPE_CHECKING:
    from .app import create_app
    from .loading import load_spec
    from .spec import Spec
    from .testing import MockServer

__all__ = [
    "MockServer",
    "MockserveError",
    "Spec",
    "SpecError",
    "SpecProblem",
    "SpecWarning",
    "create_app",
    "load_spec",
]
__version__ = "0.1.0"

# Flask, Jinja2 and jsonschema load on first use, so the pytest plugin that every
# pytest run in the environment imports costs next to nothing in projects not using it.
_LAZY = {
    "create_app": ".app",
    "Spec": ".spec",
    "load_spec": ".loading",
    "MockServer": ".testing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserve' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


logging.getLogger("mockserve").addHandler(logging.NullHandler())
