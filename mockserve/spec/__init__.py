"""The spec: its format's schema, the loader and the frozen model."""

from .loader import format_schema, load_spec
from .model import Route, Spec

__all__ = ["Route", "Spec", "format_schema", "load_spec"]
