"""The spec: its format's schema, the loader and the frozen model."""

from .format import format_schema
from .loader import load_spec
from .model import Route, Spec

__all__ = ["Route", "Spec", "format_schema", "load_spec"]
