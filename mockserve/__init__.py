"""mockserve: a declarative, YAML-configured HTTP mock server."""

import logging

from .app import create_app
from .errors import MockserveError, SpecError, SpecProblem
from .spec import Spec, load_spec
from .testing import MockServer

__all__ = ["MockServer", "MockserveError", "Spec", "SpecError", "SpecProblem", "create_app", "load_spec"]
__version__ = "0.1.0"

logging.getLogger("mockserve").addHandler(logging.NullHandler())
